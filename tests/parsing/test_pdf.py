"""PDF parsing: text layer, encryption, forms, damage, and OCR for scans."""

from __future__ import annotations

import pytest

from tests.fixtures import documents as fx
from triage.parsing import (
    CorruptDocumentError,
    NeedsOcrError,
    ParserRegistry,
    PasswordProtectedError,
    PdfParser,
)


def test_text_layer_keeps_umlauts_sharp_s_and_euro(registry: ParserRegistry) -> None:
    parsed = registry.parse(fx.pdf_with_text(fx.GERMAN_LETTER))
    assert parsed.media_type == "application/pdf"
    assert parsed.parser == "pdf"
    assert parsed.pages == 1
    assert parsed.ocr is False
    assert parsed.language == "de"
    assert "Antrag auf Wohngeld für meine Familie" in parsed.text
    assert "850 € im Monat" in parsed.text
    assert "Goethestraße 12" in parsed.text
    assert parsed.text.endswith("Mit freundlichen Grüßen\nJürgen Müller")


def test_pages_are_joined_with_a_blank_line(registry: ParserRegistry) -> None:
    pages = [f"Seite {n}: Unterlagen zum Antrag auf Wohngeld" for n in (1, 2, 3)]
    parsed = registry.parse(fx.pdf_with_text("\f".join(pages), title="Akte"))
    assert parsed.pages == 3
    assert parsed.text == "\n\n".join(pages)
    assert parsed.metadata["title"] == "Akte"


def test_leading_junk_before_the_header_is_tolerated(registry: ParserRegistry) -> None:
    parsed = registry.parse(b"X-Scanner: banner\r\n" + fx.pdf_with_text("Antrag auf Wohngeld"))
    assert parsed.text == "Antrag auf Wohngeld"


def test_owner_password_only_pdf_opens(registry: ParserRegistry) -> None:
    parsed = registry.parse(fx.encrypted_pdf("Widerspruch gegen den Bescheid vom 1. März"))
    assert "Widerspruch gegen den Bescheid" in parsed.text
    assert parsed.metadata["encrypted"] == "owner-password-only"


def test_user_password_pdf_is_password_protected(registry: ParserRegistry) -> None:
    with pytest.raises(PasswordProtectedError) as caught:
        registry.parse(fx.encrypted_pdf("geheim", user_password="1234"))
    assert caught.value.code == "password_protected"
    assert "password" in caught.value.reason


def test_filled_form_fields_are_appended(registry: ParserRegistry) -> None:
    data = fx.fillable_pdf(
        {"Name": "Jürgen Müller", "Ort": "Köln", "Telefon": ""},
        checkboxes={"Einverstanden": True, "Nachsendung": False},
        tooltips={"Name": "Name der antragstellenden Person"},
    )
    parsed = registry.parse(data)
    section = parsed.text.split("--- Formularfelder ---\n", 1)[1]
    assert section.splitlines() == [
        "Name der antragstellenden Person: Jürgen Müller",
        "Ort: Köln",
        "Einverstanden: ja",
    ]
    assert parsed.metadata["form_fields"] == "5"
    assert parsed.metadata["form_fields_filled"] == "3"


def test_truncated_pdf_is_corrupt(registry: ParserRegistry) -> None:
    with pytest.raises(CorruptDocumentError) as caught:
        registry.parse(fx.truncated_pdf(fx.GERMAN_LETTER))
    assert caught.value.code == "corrupt"
    assert "damaged or truncated" in caught.value.reason


def test_pdf_with_broken_structure_is_corrupt(registry: ParserRegistry) -> None:
    # Header and end marker intact, everything in between garbage: pypdf must not leak.
    data = b"%PDF-1.7\n" + fx.random_bytes(4000) + b"\nstartxref\n12\n%%EOF\n"
    with pytest.raises(CorruptDocumentError) as caught:
        registry.parse(data)
    assert "damaged" in caught.value.reason


def test_scan_without_ocr_needs_ocr(registry: ParserRegistry) -> None:
    with pytest.raises(NeedsOcrError) as caught:
        registry.parse(fx.scanned_pdf("Antrag auf Wohngeld"))
    assert caught.value.code == "needs_ocr"
    assert "needs OCR" in caught.value.reason


class _FakeOcr:
    """Records what it is asked to read; stands in for Tesseract where OCR quality is moot."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.images: list[bytes] = []

    def image_to_text(self, image_bytes: bytes) -> str:
        self.images.append(image_bytes)
        return self.text


def test_scan_pages_are_rendered_as_png_for_ocr() -> None:
    ocr = _FakeOcr("Erkannter Text einer eingescannten Seite")
    parsed = PdfParser(ocr=ocr, ocr_dpi=100).parse(fx.scanned_pdf("eins\nzwei"))
    assert parsed.parser == "pdf+ocr"
    assert parsed.ocr is True
    assert parsed.text == "Erkannter Text einer eingescannten Seite"
    assert len(ocr.images) == 1
    assert ocr.images[0].startswith(b"\x89PNG")


def test_ocr_page_limit_is_respected() -> None:
    ocr = _FakeOcr("Seite mit erkanntem Text")
    scans = [fx.scanned_pdf(f"Seite {n}", dpi=50) for n in range(3)]
    merged = _merge_pdfs(scans)
    parsed = PdfParser(ocr=ocr, max_ocr_pages=2, ocr_dpi=50).parse(merged)
    assert len(ocr.images) == 2
    assert parsed.pages == 3
    assert parsed.metadata["ocr_pages_skipped"] == "1"


def test_only_the_scanned_page_of_a_mixed_pdf_is_ocred() -> None:
    ocr = _FakeOcr("Kopie des Mietvertrags")
    mixed = _merge_pdfs([fx.pdf_with_text(fx.GERMAN_LETTER), fx.scanned_pdf("Mietvertrag", dpi=50)])
    parsed = PdfParser(ocr=ocr, ocr_dpi=50).parse(mixed)
    assert len(ocr.images) == 1
    assert parsed.parser == "pdf+ocr"
    assert parsed.metadata["ocr_pages"] == "1"
    assert parsed.text.endswith("Jürgen Müller\n\nKopie des Mietvertrags")


def test_mixed_pdf_without_ocr_keeps_the_text_and_notes_the_scan(registry: ParserRegistry) -> None:
    mixed = _merge_pdfs([fx.pdf_with_text(fx.GERMAN_LETTER), fx.scanned_pdf("Mietvertrag", dpi=50)])
    parsed = registry.parse(mixed)
    assert parsed.pages == 2
    assert "Antrag auf Wohngeld" in parsed.text
    assert parsed.metadata["pages_needing_ocr"] == "1"


def test_sparse_digital_pdf_is_not_mistaken_for_a_scan(registry: ParserRegistry) -> None:
    parsed = registry.parse(fx.pdf_with_text("Seite 1\fSeite 2"))
    assert parsed.text == "Seite 1\n\nSeite 2"
    assert parsed.ocr is False


def test_digital_pdf_is_not_sent_to_ocr() -> None:
    ocr = _FakeOcr("should not be used")
    parsed = PdfParser(ocr=ocr).parse(fx.pdf_with_text(fx.GERMAN_LETTER + "\f"))
    # The blank second page has no image, so a Tesseract run would be wasted on it.
    assert ocr.images == []
    assert parsed.parser == "pdf"


@pytest.mark.ocr
def test_scanned_pdf_is_read_by_tesseract(ocr_registry: ParserRegistry) -> None:
    data = fx.scanned_pdf("Antrag auf Wohngeld\nSehr geehrte Damen und Herren,\nGrüße aus Köln")
    parsed = ocr_registry.parse(data)
    assert parsed.parser == "pdf+ocr"
    assert parsed.ocr is True
    assert parsed.pages == 1
    for word in ("Antrag", "Wohngeld", "Damen", "Herren", "Köln"):
        assert word in parsed.text
    assert parsed.language == "de"


def _merge_pdfs(documents: list[bytes]) -> bytes:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in documents:
        writer.append(PdfReader(io.BytesIO(data)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
