"""The registry maps sniffed media types to parsers; new formats register, nothing else moves."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from triage.parsing.base import (
    CorruptDocumentError,
    ParsedDocument,
    ParseError,
    Parser,
    UnsupportedTypeError,
)
from triage.parsing.docx import DocxParser
from triage.parsing.eml import EmlParser
from triage.parsing.image import ImageParser
from triage.parsing.language import detect_language
from triage.parsing.msg import MsgParser
from triage.parsing.ocr import OcrEngine
from triage.parsing.pdf import PdfParser
from triage.parsing.sniff import sniff_media_type
from triage.parsing.text import HtmlParser, TextParser

log = logging.getLogger(__name__)


def _normalise_media_type(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


class ParserRegistry:
    def __init__(self, parsers: Iterable[Parser] = ()) -> None:
        self._parsers: dict[str, Parser] = {}
        for parser in parsers:
            self.register(parser)

    def register(self, parser: Parser) -> None:
        """Add ``parser`` for its media types; it replaces an earlier parser for the same type."""
        for media_type in parser.media_types:
            self._parsers[_normalise_media_type(media_type)] = parser

    def sniff(self, data: bytes) -> str | None:
        """The sniffed media type of ``data`` if a registered parser handles it."""
        media_type = sniff_media_type(data)
        return media_type if media_type in self._parsers else None

    def supported_types(self) -> list[str]:
        return sorted(self._parsers)

    def parse(self, data: bytes, *, media_type: str | None = None) -> ParsedDocument:
        """Parse ``data`` with the parser for its (given or sniffed) media type.

        Only :class:`ParseError` subclasses leave this method: anything else a parser
        raises is a library failing on a damaged file and becomes CorruptDocumentError.
        """
        if media_type is None:
            media_type = sniff_media_type(data)
            if media_type is None:
                raise UnsupportedTypeError(
                    "Unsupported type: the file format was not recognised from its content."
                )
        media_type = _normalise_media_type(media_type)
        parser = self._parsers.get(media_type)
        if parser is None:
            raise UnsupportedTypeError(f"Unsupported type: {media_type} files cannot be read.")
        try:
            parsed = parser.parse(data)
        except ParseError:
            raise
        except Exception as exc:
            log.warning("parser %s failed on a %s document", parser.name, media_type, exc_info=True)
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise CorruptDocumentError(
                f"The {parser.name} parser could not read the file; it is probably damaged "
                f"({type(exc).__name__}{': ' + detail if detail else ''})."
            ) from exc
        if parsed.language is None:
            parsed = dataclasses.replace(parsed, language=detect_language(parsed.text))
        return parsed


def build_default_registry(
    *, ocr: OcrEngine | None, max_ocr_pages: int = 30, ocr_dpi: int = 300
) -> ParserRegistry:
    """All built-in parsers; ``ocr=None`` makes scans fail with NeedsOcrError."""
    registry = ParserRegistry(
        [
            PdfParser(ocr=ocr, max_ocr_pages=max_ocr_pages, ocr_dpi=ocr_dpi),
            ImageParser(ocr=ocr, max_pages=max_ocr_pages),
            DocxParser(),
            TextParser(),
            HtmlParser(),
        ]
    )
    # The container parsers hand their attachments back to this same registry.
    registry.register(EmlParser(registry))
    registry.register(MsgParser(registry))
    return registry
