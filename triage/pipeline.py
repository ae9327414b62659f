"""The ordered processing steps, run over a batch of documents, each with a typed result.

Steps compute; they do not write to the database. The processor applies their results in
one short transaction per document at the end, so slow work (parsing, OCR, embedding)
never holds a database lock, and a step that runs twice changes nothing the second time.
Steps see a batch because embedding 32 letters in one call is several times faster than
one at a time; a step that fails for one document stops only that document.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from triage.classify.base import Prediction
from triage.db.models import Document, DocumentStatus
from triage.db.types import utcnow
from triage.fields.schema import DocumentFields
from triage.links.finder import Link
from triage.links.service import apply_link
from triage.logs import correlation
from triage.parsing import ParsedDocument
from triage.priority.score import Priority
from triage.priority.service import apply_priority
from triage.routing.router import REVIEW_QUEUE, RouteDecision

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


@dataclass(frozen=True)
class Verdict:
    status: DocumentStatus
    stage: str | None = None
    reason: str | None = None


@dataclass
class DocumentContext:
    document_id: uuid.UUID
    tenant_id: uuid.UUID
    filename: str
    media_type: str
    received_at: datetime
    sha256: str = ""
    original: bytes = b""
    parsed: ParsedDocument | None = None
    vector: NDArray[np.float32] | None = None
    classifier: str | None = None
    model_version: str | None = None
    prediction: Prediction | None = None
    route: RouteDecision | None = None
    fields: DocumentFields | None = None
    priority: Priority | None = None
    # The earlier document this one follows up or repeats, and the route it would have had
    # on its own (kept for a reviewer who finds it is no duplicate).
    link: Link | None = None
    link_own_route: dict[str, Any] | None = None
    verdict: Verdict | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    # Seconds per step: its own for a per-document step, its share of a batch step's time.
    timings: dict[str, float] = field(default_factory=dict)

    def stop(self, exc: NeedsReviewError | StepFailedError) -> None:
        with correlation(self.document_id):
            if isinstance(exc, NeedsReviewError):
                log.info("needs review after %s: %s", exc.stage, exc.reason)
                self.verdict = Verdict(DocumentStatus.NEEDS_REVIEW, exc.stage, exc.reason)
            else:
                log.warning("failed in %s: %s", exc.stage, exc.reason)
                self.verdict = Verdict(DocumentStatus.FAILED, exc.stage, exc.reason)


class Step(Protocol):
    name: str

    def run(self, batch: Sequence[DocumentContext]) -> None:
        """Adds this step's result to each context, or stops a context with a verdict."""


class PerDocumentStep:
    """A step that handles one document at a time; errors stop only that document."""

    name = "step"

    def run(self, batch: Sequence[DocumentContext]) -> None:
        for ctx in batch:
            started = time.perf_counter()
            with correlation(ctx.document_id):
                try:
                    self.run_one(ctx)
                except (NeedsReviewError, StepFailedError) as exc:
                    ctx.stop(exc)
            ctx.timings[self.name] = time.perf_counter() - started

    def run_one(self, ctx: DocumentContext) -> None:
        raise NotImplementedError


class Pipeline:
    """``steps`` run in order on the documents not yet stopped; ``closing`` steps run on
    every document of the batch at the end, stopped or not (the priority: a document that
    failed waits in a queue too)."""

    def __init__(self, steps: Sequence[Step], *, closing: Sequence[Step] = ()) -> None:
        self.steps = list(steps)
        self.closing = list(closing)

    def run(self, batch: Sequence[DocumentContext]) -> None:
        timings: list[str] = []
        for step in self.steps:
            active = [ctx for ctx in batch if ctx.verdict is None]
            if not active:
                break
            timings.append(_timed(step, active))
        for ctx in batch:
            if ctx.verdict is None:
                ctx.verdict = _route_verdict(ctx.route)
        timings += [_timed(step, batch) for step in self.closing if batch]
        log.info("batch of %d: %s", len(batch), ", ".join(timings))


def _timed(step: Step, batch: Sequence[DocumentContext]) -> str:
    started = time.perf_counter()
    step.run(batch)
    elapsed = time.perf_counter() - started
    for ctx in batch:
        ctx.timings.setdefault(step.name, elapsed / len(batch))
    return f"{step.name} {elapsed:.2f} s"


def _route_verdict(decision: RouteDecision | None) -> Verdict:
    if decision is None or decision.review_reason is None:
        return Verdict(DocumentStatus.ROUTED)
    return Verdict(DocumentStatus.NEEDS_REVIEW, "classify", decision.review_reason)


def apply_results(document: Document, ctx: DocumentContext) -> None:
    """Writes what the steps found onto the document row (inside the caller's transaction)."""
    verdict = ctx.verdict or Verdict(DocumentStatus.ROUTED)
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
    if ctx.prediction is not None:
        document.case_type = ctx.prediction.case_type
        document.confidence = ctx.prediction.confidence
        document.alternatives = [
            {"case_type": key, "confidence": value} for key, value in ctx.prediction.alternatives
        ]
        document.classifier = ctx.classifier
        document.model_version = ctx.model_version
        explanation = ctx.prediction.explanation
        document.explanation = explanation.to_json() if explanation is not None else None
    # Fields belong to the text of this run: a reprocessed document loses the old ones.
    document.fields = ctx.fields.model_dump(mode="json") if ctx.fields is not None else None
    route = ctx.route
    # Every queued document has a priority (the closing priority step), routed or stopped.
    apply_priority(document, ctx.priority)
    apply_link(document, ctx.link, own_route=ctx.link_own_route)
    if route is not None:
        document.queue = route.queue
        document.due_at = route.due_at
        document.routed_at = utcnow()
    elif verdict.status in (DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED):
        # Stopped before routing: a person must look at it in the review queue.
        document.queue = REVIEW_QUEUE
    document.status = verdict.status
    document.stage = verdict.stage if verdict.status is DocumentStatus.FAILED else None
    document.error = verdict.reason if verdict.status is DocumentStatus.FAILED else None
    document.review_reason = (
        verdict.reason if verdict.status is DocumentStatus.NEEDS_REVIEW else None
    )
    document.claimed_by_kind = document.claimed_by_id = document.claimed_by_name = None
    document.claimed_at = document.lease_expires_at = document.completed_at = None
