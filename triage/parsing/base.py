"""The parsing contract: what a parser returns, how it fails, and the Parser protocol.

Every failure a parser can foresee is a :class:`ParseError` subclass whose ``reason`` is a
plain English sentence; the pipeline stores it and shows it to admins, so it must never
contain a raw library traceback or the document's content.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# The heading under which the PDF parser appends filled-in form field values
# ("<label>: <value>", one a line); field extraction and prompts find the section by it.
FORM_FIELDS_HEADING = "--- Formularfelder ---"


@dataclass(frozen=True)
class ParsedPart:
    """An attachment of an e-mail (or another container) and how parsing it went."""

    filename: str
    media_type: str | None
    chars: int
    error: str | None = None


@dataclass(frozen=True)
class ParsedDocument:
    """The text of one document plus what the caseworker and the classifier need to know."""

    text: str
    media_type: str
    parser: str
    pages: int | None = None
    ocr: bool = False
    language: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    parts: tuple[ParsedPart, ...] = ()


class ParseError(Exception):
    """Base of all foreseen parse failures; ``reason`` is safe to show via the API."""

    code: str = "parse_error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CorruptDocumentError(ParseError):
    code = "corrupt"


class PasswordProtectedError(ParseError):
    code = "password_protected"


class NeedsOcrError(ParseError):
    """The document only has text as pixels and no OCR engine is configured."""

    code = "needs_ocr"


class UnsupportedTypeError(ParseError):
    code = "unsupported_type"


class Parser(Protocol):
    """Turns the bytes of one sniffed media type into a :class:`ParsedDocument`.

    Parsers raise :class:`ParseError` subclasses for problems they understand; anything
    else is wrapped by the registry, so a parser need not catch every library error.
    """

    # Read-only, so a plain class attribute such as ``media_types = ("text/csv",)``
    # satisfies the protocol without spelling out ``tuple[str, ...]``.
    @property
    def name(self) -> str: ...

    @property
    def media_types(self) -> tuple[str, ...]: ...

    def parse(self, data: bytes) -> ParsedDocument: ...
