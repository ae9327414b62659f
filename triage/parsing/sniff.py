"""Recognise a document's type from its content; the uploaded filename is never trusted.

Only a prefix is inspected where the format allows it, so sniffing a 50 MB upload stays
cheap; ZIP and OLE2 containers are the exception, as their directory sits anywhere.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import unicodedata
import zipfile

import charset_normalizer
import olefile

log = logging.getLogger(__name__)

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
GIF = "image/gif"
BMP = "image/bmp"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OUTLOOK_MSG = "application/vnd.ms-outlook"
EMAIL = "message/rfc822"
HTML = "text/html"
TEXT = "text/plain"

# Real PDF readers accept junk (mail gateway banners, BOMs) before the header.
_PDF_HEADER_WINDOW = 1024
_TEXT_PREFIX = 64 * 1024
_CHARSET_PREFIX = 32 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BMP_DIB_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
)
# Longest-first, because the UTF-32 LE BOM starts with the UTF-16 LE BOM.
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_LINE = re.compile(r"^[!-9;-~]+:")
_MAIL_HEADERS = {"date", "subject", "message-id", "mime-version", "to", "received"}
_ALLOWED_CONTROLS = set("\t\n\r\x0c\x0b\x1a")


def sniff_media_type(data: bytes) -> str | None:
    """The media type of ``data`` judged by its content, or None when unrecognised."""
    if not data:
        return None
    head = data[:16]
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if _is_bmp(data):
        return BMP
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if head.startswith(_OLE_MAGIC):
        return _sniff_ole(data)
    if b"%PDF-" in data[: _PDF_HEADER_WINDOW + 5]:
        return PDF
    text = decode_prefix(data[:_TEXT_PREFIX])
    if text is None or not _looks_like_text(text):
        return None
    if _looks_like_email(text):
        return EMAIL
    if _looks_like_html(text):
        return HTML
    return TEXT


def detect_bom(data: bytes) -> tuple[str, int] | None:
    """The codec named by a byte-order mark and the BOM's length, if there is one."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None


def decode_prefix(prefix: bytes) -> str | None:
    """Decode the start of a text file, tolerating a multi-byte character cut at the end."""
    bom = detect_bom(prefix)
    if bom is not None:
        encoding, skip = bom
        return _decode_incremental(prefix[skip:], encoding)
    if b"\x00" in prefix:
        return None
    utf8 = _decode_incremental(prefix, "utf-8")
    if utf8 is not None:
        return utf8
    best = charset_normalizer.from_bytes(prefix[:_CHARSET_PREFIX]).best()
    if best is None:
        return None
    return str(best)


def _decode_incremental(data: bytes, encoding: str) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None


def _looks_like_text(text: str) -> bool:
    if "\x00" in text:
        return False
    sample = text[:_TEXT_PREFIX]
    bad = sum(
        1
        for ch in sample
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"}
    )
    bad += sample.count("\ufffd")
    # Real text has next to none; binary decoded as a legacy code page has one in eight.
    return bad * 100 <= len(sample)


def _looks_like_email(text: str) -> bool:
    """An RFC 5322 header block (optionally after an mbox ``From `` line) ending blank."""
    lines = text.split("\n")
    if lines and lines[0].startswith("From "):
        lines = lines[1:]
    names: set[str] = set()
    for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            return "from" in names and bool(names & _MAIL_HEADERS)
        if line[0] in " \t":
            if not names:
                return False
            continue
        if not _HEADER_LINE.match(line):
            return False
        names.add(line.split(":", 1)[0].lower())
    return False


def _looks_like_html(text: str) -> bool:
    start = text.lstrip("\ufeff \t\r\n")[:64].lower()
    if start.startswith(("<!doctype html", "<html", "<head>", "<body")):
        return True
    return "<html" in text[:1024].lower()


def _is_bmp(data: bytes) -> bool:
    # "BM" alone also starts ordinary text, so check the DIB header size as well.
    if len(data) < 26 or not data.startswith(b"BM"):
        return False
    return int.from_bytes(data[14:18], "little") in _BMP_DIB_HEADER_SIZES


def _sniff_zip(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    return DOCX if "word/document.xml" in names else None


def _sniff_ole(data: bytes) -> str | None:
    try:
        with olefile.OleFileIO(data) as ole:
            entries = ole.listdir(streams=True, storages=True)
    except Exception:  # olefile raises a wide variety of errors on damaged files
        log.debug("OLE2 container could not be listed", exc_info=True)
        return None
    if any(entry and entry[0].startswith("__substg1.0_") for entry in entries):
        return OUTLOOK_MSG
    return None
