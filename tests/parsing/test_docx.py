"""Word documents: paragraphs and tables in order, letterhead, damaged files."""

from __future__ import annotations

import pytest

from tests.fixtures import documents as fx
from triage.parsing import CorruptDocumentError, ParserRegistry
from triage.parsing.sniff import DOCX


def test_paragraphs_and_table_rows(registry: ParserRegistry) -> None:
    data = fx.docx_file(
        ["Widerspruch gegen den Wohngeldbescheid", "Begründung: Die Miete wurde falsch erfasst."],
        [["Monat", "Miete"], ["Januar", "850 €"], ["Februar", "870 €"]],
        header="Jürgen Müller · Goethestraße 12 · 20095 Hamburg",
        title="Widerspruch",
    )
    parsed = registry.parse(data)
    assert parsed.parser == "docx"
    assert parsed.media_type == DOCX
    assert parsed.metadata["title"] == "Widerspruch"
    assert parsed.text == (
        "Jürgen Müller · Goethestraße 12 · 20095 Hamburg\n"
        "Widerspruch gegen den Wohngeldbescheid\n"
        "Begründung: Die Miete wurde falsch erfasst.\n"
        "Monat | Miete\n"
        "Januar | 850 €\n"
        "Februar | 870 €"
    )
    assert parsed.language == "de"


def test_merged_cells_appear_once(registry: ParserRegistry) -> None:
    import io

    import docx

    document = docx.Document(io.BytesIO(fx.docx_file([], [["a", "b", "c"], ["x", "y", "z"]])))
    table = document.tables[0]
    table.cell(0, 0).merge(table.cell(0, 1))
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = registry.parse(buffer.getvalue())
    assert parsed.text.splitlines()[0] == "a b | c"


def test_docx_with_broken_xml_is_corrupt(registry: ParserRegistry) -> None:
    data = fx.zip_file(
        {
            "[Content_Types].xml": b"<Types",
            "word/document.xml": b"<w:document><unclosed>",
        }
    )
    assert registry.sniff(data) == DOCX
    with pytest.raises(CorruptDocumentError) as caught:
        registry.parse(data)
    assert "Word document" in caught.value.reason
