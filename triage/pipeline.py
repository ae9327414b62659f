"""The ordered processing steps of one document, each small and with a typed result.

Steps compute; they do not write to the database. The processor applies their results in
one short transaction at the end, so slow work (parsing, OCR, embedding) never holds a
database lock, and a step that runs twice changes nothing the second time.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from triage.db.models import Document, DocumentStatus
from triage.parsing import NeedsOcrError, ParsedDocument, ParseError, ParserRegistry

log = logging.getLogger(__name__)


class StepFailedError(Exception):
    """The document cannot go on: it is marked failed with the stage and the reason."""

    def __init__(self, stage: str, reason: str, code: str = "failed") -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason
        self.code = code


class NeedsReviewError(Exception):
    """The document stops here and waits for a person, with the reason."""

    def __init__(self, stage: str, reason: str) -> None:
        super().__init__(f"{stage}: {reason}")
        self.stage = stage
        self.reason = reason


@dataclass
class DocumentContext:
    document_id: uuid.UUID
    tenant_id: uuid.UUID
    filename: str
    media_type: str
    original: bytes
    parsed: ParsedDocument | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)


class Step(Protocol):
    name: str

    def run(self, ctx: DocumentContext) -> None:
        """Adds this step's typed result to the context, or raises one of the errors above."""


@dataclass(frozen=True)
class Verdict:
    status: DocumentStatus
    stage: str | None = None
    reason: str | None = None


class ParseStep:
    name = "parse"

    def __init__(self, registry: ParserRegistry) -> None:
        self._registry = registry

    def run(self, ctx: DocumentContext) -> None:
        try:
            ctx.parsed = self._registry.parse(ctx.original, media_type=ctx.media_type)
        except NeedsOcrError as exc:
            raise NeedsReviewError(self.name, exc.reason) from exc
        except ParseError as exc:
            raise StepFailedError(self.name, exc.reason, exc.code) from exc
        if not ctx.parsed.text.strip():
            raise NeedsReviewError(self.name, "no text found in the document")
        failed_parts = [p for p in ctx.parsed.parts if p.error]
        ctx.notes.append(
            {
                "step": self.name,
                "parser": ctx.parsed.parser,
                "chars": len(ctx.parsed.text),
                "language": ctx.parsed.language,
                "attachments": len(ctx.parsed.parts),
                "failed_attachments": [
                    {"filename": p.filename, "error": p.error} for p in failed_parts
                ],
            }
        )


class AwaitClassifierStep:
    """Until a classifier is configured every parsed document waits for a person."""

    name = "classify"

    def run(self, ctx: DocumentContext) -> None:
        raise NeedsReviewError(self.name, "no classifier configured yet")


class Pipeline:
    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = list(steps)

    def run(self, ctx: DocumentContext) -> Verdict:
        for step in self.steps:
            try:
                step.run(ctx)
            except NeedsReviewError as exc:
                log.info("needs review after %s: %s", exc.stage, exc.reason)
                return Verdict(DocumentStatus.NEEDS_REVIEW, exc.stage, exc.reason)
            except StepFailedError as exc:
                log.warning("failed in %s: %s", exc.stage, exc.reason)
                return Verdict(DocumentStatus.FAILED, exc.stage, exc.reason)
        return Verdict(DocumentStatus.ROUTED)


def apply_results(document: Document, ctx: DocumentContext, verdict: Verdict) -> None:
    """Writes what the steps found onto the document row (inside the caller's transaction)."""
    parsed = ctx.parsed
    if parsed is not None:
        document.text = parsed.text
        document.text_chars = len(parsed.text)
        document.language = parsed.language
        document.parser = parsed.parser
        document.pages = parsed.pages
        document.ocr = parsed.ocr
        document.parse_metadata = {
            **parsed.metadata,
            "parts": [
                {
                    "filename": p.filename,
                    "media_type": p.media_type,
                    "chars": p.chars,
                    "error": p.error,
                }
                for p in parsed.parts
            ],
        }
    document.status = verdict.status
    document.stage = verdict.stage if verdict.status is DocumentStatus.FAILED else None
    document.error = verdict.reason if verdict.status is DocumentStatus.FAILED else None
    document.review_reason = (
        verdict.reason if verdict.status is DocumentStatus.NEEDS_REVIEW else None
    )
