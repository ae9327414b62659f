"""Plain-text and HTML parsers, and the HTML-to-text helper the e-mail parsers reuse."""

from __future__ import annotations

import codecs
import re

import charset_normalizer
from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from triage.parsing.base import CorruptDocumentError, ParsedDocument
from triage.parsing.normalize import normalize_text
from triage.parsing.sniff import HTML, TEXT, detect_bom

# charset-normalizer is slow on large inputs; a prefix is plenty to judge the encoding.
_CHARSET_SAMPLE = 256 * 1024
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Browsers decode these labels as windows-1252, and so do the people who wrote the pages.
_WINDOWS_1252_ALIASES = {"ascii", "us-ascii", "latin-1", "latin1", "iso-8859-1", "iso8859-1"}

_DROP = {"script", "style", "head", "noscript", "template", "svg", "iframe", "object", "canvas"}
_PARAGRAPH = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "blockquote",
    "pre", "form", "fieldset", "figure", "address", "hr",
}  # fmt: skip
_BLOCK = {
    "div", "section", "article", "header", "footer", "main", "nav", "aside", "li", "tr",
    "dt", "dd", "caption", "figcaption", "legend", "option", "center", "details", "summary",
}  # fmt: skip
_CELLS = {"td", "th"}
_VALUE_INPUTS = {"", "text", "email", "tel", "number", "date", "search", "url"}
_WHITESPACE = re.compile(r"\s+")
# An XML declaration carries no text, and BeautifulSoup warns about it in front of non-XHTML.
_XML_DECLARATION = re.compile(r"^\ufeff?\s*<\?xml[^>]*>")


class TextParser:
    name = "text"
    media_types: tuple[str, ...] = (TEXT,)

    def parse(self, data: bytes) -> ParsedDocument:
        text, encoding = decode_text(data)
        return ParsedDocument(
            text=normalize_text(text),
            media_type=TEXT,
            parser=self.name,
            metadata={"encoding": encoding},
        )


class HtmlParser:
    name = "html"
    media_types: tuple[str, ...] = (HTML,)

    def parse(self, data: bytes) -> ParsedDocument:
        text, title = _convert(decode_html(data))
        metadata = {"title": title} if title else {}
        return ParsedDocument(text=text, media_type=HTML, parser=self.name, metadata=metadata)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file: BOM first, then strict UTF-8, then charset-normalizer's guess."""
    bom = detect_bom(data)
    if bom is not None:
        encoding, skip = bom
        return data[skip:].decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:_CHARSET_SAMPLE]).best()
    if best is None:
        raise CorruptDocumentError("The character encoding of the text could not be recognised.")
    encoding = best.encoding
    # Short German texts fit several single-byte code pages equally well; when windows-1252
    # decodes them identically it is by far the likeliest source (Windows editors, Outlook).
    if encoding != "cp1252" and "cp1252" in best.could_be_from_charset:
        encoding = "cp1252"
    return data.decode(encoding, errors="replace"), encoding


def decode_html(data: bytes) -> str:
    """Decode HTML bytes, honouring a BOM or a ``<meta charset>`` before guessing."""
    if detect_bom(data) is None:
        match = _META_CHARSET.search(data[:4096])
        if match is not None:
            label = match.group(1).decode("ascii").lower()
            if label in _WINDOWS_1252_ALIASES:
                label = "cp1252"
            try:
                codecs.lookup(label)
            except LookupError:
                pass
            else:
                return data.decode(label, errors="replace")
    return decode_text(data)[0]


def html_to_text(markup: str) -> str:
    """Readable text of an HTML document or fragment, block structure kept as line breaks."""
    return _convert(markup)[0]


def _convert(markup: str) -> tuple[str, str | None]:
    if "<" not in markup:
        # Not markup at all; also keeps BeautifulSoup from warning that it looks like a URL.
        return normalize_text(markup), None
    soup = BeautifulSoup(_XML_DECLARATION.sub("", markup, count=1), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    return normalize_text(_render(soup)), title or None


_Item = Tag | NavigableString | tuple[str, int]
# Output tokens: text, or a block boundary worth n newlines; _BREAK is a <br>.
_Token = str | int
_BREAK = -1


def _render(soup: BeautifulSoup) -> str:
    # An explicit stack instead of recursion: hostile HTML can nest thousands of levels deep.
    out: list[_Token] = []
    stack: list[_Item] = [soup]
    in_pre = 0
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            action, newlines = node
            if action == "end_pre":
                in_pre -= 1
            out.append(newlines)
        elif isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                out.append(str(node) if in_pre else _WHITESPACE.sub(" ", str(node)))
        elif node.name not in _DROP:
            in_pre += _expand(node, stack, out)
    return _join(out)


def _expand(node: Tag, stack: list[_Item], out: list[_Token]) -> int:
    """Emit the opening of ``node`` and schedule its children; returns 1 when entering <pre>."""
    name = node.name
    if name == "br":
        out.append(_BREAK)
        return 0
    if name == "input":
        value = node.get("value")
        kind = str(node.get("type") or "").lower()
        if isinstance(value, str) and value.strip() and kind in _VALUE_INPUTS:
            out.append(f" {value} ")
        return 0
    newlines = 2 if name in _PARAGRAPH else 1 if name in _BLOCK else 0
    if name in _CELLS and node.find_previous_sibling(_CELLS) is not None:
        out.append(" | ")
    out.append(newlines)
    stack.append(("end_pre" if name == "pre" else "end", newlines))
    stack.extend(
        child for child in reversed(node.contents) if isinstance(child, Tag | NavigableString)
    )
    return 1 if name == "pre" else 0


def _join(tokens: list[_Token]) -> str:
    """Concatenate, merging adjacent block boundaries so nested blocks add no blank lines."""
    parts: list[str] = []
    pending = 0
    for token in tokens:
        if token == _BREAK:
            pending += 1
        elif isinstance(token, int):
            pending = max(pending, token)
        elif pending and not token.strip() and "\n" not in token:
            continue  # source indentation between blocks
        else:
            if pending and parts:
                parts.append("\n" * pending)
            pending = 0
            parts.append(token)
    return "".join(parts)
