"""The triage path's steps: parse, embed, classify and route, fields, index the vector."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from triage.assist.fields import pattern_fields
from triage.classify.base import Classifier
from triage.embedding import Embedder
from triage.parsing import NeedsOcrError, ParseError, ParserRegistry
from triage.pipeline import DocumentContext, NeedsReviewError, PerDocumentStep, StepFailedError
from triage.routing.router import route
from triage.taxonomy import Taxonomy
from triage.vectors import VectorPoint, VectorStore

log = logging.getLogger(__name__)


class ParseStep(PerDocumentStep):
    name = "parse"

    def __init__(self, registry: ParserRegistry) -> None:
        self._registry = registry

    def run_one(self, ctx: DocumentContext) -> None:
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


class EmbedStep:
    """All texts of the batch in one call: the model's throughput depends on batching."""

    name = "embed"

    def __init__(self, embedder: Callable[[], Embedder], *, batch_size: int = 32) -> None:
        self._embedder = embedder
        self._batch_size = batch_size

    def run(self, batch: Sequence[DocumentContext]) -> None:
        texts = [ctx.parsed.text if ctx.parsed else "" for ctx in batch]
        vectors = self._embedder().encode_documents(texts, batch_size=self._batch_size)
        for ctx, vector in zip(batch, vectors, strict=True):
            ctx.vector = vector


@dataclass(frozen=True)
class TenantModel:
    """What classifies a tenant's documents; ``version`` is the trained model's (``None``:
    the zero-shot classifier from the case-type descriptions)."""

    taxonomy: Taxonomy
    classifier: Classifier
    version: str | None = None


class ClassifyStep:
    """Classifies with the tenant's classifier and routes by the confidence threshold: the
        trained model's own per-class threshold, or the tenant's (its rules, else the
    installation's) for the zero-shot classifier.

        A document below the threshold is not stopped here: it still gets its vector indexed,
        and the pipeline turns its route into the ``needs_review`` verdict at the end."""

    name = "classify"

    def __init__(
        self,
        model_for: Callable[[uuid.UUID], TenantModel],
        *,
        threshold: Callable[[uuid.UUID], float],
    ) -> None:
        self._model_for = model_for
        self._threshold = threshold

    def run(self, batch: Sequence[DocumentContext]) -> None:
        by_tenant: dict[uuid.UUID, list[DocumentContext]] = {}
        for ctx in batch:
            by_tenant.setdefault(ctx.tenant_id, []).append(ctx)
        for tenant_id, group in by_tenant.items():
            threshold = self._threshold(tenant_id)
            model = self._model_for(tenant_id)
            vectors = np.stack([ctx.vector for ctx in group if ctx.vector is not None])
            texts = [ctx.parsed.text if ctx.parsed else "" for ctx in group]
            predictions = model.classifier.classify(vectors, texts)
            for ctx, prediction in zip(group, predictions, strict=True):
                ctx.prediction = prediction
                ctx.classifier = model.classifier.name
                ctx.model_version = model.version
                ctx.route = route(
                    prediction=prediction,
                    taxonomy=model.taxonomy,
                    threshold=threshold,
                    received_at=ctx.received_at,
                )


class FieldsStep(PerDocumentStep):
    """Sender, references, dates, deadlines, amounts … by patterns, for every document and
    without any LLM; relative deadlines count from the day the document arrived.

    Enrichment, not triage: should an extractor break on some text, the document is still
    routed, without fields."""

    name = "fields"

    def __init__(self, *, land_for: Callable[[uuid.UUID], str | None]) -> None:
        """``land_for`` names a tenant's Land (its priority policy's): periods end on its
        working days."""
        self._land_for = land_for
        self._lands: dict[uuid.UUID, str | None] = {}

    def run(self, batch: Sequence[DocumentContext]) -> None:
        self._lands = {}  # read once per batch and tenant
        super().run(batch)

    def run_one(self, ctx: DocumentContext) -> None:
        if ctx.parsed is None:
            return
        if ctx.tenant_id not in self._lands:
            self._lands[ctx.tenant_id] = self._land_for(ctx.tenant_id)
        try:
            ctx.fields = pattern_fields(
                ctx.parsed.text, received_at=ctx.received_at, land=self._lands[ctx.tenant_id]
            )
        except Exception as exc:
            log.exception("field extraction failed; the document goes on without fields")
            ctx.notes.append({"step": self.name, "error": f"{type(exc).__name__}: {exc}"})


class IndexStep:
    """Stores each vector with the tenant and case type, for similar-case search later."""

    name = "index"

    def __init__(self, store: Callable[[], VectorStore]) -> None:
        self._store = store

    def run(self, batch: Sequence[DocumentContext]) -> None:
        points = [
            VectorPoint(
                id=ctx.document_id,
                tenant_id=ctx.tenant_id,
                vector=ctx.vector,
                payload={
                    "case_type": ctx.prediction.case_type if ctx.prediction else None,
                    "queue": ctx.route.queue if ctx.route else None,
                },
            )
            for ctx in batch
            if ctx.vector is not None
        ]
        if points:
            self._store().upsert(points)
