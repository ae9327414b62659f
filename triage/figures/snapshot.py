"""One day's backlog figures of a tenant, for the whole tenant, each queue and each case
type, computed from the documents and their history.

A day is a calendar day in Berlin time. "Open" means waiting in a queue (routed, in
review, or failed and waiting for a person) at the end of the day; a document is counted
under the queue and case type it has now, so a document moved later counts where it ended
up. Duplicates of an earlier letter are left out, as everywhere in the figures.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from triage.actors import ActorKind
from triage.db.models import Document, DocumentEvent, DocumentStatus
from triage.queues.common import QUEUED_STATES, as_utc
from triage.routing.router import REVIEW_QUEUE

DAY_ZONE = ZoneInfo("Europe/Berlin")
TENANT_KEY = "alle"
NO_CASE_TYPE = "ohne"


class Scope:
    TENANT = "tenant"
    QUEUE = "queue"
    CASE_TYPE = "case_type"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's start and end in UTC (23 or 25 hours long when the clocks change)."""
    start = datetime.combine(day, time(), tzinfo=DAY_ZONE)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=DAY_ZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(DAY_ZONE).date()


@dataclass
class DayFigures:
    """What one day looked like for one scope and key; the fields match FigureSnapshot."""

    scope: str
    key: str
    open_count: int = 0
    inflow: int = 0
    outflow: int = 0
    overdue: int = 0
    age_p50_days: float | None = None
    age_p90_days: float | None = None
    triaged: int = 0
    auto_routed: int = 0
    to_review: int = 0
    misrouted: int = 0
    handling_median_minutes: float | None = None
    relief_completed: int = 0
    second_reviewed: int = 0
    second_review_corrected: int = 0
    # Working lists, not stored: the open documents' ages and the handling times.
    ages: list[float] = field(default_factory=list, repr=False)
    handling: list[float] = field(default_factory=list, repr=False)

    def stored(self) -> dict[str, Any]:
        skip = {"ages", "handling"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}


class _Tally:
    """The day's figures of every scope and key, filled document by document."""

    def __init__(self) -> None:
        self._figures: dict[tuple[str, str], DayFigures] = {}

    def at(self, queue: str | None, case_type: str | None) -> Iterator[DayFigures]:
        """The tenant's figures, the queue's and the case type's: where a count goes."""
        yield self._get(Scope.TENANT, TENANT_KEY)
        if queue is not None:
            yield self._get(Scope.QUEUE, queue)
        yield self._get(Scope.CASE_TYPE, case_type or NO_CASE_TYPE)

    def _get(self, scope: str, key: str) -> DayFigures:
        found = self._figures.get((scope, key))
        if found is None:
            found = self._figures[scope, key] = DayFigures(scope=scope, key=key)
        return found

    def finished(self) -> list[DayFigures]:
        for figures in self._figures.values():
            if figures.ages:
                p50, p90 = np.percentile(np.array(figures.ages), [50, 90])
                figures.age_p50_days = round(float(p50), 3)
                figures.age_p90_days = round(float(p90), 3)
            if figures.handling:
                figures.handling_median_minutes = round(float(np.median(figures.handling)), 2)
        return sorted(self._figures.values(), key=lambda f: (f.scope, f.key))


def compute_day(
    session: Session, *, tenant_id: uuid.UUID, day: date, now: datetime
) -> list[DayFigures]:
    """The figures of ``day``; for today (or a day not yet over), the state at ``now``."""
    start, end = day_bounds(day)
    end = min(end, now)
    tally = _Tally()
    # The tenant's row even on a day without documents: a quiet day is a day, not a gap.
    next(tally.at(None, None))
    _count_open(session, tally, tenant_id=tenant_id, end=end)
    _count_flows(session, tally, tenant_id=tenant_id, start=start, end=end)
    _count_events(session, tally, tenant_id=tenant_id, start=start, end=end)
    return tally.finished()


def _originals(tenant_id: uuid.UUID) -> Any:
    return and_(Document.tenant_id == tenant_id, Document.duplicate_of_id.is_(None))


def _count_open(session: Session, tally: _Tally, *, tenant_id: uuid.UUID, end: datetime) -> None:
    waiting = [s.value for s in QUEUED_STATES]
    rows = session.execute(
        select(Document.queue, Document.case_type, Document.received_at, Document.due_at).where(
            _originals(tenant_id),
            Document.received_at < end,
            or_(
                Document.status.in_(waiting),
                and_(Document.status == DocumentStatus.DONE, Document.completed_at >= end),
            ),
        )
    )
    for queue, case_type, received_at, due_at in rows:
        age = (end - as_utc(received_at)).total_seconds() / 86400  # type: ignore[operator]
        overdue = due_at is not None and as_utc(due_at) < end  # type: ignore[operator]
        for figures in tally.at(queue, case_type):
            figures.open_count += 1
            figures.overdue += overdue
            figures.ages.append(age)


def _count_flows(
    session: Session, tally: _Tally, *, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> None:
    received = session.execute(
        select(Document.queue, Document.case_type).where(
            _originals(tenant_id), Document.received_at >= start, Document.received_at < end
        )
    )
    for queue, case_type in received:
        for figures in tally.at(queue, case_type):
            figures.inflow += 1
    completed = session.execute(
        select(Document.id, Document.queue, Document.case_type).where(
            _originals(tenant_id),
            Document.status == DocumentStatus.DONE,
            Document.completed_at >= start,
            Document.completed_at < end,
        )
    ).all()
    handling = _handling_minutes(session, [row.id for row in completed])
    for document_id, queue, case_type in completed:
        minutes = handling.get(document_id)
        for figures in tally.at(queue, case_type):
            figures.outflow += 1
            if minutes is not None:
                figures.handling.append(minutes)


def _handling_minutes(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, float]:
    """From the last claim to the completion, per document: the time a person held it."""
    found: dict[uuid.UUID, float] = {}
    for chunk in _chunks(ids, 500):
        events = session.execute(
            select(DocumentEvent.document_id, DocumentEvent.action, DocumentEvent.at)
            .where(
                DocumentEvent.document_id.in_(chunk),
                DocumentEvent.action.in_(("claimed", "completed")),
            )
            .order_by(DocumentEvent.document_id, DocumentEvent.id)
        )
        claimed: dict[uuid.UUID, datetime] = {}
        for document_id, action, at in events:
            if action == "claimed":
                claimed[document_id] = as_utc(at)  # type: ignore[assignment]
            elif document_id in claimed:
                held = as_utc(at) - claimed.pop(document_id)  # type: ignore[operator]
                found[document_id] = max(held.total_seconds(), 0.0) / 60
    return found


def _chunks(items: list[uuid.UUID], size: int) -> Iterable[list[uuid.UUID]]:
    for offset in range(0, len(items), size):
        yield items[offset : offset + size]


# What the worker records when triage ends, and what people do that the figures count.
_TRIAGE_ACTIONS = (DocumentStatus.ROUTED.value, DocumentStatus.NEEDS_REVIEW.value)
_COUNTED_ACTIONS = (*_TRIAGE_ACTIONS, "corrected", "completed", "second_review")


def _triaged_before(
    session: Session, *, tenant_id: uuid.UUID, start: datetime, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for chunk in _chunks(sorted(set(ids)), 500):
        found.update(
            session.scalars(
                select(DocumentEvent.document_id).where(
                    DocumentEvent.tenant_id == tenant_id,
                    DocumentEvent.document_id.in_(chunk),
                    DocumentEvent.action.in_(_TRIAGE_ACTIONS),
                    DocumentEvent.actor_kind == ActorKind.SYSTEM.value,
                    DocumentEvent.at < start,
                )
            )
        )
    return found


def _count_events(
    session: Session, tally: _Tally, *, tenant_id: uuid.UUID, start: datetime, end: datetime
) -> None:
    rows = session.execute(
        select(
            DocumentEvent.document_id,
            DocumentEvent.actor_kind,
            DocumentEvent.action,
            DocumentEvent.detail,
            Document.queue,
            Document.case_type,
        )
        .join(Document, Document.id == DocumentEvent.document_id)
        .where(
            DocumentEvent.tenant_id == tenant_id,
            DocumentEvent.at >= start,
            DocumentEvent.at < end,
            DocumentEvent.action.in_(_COUNTED_ACTIONS),
            Document.duplicate_of_id.is_(None),
        )
        .order_by(DocumentEvent.id)
    ).all()
    # Reprocessing triages a document again: only its first outcome ever counts.
    triaged = _triaged_before(
        session,
        tenant_id=tenant_id,
        start=start,
        ids=[r.document_id for r in rows if r.action in _TRIAGE_ACTIONS],
    )
    for document_id, actor_kind, action, detail, queue, case_type in rows:
        detail = detail or {}
        if action in _TRIAGE_ACTIONS:
            if actor_kind != ActorKind.SYSTEM.value or document_id in triaged:
                continue
            triaged.add(document_id)
            routed = action == DocumentStatus.ROUTED.value
            place = detail.get("queue") if routed else REVIEW_QUEUE
            for figures in tally.at(place, detail.get("case_type")):
                figures.triaged += 1
                figures.auto_routed += routed
                figures.to_review += not routed
        elif action == "corrected":
            before = detail.get("from") or {}
            # A correction in a case type's queue means triage had routed it wrongly; one
            # in review is the review doing its job.
            if before.get("queue") not in (None, REVIEW_QUEUE):
                for figures in tally.at(before.get("queue"), before.get("case_type")):
                    figures.misrouted += 1
        elif action == "completed" and detail.get("relief"):
            for figures in tally.at(queue, case_type):
                figures.relief_completed += 1
        elif action == "second_review":
            corrected = detail.get("outcome") == "corrected"
            for figures in tally.at(queue, detail.get("case_type_before", case_type)):
                figures.second_reviewed += 1
                figures.second_review_corrected += corrected
