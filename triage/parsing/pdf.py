"""PDF parser: the text layer via pypdf, form field values, and OCR for scanned pages."""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager

import pypdfium2
import pypdfium2.raw as pdfium_raw
from pypdf import PageObject, PasswordType, PdfReader

from triage.parsing.base import (
    FORM_FIELDS_HEADING,
    CorruptDocumentError,
    NeedsOcrError,
    ParsedDocument,
    PasswordProtectedError,
)
from triage.parsing.normalize import normalize_text
from triage.parsing.ocr import OcrEngine
from triage.parsing.pdf_forms import form_fields
from triage.parsing.sniff import PDF

log = logging.getLogger(__name__)

# The end-of-file marker may be followed by a little padding from mail gateways or scanners.
_EOF_WINDOW = 2048
# OCR at a high dpi on a poster-sized page would allocate gigabytes; cap the bitmap instead.
_MAX_RENDER_SIDE_PX = 7000
_NON_SPACE = re.compile(r"\S")
# PDFium is not thread-safe, not even across documents, and the worker runs in threads.
_PDFIUM_LOCK = threading.Lock()

_pypdf_quiet_lock = threading.Lock()
_pypdf_quiet_users = 0
_pypdf_saved_level = logging.NOTSET


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Hide pypdf's per-object repair warnings while a parse runs.

    Citizen uploads are often slightly broken; pypdf repairs them and logs every fix, which
    drowns the service log. Reference-counted so overlapping parses in threads restore
    the level only when the last one finishes.
    """
    global _pypdf_quiet_users, _pypdf_saved_level
    logger = logging.getLogger("pypdf")
    with _pypdf_quiet_lock:
        if _pypdf_quiet_users == 0:
            _pypdf_saved_level = logger.level
            logger.setLevel(logging.ERROR)
        _pypdf_quiet_users += 1
    try:
        yield
    finally:
        with _pypdf_quiet_lock:
            _pypdf_quiet_users -= 1
            if _pypdf_quiet_users == 0:
                logger.setLevel(_pypdf_saved_level)


class PdfParser:
    name = "pdf"
    media_types: tuple[str, ...] = (PDF,)

    def __init__(
        self,
        *,
        ocr: OcrEngine | None = None,
        max_ocr_pages: int = 30,
        ocr_dpi: int = 300,
        min_chars_per_page: int = 20,
    ) -> None:
        self._ocr = ocr
        self._max_ocr_pages = max_ocr_pages
        self._ocr_dpi = ocr_dpi
        self._min_chars = min_chars_per_page

    def parse(self, data: bytes) -> ParsedDocument:
        if b"%%EOF" not in data[-_EOF_WINDOW:]:
            raise CorruptDocumentError(
                "The PDF is damaged or truncated (its end-of-file marker is missing)."
            )
        with _quiet_pypdf():
            reader = _open(data)
            texts = _page_texts(reader)
            field_count, fields = form_fields(reader)
            metadata = _metadata(reader)
        counts = [len(_NON_SPACE.findall(text)) for text in texts]
        thin = [i for i, count in enumerate(counts) if count < self._min_chars]
        scanned = sum(counts) / len(texts) < self._min_chars
        ocr_pages = 0
        if self._ocr is not None and thin:
            ocr_pages = self._ocr_pages(data, thin, texts, force=scanned, metadata=metadata)
        elif thin:
            # Only pages with an image have pixels OCR could read; a sparse digital PDF
            # (a cover sheet, a one-line note) is not a scan.
            with _quiet_pypdf():
                pictured = sum(_has_images(reader.pages[i]) for i in thin)
            if pictured and scanned:
                raise NeedsOcrError(
                    "needs OCR: the PDF has no text layer and OCR (Tesseract) is not installed."
                )
            if pictured:
                metadata["pages_needing_ocr"] = str(pictured)
        body = "\n\n".join(text for text in texts if text.strip())
        if field_count:
            metadata["form_fields"] = str(field_count)
            metadata["form_fields_filled"] = str(len(fields))
        if fields:
            lines = [f"{label}: {value}" for label, value in fields]
            body = f"{body}\n\n{FORM_FIELDS_HEADING}\n" + "\n".join(lines)
        return ParsedDocument(
            text=normalize_text(body),
            media_type=PDF,
            parser="pdf+ocr" if ocr_pages else self.name,
            pages=len(texts),
            ocr=ocr_pages > 0,
            metadata=metadata,
        )

    def _ocr_pages(
        self,
        data: bytes,
        candidates: list[int],
        texts: list[str],
        *,
        force: bool,
        metadata: dict[str, str],
    ) -> int:
        """OCR thin pages in place in ``texts``; returns how many pages gave OCR text.

        In a scanned PDF every page is OCRed. In a mostly digital one only thin pages
        that hold an image are: a blank back side is not worth a Tesseract run.
        """
        assert self._ocr is not None
        if len(candidates) > self._max_ocr_pages:
            metadata["ocr_pages_skipped"] = str(len(candidates) - self._max_ocr_pages)
            candidates = candidates[: self._max_ocr_pages]
        used = 0
        pages = _render(data, candidates, self._ocr_dpi, only_with_images=not force)
        try:
            for index, png in pages:
                recognised = self._ocr.image_to_text(png)
                if len(_NON_SPACE.findall(recognised)) > len(_NON_SPACE.findall(texts[index])):
                    texts[index] = recognised
                    used += 1
        except pypdfium2.PdfiumError as exc:
            raise CorruptDocumentError(
                f"The PDF is damaged: its pages could not be rendered for OCR ({exc})."
            ) from exc
        finally:
            pages.close()
        if used:
            metadata["ocr_pages"] = str(used)
        return used


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and _decrypt(reader) == PasswordType.NOT_DECRYPTED:
            raise PasswordProtectedError(
                "The PDF is password-protected; the intake cannot open it without the password."
            )
        if len(reader.pages) == 0:
            raise CorruptDocumentError("The PDF has no pages.")
    except (PasswordProtectedError, CorruptDocumentError):
        raise
    except Exception as exc:  # pypdf raises many unrelated types on broken structures
        raise CorruptDocumentError(
            f"The PDF is damaged or truncated ({type(exc).__name__}: {str(exc)[:200]})."
        ) from exc
    return reader


def _decrypt(reader: PdfReader) -> PasswordType:
    """Try the empty user password, which owner-locked forms from the authorities use."""
    try:
        return reader.decrypt("")
    except NotImplementedError as exc:  # an encryption handler pypdf does not implement
        raise PasswordProtectedError(
            f"The PDF is encrypted with a method the intake cannot open ({exc})."
        ) from exc


def _page_texts(reader: PdfReader) -> list[str]:
    texts: list[str] = []
    failures = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(page.extract_text())
        except Exception:  # one bad font or content stream must not lose the other pages
            log.info("text extraction failed on page %d", number, exc_info=True)
            failures += 1
            texts.append("")
    if failures == len(texts):
        raise CorruptDocumentError("The PDF is damaged: no page's text could be read.")
    return texts


def _has_images(page: PageObject) -> bool:
    try:
        return len(page.images) > 0
    except Exception:  # unreadable resources: assume a scan rather than lose its text
        return True


def _metadata(reader: PdfReader) -> dict[str, str]:
    metadata: dict[str, str] = {}
    try:
        info = reader.metadata
        title = info.title if info is not None else None
    except Exception:  # a broken info dictionary is irrelevant to the text
        title = None
    if isinstance(title, str) and title.strip():
        metadata["title"] = title.strip()
    if reader.is_encrypted:
        metadata["encrypted"] = "owner-password-only"
    return metadata


def _render(
    data: bytes, indices: list[int], dpi: int, *, only_with_images: bool
) -> Generator[tuple[int, bytes], None, None]:
    """PNGs of the given pages; the PDFium lock is held per page, not during OCR."""
    with _PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(data)
    try:
        for index in indices:
            with _PDFIUM_LOCK:
                png = _render_page(document, index, dpi, only_with_images)
            if png is not None:
                yield index, png
    finally:
        with _PDFIUM_LOCK:
            document.close()


def _render_page(
    document: pypdfium2.PdfDocument, index: int, dpi: int, only_with_images: bool
) -> bytes | None:
    page = document[index]
    try:
        if only_with_images and not any(
            page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=3)
        ):
            return None
        width, height = page.get_size()
        scale = min(dpi / 72, _MAX_RENDER_SIDE_PX / max(width, height, 1))
        image = page.render(scale=scale, grayscale=True).to_pil()
        buffer = io.BytesIO()
        effective_dpi = round(scale * 72)
        image.save(buffer, format="PNG", dpi=(effective_dpi, effective_dpi))
        return buffer.getvalue()
    finally:
        page.close()
