"""Type sniffing looks at content only; names and claimed types play no part."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fixtures import documents as fx
from triage.parsing import sniff_media_type
from triage.parsing.sniff import DOCX, EMAIL, HTML, OUTLOOK_MSG, PDF, TEXT


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(fx.pdf_with_text("Antrag"), PDF, id="pdf"),
        pytest.param(fx.scanned_pdf("Antrag"), PDF, id="scanned-pdf"),
        pytest.param(fx.encrypted_pdf("Antrag", "geheim"), PDF, id="encrypted-pdf"),
        pytest.param(
            b"garbage from a mail gateway\r\n" + fx.pdf_with_text("x"), PDF, id="pdf-junk"
        ),
        pytest.param(fx.png_image("Antrag"), "image/png", id="png"),
        pytest.param(fx.jpeg_image("Antrag"), "image/jpeg", id="jpeg"),
        pytest.param(fx.tiff_image(["eins", "zwei"]), "image/tiff", id="tiff"),
        pytest.param(b"MM\x00*\x00\x00\x00\x08", "image/tiff", id="tiff-big-endian"),
        pytest.param(b"GIF89a\x01\x00\x01\x00", "image/gif", id="gif"),
        pytest.param(b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp", id="webp"),
        pytest.param(
            b"BM" + (70).to_bytes(4, "little") + bytes(8) + (40).to_bytes(4, "little") + bytes(52),
            "image/bmp",
            id="bmp",
        ),
        pytest.param(fx.docx_file(["Hallo"]), DOCX, id="docx"),
        pytest.param(fx.msg_file(), OUTLOOK_MSG, id="msg"),
        pytest.param(fx.eml_with_attachments(), EMAIL, id="eml"),
        pytest.param(
            fx.eml_with_attachments(body_text=None, body_html="<p>x</p>"), EMAIL, id="eml-html"
        ),
        pytest.param(
            b"From juergen@example.org Thu Mar 14 09:30:00 2024\n"
            + fx.eml_with_attachments(attachments=[]),
            EMAIL,
            id="eml-mbox-line",
        ),
        pytest.param(fx.html_page("Formular", "<p>Grüße</p>"), HTML, id="html"),
        pytest.param(b"\xef\xbb\xbf\n  <HTML><body>x</body></HTML>", HTML, id="html-bom-upper"),
        pytest.param(b"<!-- generated -->\n<html><body>x</body></html>", HTML, id="html-in-1k"),
        pytest.param(fx.text_file("Grüße aus Köln", "utf-8"), TEXT, id="utf8"),
        pytest.param(fx.text_file("Grüße aus Köln, schöne Straße", "cp1252"), TEXT, id="cp1252"),
        pytest.param(fx.text_file("Grüße aus Köln", "utf-16"), TEXT, id="utf16-bom"),
        pytest.param(fx.text_file("Grüße aus Köln", "utf-8-sig"), TEXT, id="utf8-bom"),
        pytest.param(b"BMW baut Autos in Muenchen und anderswo.", TEXT, id="text-starting-BM"),
        pytest.param(b"From: someone\nthis line is no header\n\nbody", TEXT, id="text-not-mail"),
        pytest.param(b"From: someone@example.org\n\nonly a From header", TEXT, id="from-only"),
    ],
)
def test_sniffs_format_from_content(data: bytes, expected: str) -> None:
    assert sniff_media_type(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(fx.random_bytes(1000), id="random"),
        pytest.param(fx.zip_file({"readme.txt": b"x", "data.csv": b"a;b"}), id="zip-not-docx"),
        pytest.param(b"PK\x05\x06" + bytes(18), id="empty-zip"),
        pytest.param(b"PK\x03\x04 this is not really a zip", id="broken-zip"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), id="broken-ole"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00" + bytes(200), id="elf"),
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00" + fx.random_bytes(300), id="exe"),
    ],
)
def test_unrecognised_content_is_none(data: bytes) -> None:
    assert sniff_media_type(data) is None


def test_png_with_a_pdf_name_is_still_a_png(tmp_path: Path) -> None:
    fake = tmp_path / "Antrag.pdf"
    fake.write_bytes(fx.png_image("Antrag"))
    assert sniff_media_type(fake.read_bytes()) == "image/png"


def test_pdf_header_beyond_the_junk_window_is_not_a_pdf() -> None:
    data = b"x" * 5000 + fx.pdf_with_text("Antrag")
    assert sniff_media_type(data) != PDF


def test_other_ole_files_are_not_outlook_messages() -> None:
    assert sniff_media_type(fx.ole_file_without_mail()) is None


def test_sniffing_a_large_upload_is_fast() -> None:
    text = fx.text_file("Grüße aus Köln. " * 3_000_000, "cp1252")  # 48 MB
    noise = b"%PDF-1.7\n" + fx.random_bytes(50 * 1024 * 1024)
    started = time.perf_counter()
    assert sniff_media_type(text) == TEXT
    assert sniff_media_type(noise) == PDF
    assert time.perf_counter() - started < 2.0
