"""The registry: type lookup, error wrapping, language, and extension by registration."""

from __future__ import annotations

import pytest

from tests.fixtures import documents as fx
from triage.parsing import (
    CorruptDocumentError,
    NeedsOcrError,
    ParsedDocument,
    ParserRegistry,
    UnsupportedTypeError,
    build_default_registry,
)


class _ExplodingParser:
    name = "exploding"
    media_types = ("text/plain",)

    def __init__(self, error: Exception) -> None:
        self.error = error

    def parse(self, data: bytes) -> ParsedDocument:
        raise self.error


class _CsvParser:
    name = "csv"
    media_types = ("text/csv",)

    def parse(self, data: bytes) -> ParsedDocument:
        rows = [line.split(";") for line in data.decode().splitlines()]
        text = "\n".join(" | ".join(row) for row in rows)
        return ParsedDocument(text=text, media_type="text/csv", parser=self.name)


def test_default_registry_supports_all_formats(registry: ParserRegistry) -> None:
    assert registry.supported_types() == [
        "application/pdf",
        "application/vnd.ms-outlook",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "image/bmp",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/tiff",
        "image/webp",
        "message/rfc822",
        "text/html",
        "text/plain",
    ]


@pytest.mark.parametrize(
    "error",
    [KeyError("/Root"), ValueError("bad stream"), RecursionError(), MemoryError(), OSError(5)],
)
def test_unexpected_exceptions_become_corrupt_document_errors(error: Exception) -> None:
    registry = ParserRegistry([_ExplodingParser(error)])
    with pytest.raises(CorruptDocumentError) as caught:
        registry.parse(b"some text")
    assert caught.value.code == "corrupt"
    assert "exploding parser could not read the file" in caught.value.reason
    assert type(error).__name__ in caught.value.reason
    assert caught.value.__cause__ is error


def test_parse_errors_pass_through_unchanged() -> None:
    error = NeedsOcrError("needs OCR: test")
    registry = ParserRegistry([_ExplodingParser(error)])
    with pytest.raises(NeedsOcrError) as caught:
        registry.parse(b"some text")
    assert caught.value is error


def test_unrecognised_bytes_are_unsupported(registry: ParserRegistry) -> None:
    with pytest.raises(UnsupportedTypeError) as caught:
        registry.parse(fx.random_bytes(4096))
    assert caught.value.code == "unsupported_type"
    assert registry.sniff(fx.random_bytes(4096)) is None


def test_sniff_only_reports_types_a_parser_handles() -> None:
    pdf_only = ParserRegistry([])
    assert pdf_only.sniff(fx.pdf_with_text("x")) is None
    with pytest.raises(UnsupportedTypeError) as caught:
        pdf_only.parse(fx.pdf_with_text("x"))
    assert "application/pdf" in caught.value.reason


def test_explicit_media_type_wins_and_parameters_are_ignored(registry: ParserRegistry) -> None:
    html = b"<p>Antrag <b>Wohngeld</b></p>"
    assert registry.parse(html).text == "<p>Antrag <b>Wohngeld</b></p>"  # sniffs text/plain
    parsed = registry.parse(html, media_type="Text/HTML; charset=utf-8")
    assert parsed.text == "Antrag Wohngeld"


def test_new_format_only_needs_registration() -> None:
    registry = build_default_registry(ocr=None)
    registry.register(_CsvParser())
    assert "text/csv" in registry.supported_types()
    parsed = registry.parse("Name;Ort\nMüller;Köln".encode(), media_type="text/csv")
    assert parsed.text == "Name | Ort\nMüller | Köln"


def test_language_is_filled_in_when_the_parser_leaves_it_open(registry: ParserRegistry) -> None:
    english = b"Dear Sir or Madam, please find my application for housing benefit attached."
    assert registry.parse(english).language == "en"
    assert registry.parse(b"Hallo").language is None
