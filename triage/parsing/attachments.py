"""Parsing the attachments of e-mails through the registry, shared by .eml and .msg.

Attachments go through the same registry as uploads, so an attached PDF, Word file or
forwarded e-mail gets exactly the treatment it would get on its own. Recursion is bounded
by a context variable because the Parser protocol passes bytes only.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

from triage.parsing.base import ParsedDocument, ParsedPart, ParseError, UnsupportedTypeError
from triage.parsing.sniff import sniff_media_type

MAX_DEPTH = 3
MAX_ATTACHMENTS = 50

_depth: ContextVar[int] = ContextVar("triage_parsing_attachment_depth", default=0)


class AttachmentRegistry(Protocol):
    def parse(self, data: bytes, *, media_type: str | None = None) -> ParsedDocument: ...


@dataclass(frozen=True)
class Attachment:
    """An attachment as the container hands it over; ``error`` when it could not be read."""

    filename: str
    data: bytes | None
    error: str | None = None


@dataclass
class AttachmentResults:
    sections: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    parts: list[ParsedPart] = field(default_factory=list)
    ocr: bool = False


def attachment_heading(filename: str) -> str:
    return f"--- Anhang: {filename} ---"


def parse_attachments(
    registry: AttachmentRegistry, attachments: Iterable[Attachment]
) -> AttachmentResults:
    """Parse each attachment; a failure becomes a part with ``error``, never an exception."""
    results = AttachmentResults()
    child_depth = _depth.get() + 1
    for number, attachment in enumerate(attachments):
        heading = attachment_heading(attachment.filename)
        data = attachment.data
        if number >= MAX_ATTACHMENTS:
            error = f"not parsed: more than {MAX_ATTACHMENTS} attachments"
        elif attachment.error is not None:
            error = attachment.error
        elif not data:
            error = "empty attachment"
        elif child_depth > MAX_DEPTH:
            error = f"not parsed: attachments nested more than {MAX_DEPTH} levels deep"
        else:
            token = _depth.set(child_depth)
            try:
                parsed = registry.parse(data)
            except UnsupportedTypeError:
                error = "unsupported type"
            except ParseError as exc:
                error = exc.reason
            else:
                error = None
            finally:
                _depth.reset(token)
            if error is None:
                results.parts.append(
                    ParsedPart(attachment.filename, parsed.media_type, len(parsed.text))
                )
                results.sections.append(f"{heading}\n{parsed.text}")
                results.texts.append(parsed.text)
                results.ocr = results.ocr or parsed.ocr
                continue
        media_type = sniff_media_type(data) if data else None
        results.parts.append(ParsedPart(attachment.filename, media_type, 0, error))
        # The heading stays in the text: a caseworker (and the classifier) should still see
        # that, for example, "Personalausweis.jpg" was attached even if it could not be read.
        results.sections.append(f"{heading}\n(nicht lesbar: {error})")
    return results
