"""Figures the database holds, computed when Prometheus scrapes: a few GROUP BY queries.

Queue depth and the oldest waiting document per tenant and queue, documents per status,
the distribution of stored classifier confidences, and the LLM usage per tenant. Every
query groups by tenant in the database, so a scrape costs the same few queries whether the
installation holds a hundred documents or a hundred thousand; with ``tenant_id`` every
query is limited to that tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from triage.assist.store import usage_sums
from triage.db.models import Document, DocumentStatus, LlmUsage, Tenant
from triage.db.types import utcnow
from triage.queues.service import QUEUED_STATES

CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


class DatabaseCollector(Collector):
    """``queues_for`` names a tenant's queues (its taxonomy's plus review), so an empty
    queue reports 0 instead of vanishing from Prometheus."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        queues_for: Callable[[uuid.UUID], Sequence[str]],
        tenant_id: uuid.UUID | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._factory = session_factory
        self._queues_for = queues_for
        self._tenant_id = tenant_id
        self._clock = clock

    def describe(self) -> list[Metric]:
        # Nothing to check at registration: collecting would query the database.
        return []

    def collect(self) -> Iterator[Metric]:
        with self._factory() as session:
            tenants = self._tenants(session)
            yield from self._documents(session, tenants)
            yield from self._queues(session, tenants)
            yield from self._llm_usage(session, tenants)

    def _scoped(self, column: Any) -> list[Any]:
        return [] if self._tenant_id is None else [column == self._tenant_id]

    def _tenants(self, session: Session) -> dict[uuid.UUID, str]:
        rows = session.execute(select(Tenant.id, Tenant.name).where(*self._scoped(Tenant.id)))
        return {tenant_id: name for tenant_id, name in rows}

    def _documents(self, session: Session, tenants: dict[uuid.UUID, str]) -> Iterator[Metric]:
        # One pass over the table for both the status counts and the confidences.
        confidence = Document.confidence
        rows = session.execute(
            select(
                Document.tenant_id,
                Document.status,
                func.count(),
                func.count(confidence),
                func.coalesce(func.sum(confidence), 0.0),
                *(func.count().filter(confidence <= bound) for bound in CONFIDENCE_BUCKETS),
            )
            # A letter received twice is one letter: its duplicate is not counted.
            .where(*self._scoped(Document.tenant_id), Document.duplicate_of_id.is_(None))
            .group_by(Document.tenant_id, Document.status)
        ).all()
        counts: dict[tuple[uuid.UUID, str], int] = {
            (t, s.value): 0 for t in tenants for s in DocumentStatus
        }
        confidences: dict[uuid.UUID, list[float]] = {
            t: [0.0] * (len(CONFIDENCE_BUCKETS) + 2) for t in tenants
        }
        for tenant_id, status, total, with_confidence, confidence_sum, *within in rows:
            if tenant_id not in tenants:
                continue  # a tenant created between the two queries
            counts[tenant_id, status] = counts.get((tenant_id, status), 0) + total
            summed = confidences[tenant_id]
            for index, value in enumerate([*within, with_confidence, confidence_sum]):
                summed[index] += float(value)
        by_status = GaugeMetricFamily(
            "triage_documents",
            "Documents by status (received, processing, routed, needs_review, failed, done); "
            "a duplicate of an earlier letter is not counted.",
            labels=["tenant", "status"],
        )
        for (tenant_id, status), count in sorted(counts.items(), key=str):
            by_status.add_metric([tenants[tenant_id], status], count)
        yield by_status
        histogram = GaugeHistogramMetricFamily(
            "triage_classification_confidence",
            "The classifier's confidence of the stored documents (those classified so far).",
            labels=["tenant"],
        )
        for tenant_id, summed in confidences.items():
            bucket_counts = [
                (str(bound), value)
                for bound, value in zip(CONFIDENCE_BUCKETS, summed, strict=False)
            ]
            histogram.add_metric(
                [tenants[tenant_id]],
                [*bucket_counts, ("+Inf", summed[-2])],
                gsum_value=summed[-1],
            )
        yield histogram

    def _queues(self, session: Session, tenants: dict[uuid.UUID, str]) -> Iterator[Metric]:
        now = self._clock()
        leased = and_(Document.lease_expires_at.is_not(None), Document.lease_expires_at > now)
        rows = session.execute(
            select(
                Document.tenant_id,
                Document.queue,
                func.count().filter(~leased),
                func.count().filter(leased),
                func.min(Document.received_at).filter(~leased),
            )
            .where(
                *self._scoped(Document.tenant_id),
                Document.status.in_([s.value for s in QUEUED_STATES]),
                Document.queue.is_not(None),
            )
            .group_by(Document.tenant_id, Document.queue)
        ).all()
        figures: dict[tuple[uuid.UUID, str], tuple[int, int, float]] = {
            (tenant_id, queue): (0, 0, 0.0)
            for tenant_id in tenants
            for queue in self._queues_for(tenant_id)
        }
        for tenant_id, queue, waiting, in_progress, oldest in rows:
            if tenant_id in tenants:
                figures[tenant_id, str(queue)] = (waiting, in_progress, _age(now, oldest))
        depth = GaugeMetricFamily(
            "triage_queue_depth",
            "Documents waiting in a work queue, not claimed by anyone.",
            labels=["tenant", "queue"],
        )
        claimed = GaugeMetricFamily(
            "triage_queue_in_progress",
            "Documents of a work queue a caseworker holds under a valid lease.",
            labels=["tenant", "queue"],
        )
        oldest_age = GaugeMetricFamily(
            "triage_queue_oldest_age_seconds",
            "Seconds since the oldest waiting document of a queue was received (0: none waits).",
            labels=["tenant", "queue"],
        )
        for (tenant_id, queue), (waiting, in_progress, age) in sorted(figures.items(), key=str):
            labels = [tenants[tenant_id], queue]
            depth.add_metric(labels, waiting)
            claimed.add_metric(labels, in_progress)
            oldest_age.add_metric(labels, age)
        yield from (depth, claimed, oldest_age)

    def _llm_usage(self, session: Session, tenants: dict[uuid.UUID, str]) -> Iterator[Metric]:
        rows = session.execute(
            select(LlmUsage.tenant_id, LlmUsage.task, *usage_sums())
            .where(*self._scoped(LlmUsage.tenant_id))
            .group_by(LlmUsage.tenant_id, LlmUsage.task)
        ).all()
        labels = ["tenant", "task"]
        calls = CounterMetricFamily(
            "triage_llm_calls", "LLM calls (failed ones included, cache hits not).", labels=labels
        )
        failed = CounterMetricFamily(
            "triage_llm_failed_calls",
            "LLM calls that gave no answer (server down, timeout).",
            labels=labels,
        )
        tokens = CounterMetricFamily(
            "triage_llm_tokens",
            "LLM tokens by kind (prompt, completion).",
            labels=[*labels, "kind"],
        )
        seconds = CounterMetricFamily(
            "triage_llm_seconds", "Wall-clock seconds spent in LLM calls.", labels=labels
        )
        for tenant_id, task, n_calls, n_failed, prompt, completion, spent in sorted(
            rows, key=lambda row: (str(row[0]), row[1])
        ):
            if tenant_id not in tenants:
                continue
            series = [tenants[tenant_id], task]
            calls.add_metric(series, int(n_calls))
            failed.add_metric(series, int(n_failed))
            tokens.add_metric([*series, "prompt"], int(prompt))
            tokens.add_metric([*series, "completion"], int(completion))
            seconds.add_metric(series, float(spent))
        yield from (calls, failed, tokens, seconds)


def _age(now: datetime, oldest: datetime | str | None) -> float:
    if oldest is None:
        return 0.0
    if isinstance(oldest, str):  # SQLite returns the filtered aggregate's raw text
        oldest = datetime.fromisoformat(oldest)
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())
