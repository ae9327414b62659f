"""Turn uploaded documents into text: sniff the type from the content, pick a parser.

``build_default_registry`` wires up every built-in parser; a new format is one class
that satisfies :class:`Parser`, registered with :meth:`ParserRegistry.register`.
"""

from triage.parsing.base import (
    CorruptDocumentError,
    NeedsOcrError,
    ParsedDocument,
    ParsedPart,
    ParseError,
    Parser,
    PasswordProtectedError,
    UnsupportedTypeError,
)
from triage.parsing.docx import DocxParser
from triage.parsing.eml import EmlParser
from triage.parsing.image import ImageParser
from triage.parsing.language import detect_language
from triage.parsing.msg import MsgParser
from triage.parsing.normalize import normalize_text
from triage.parsing.ocr import OcrEngine, TesseractOcr
from triage.parsing.pdf import PdfParser
from triage.parsing.registry import ParserRegistry, build_default_registry
from triage.parsing.sniff import sniff_media_type
from triage.parsing.text import HtmlParser, TextParser, html_to_text

__all__ = [
    "CorruptDocumentError",
    "DocxParser",
    "EmlParser",
    "HtmlParser",
    "ImageParser",
    "MsgParser",
    "NeedsOcrError",
    "OcrEngine",
    "ParseError",
    "ParsedDocument",
    "ParsedPart",
    "Parser",
    "ParserRegistry",
    "PasswordProtectedError",
    "PdfParser",
    "TesseractOcr",
    "TextParser",
    "UnsupportedTypeError",
    "build_default_registry",
    "detect_language",
    "html_to_text",
    "normalize_text",
    "sniff_media_type",
]
