"""Word (.docx) parser: paragraphs and tables in document order, plus headers and footers."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from triage.parsing.base import CorruptDocumentError, ParsedDocument, ParseError
from triage.parsing.normalize import normalize_text
from triage.parsing.sniff import DOCX

# A zip bomb posing as a letter would otherwise be inflated in memory by python-docx.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024


class DocxParser:
    name = "docx"
    media_types: tuple[str, ...] = (DOCX,)

    def parse(self, data: bytes) -> ParsedDocument:
        _check_size(data)
        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # python-docx and lxml raise anything from KeyError to XML errors
            raise CorruptDocumentError(
                f"The Word document is damaged or not a .docx file ({type(exc).__name__})."
            ) from exc
        blocks = _headers_and_footers(document, "header")
        for item in document.iter_inner_content():
            blocks.append(item.text if isinstance(item, Paragraph) else _table_text(item))
        blocks.extend(_headers_and_footers(document, "footer"))
        metadata: dict[str, str] = {}
        title = document.core_properties.title
        if title and title.strip():
            metadata["title"] = title.strip()
        return ParsedDocument(
            text=normalize_text("\n".join(blocks)),
            media_type=DOCX,
            parser=self.name,
            metadata=metadata,
        )


def _check_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise CorruptDocumentError(f"The Word document is damaged ({exc}).") from exc
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ParseError("The Word document unpacks to more than 200 MB and was not opened.")


def _table_text(table: Table) -> str:
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous: object = None
        for cell in row.cells:
            # Merged cells are reported once per grid column; repeat their text only once.
            if cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines) + "\n"


def _headers_and_footers(document: DocxDocument, kind: str) -> list[str]:
    # Letterheads carry the sender's name and address, which helps the classifier; the same
    # header is usually repeated by every section, so keep each text once.
    seen: set[str] = set()
    blocks: list[str] = []
    for section in document.sections:
        part = section.header if kind == "header" else section.footer
        if part.is_linked_to_previous:
            continue
        text = "\n".join(p.text for p in part.paragraphs if p.text.strip())
        if text and text not in seen:
            seen.add(text)
            blocks.append(text)
    return blocks
