"""Work queues: caseworkers claim documents under a lease, then complete, release or re-route.

A document sits in a queue while its status is ``routed``, ``needs_review`` or ``failed``
and it has not been completed. It is *in progress* while a lease on it is valid; a lease
that runs out returns it to its queue without anyone doing anything. Every query starts
from ``visible_documents(actor)``, so tenant scoping stays in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, union_all, update
from sqlalchemy.orm import Session

from triage.actors import Actor
from triage.db.models import Document, DocumentStatus, LabelledExample, Role
from triage.db.types import utcnow
from triage.documents.service import (
    DocumentNotFoundError,
    get_document,
    record_event,
    visible_documents,
)
from triage.priority.policy import PriorityPolicy
from triage.priority.score import PriorityFacts, prioritise
from triage.priority.service import apply_priority
from triage.routing.router import REVIEW_QUEUE, due_date
from triage.taxonomy import Taxonomy

QUEUED_STATES = (DocumentStatus.ROUTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED)


class QueueError(Exception):
    """The action does not fit the document's state; the message says why."""


class LeaseConflictError(QueueError):
    """Another caseworker holds the document."""


class UnknownQueueError(QueueError, LookupError):
    pass


class QueueNotAllowedError(QueueError):
    """The person is limited to other queues."""


DUE_SOON = timedelta(days=2)


@dataclass(frozen=True)
class QueueSummary:
    name: str
    open: int
    in_progress: int
    oldest_received_at: datetime | None
    # Of the queue's documents (open or in progress): due within DUE_SOON, and past due.
    due_soon: int = 0
    overdue: int = 0


def _queued() -> ColumnElement[bool]:
    return Document.status.in_([s.value for s in QUEUED_STATES])


def _unleased(now: datetime) -> ColumnElement[bool]:
    return or_(Document.lease_expires_at.is_(None), Document.lease_expires_at <= now)


def queue_names(taxonomy: Taxonomy) -> list[str]:
    return [*taxonomy.queues, REVIEW_QUEUE]


def summarize_queues(session: Session, *, actor: Actor, taxonomy: Taxonomy) -> list[QueueSummary]:
    now = utcnow()
    visible = visible_documents(actor).where(_queued()).subquery()
    leased = and_(visible.c.lease_expires_at.is_not(None), visible.c.lease_expires_at > now)
    rows = session.execute(
        select(
            visible.c.queue,
            func.count().filter(~leased),
            func.count().filter(leased),
            func.min(visible.c.received_at).filter(~leased),
            func.count().filter(visible.c.due_at >= now, visible.c.due_at < now + DUE_SOON),
            func.count().filter(visible.c.due_at < now),
        ).group_by(visible.c.queue)
    ).all()
    counts: dict[str, tuple[Any, ...]] = {row[0]: tuple(row[1:]) for row in rows}
    names = queue_names(taxonomy)
    names += sorted(name for name in counts if name and name not in names)
    summaries = []
    for name in names:
        open_count, in_progress, oldest, due_soon, overdue = counts.get(name, (0, 0, None, 0, 0))
        if isinstance(oldest, str):  # SQLite returns the aggregate's raw text
            oldest = datetime.fromisoformat(oldest)
        summaries.append(
            QueueSummary(name, open_count, in_progress, _as_utc(oldest), due_soon, overdue)
        )
    return summaries


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def claim_order() -> tuple[Any, ...]:
    """Priority now (the stored sort key orders as the priority with waiting time does),
    then age. Every queued document has a key (the pipeline's closing priority step), so
    the order needs no NULL handling and ``ix_documents_claim_order`` serves it."""
    return (Document.priority_key.desc(), Document.received_at, Document.id)


def _people_on(earlier: Any, *, now: datetime, hold: timedelta) -> set[tuple[str | None, str]]:
    """Who has the matter of an earlier document: its holder under a valid lease, and who
    completed it within ``hold`` (as (actor kind, actor id))."""
    people: set[tuple[str | None, str]] = set()
    completed = _as_utc(earlier.completed_at)
    if earlier.claimed_by_id is not None and _leased(earlier.lease_expires_at, now):
        people.add((earlier.claimed_by_kind, earlier.claimed_by_id))
    if earlier.completed_by_id is not None and completed is not None and completed > now - hold:
        people.add((earlier.completed_by_kind, earlier.completed_by_id))
    return people


def _earlier_documents(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    if not ids:
        return {}
    rows = session.execute(
        select(
            Document.id,
            Document.claimed_by_kind,
            Document.claimed_by_id,
            Document.lease_expires_at,
            Document.completed_by_kind,
            Document.completed_by_id,
            Document.completed_at,
        ).where(Document.id.in_(ids))
    ).all()
    return {row.id: row for row in rows}


def _my_follow_ups(
    session: Session, *, queue: str, actor: Actor, now: datetime, hold: timedelta
) -> list[uuid.UUID]:
    """The queue's open follow-ups whose earlier document the actor holds or completed
    within ``hold``, best first. Found from the actor's side (a person holds a few
    documents and completes some dozens a day; ``ix_documents_claimed_by`` and
    ``ix_documents_completed_by``), then by ``ix_documents_follow_up_of``: a queue may hold
    thousands of follow-ups."""
    kind = actor.kind.value
    tenant = [] if actor.tenant_id is None else [Document.tenant_id == actor.tenant_id]
    # Two arms, each served by its own index (an OR would make SQLite scan the tenant).
    matters = union_all(
        select(Document.id).where(
            *tenant,
            Document.claimed_by_id == actor.id,
            Document.claimed_by_kind == kind,
            Document.lease_expires_at > now,
        ),
        select(Document.id).where(
            *tenant,
            Document.completed_by_id == actor.id,
            Document.completed_by_kind == kind,
            Document.completed_at > now - hold,
        ),
    )
    # By the follow-up index alone, the rest checked here: with the queue's conditions in
    # SQL, SQLite would rather walk the whole queue by its (tenant, queue, status) index.
    rows = session.execute(
        select(
            Document.id,
            Document.tenant_id,
            Document.queue,
            Document.status,
            Document.lease_expires_at,
            Document.priority_key,
            Document.received_at,
        ).where(Document.follow_up_of_id.in_(matters))
    ).all()
    queued = {s.value for s in QUEUED_STATES}
    mine = sorted(
        (-(r.priority_key or 0.0), _as_utc(r.received_at) or now, r.id)
        for r in rows
        if r.tenant_id == actor.tenant_id
        and r.queue == queue
        and r.status in queued
        and not _leased(r.lease_expires_at, now)
    )
    return [document_id for *_, document_id in mine]


def _leased(lease_expires_at: datetime | None, now: datetime) -> bool:
    lease = _as_utc(lease_expires_at)
    return lease is not None and lease > now


def _not_reserved_for_others(
    session: Session, rows: Sequence[Any], *, actor: Actor, now: datetime, hold: timedelta
) -> list[uuid.UUID]:
    """Of candidate (id, follow_up_of_id) rows, those no one else has the matter of."""
    earlier = _earlier_documents(
        session, {row.follow_up_of_id for row in rows if row.follow_up_of_id is not None}
    )
    me = (actor.kind.value, actor.id)
    free = []
    for row in rows:
        people = (
            _people_on(earlier[row.follow_up_of_id], now=now, hold=hold)
            if row.follow_up_of_id in earlier
            else set()
        )
        if not people or me in people:
            free.append(row.id)
    return free


CLAIM_PAGE = 10


def claim_next(
    session: Session,
    *,
    actor: Actor,
    queue: str,
    lease_seconds: int,
    follow_up_hold: timedelta = timedelta(0),
) -> Document | None:
    """Hands the most urgent open document of the queue to the actor (highest priority
    now, then the oldest; see ``claim_order``), or None when the queue is empty.

    A follow-up whose earlier document the actor holds, or completed within
    ``follow_up_hold``, comes first; while another person holds or lately completed the
    earlier document, the follow-up waits for them (it is skipped here).

    On PostgreSQL the candidate rows are locked with SKIP LOCKED, so concurrent claimers
    take different documents; on SQLite the write transaction is serialised (BEGIN
    IMMEDIATE) and the compare-and-set update below decides.
    """
    if not actor.may_work(queue):
        raise QueueNotAllowedError(f"{actor.name} does not work the queue {queue!r}")
    now = utcnow()
    open_here = (
        visible_documents(actor)
        .with_only_columns(Document.id)
        .where(Document.queue == queue, _queued(), _unleased(now))
    )
    candidates: list[uuid.UUID] = []
    if follow_up_hold > timedelta(0):
        candidates += _my_follow_ups(
            session, queue=queue, actor=actor, now=now, hold=follow_up_hold
        )[:5]
    for page in range(0, 1000, CLAIM_PAGE):
        rows = session.execute(
            open_here.add_columns(Document.follow_up_of_id)
            .order_by(*claim_order())
            .limit(CLAIM_PAGE)
            .offset(page)
            .with_for_update(skip_locked=True)
        ).all()
        if follow_up_hold > timedelta(0):
            candidates += _not_reserved_for_others(
                session, rows, actor=actor, now=now, hold=follow_up_hold
            )
        else:
            candidates += [row.id for row in rows]
        if candidates or len(rows) < CLAIM_PAGE:
            break
    for document_id in candidates:
        taken = session.execute(
            update(Document)
            .where(Document.id == document_id, _queued(), _unleased(now))
            .values(
                claimed_by_kind=actor.kind.value,
                claimed_by_id=actor.id,
                claimed_by_name=actor.name,
                claimed_at=now,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            document = get_document(session, actor=actor, document_id=document_id)
            session.refresh(document)
            record_event(
                session,
                document=document,
                actor=actor,
                action="claimed",
                detail={"queue": queue, "lease_expires_at": _iso(document.lease_expires_at)},
            )
            return document
    return None


def _holds(document: Document, actor: Actor, now: datetime) -> bool:
    return (
        document.claimed_by_id == actor.id
        and document.claimed_by_kind == actor.kind.value
        and document.lease_expires_at is not None
        and document.lease_expires_at > now
    )


def _leased_by_other(document: Document, actor: Actor, now: datetime) -> bool:
    leased = document.lease_expires_at is not None and document.lease_expires_at > now
    return leased and not _holds(document, actor, now)


def _clear_lease(document: Document) -> None:
    document.claimed_by_kind = None
    document.claimed_by_id = None
    document.claimed_by_name = None
    document.claimed_at = None
    document.lease_expires_at = None


def _held_document(session: Session, *, actor: Actor, document_id: uuid.UUID) -> Document:
    document = get_document(session, actor=actor, document_id=document_id, for_update=True)
    if not _holds(document, actor, utcnow()):
        raise QueueError(
            "you do not hold this document (claim it first; an expired lease returns it "
            "to its queue)"
        )
    return document


def renew_lease(
    session: Session, *, actor: Actor, document_id: uuid.UUID, lease_seconds: int
) -> Document:
    document = _held_document(session, actor=actor, document_id=document_id)
    document.lease_expires_at = utcnow() + timedelta(seconds=lease_seconds)
    record_event(
        session,
        document=document,
        actor=actor,
        action="lease_renewed",
        detail={"lease_expires_at": _iso(document.lease_expires_at)},
    )
    return document


def release(session: Session, *, actor: Actor, document_id: uuid.UUID) -> Document:
    """Hands the document back to its queue; an admin may release anyone's."""
    document = get_document(session, actor=actor, document_id=document_id, for_update=True)
    now = utcnow()
    if not _holds(document, actor, now) and not (
        actor.has_role(Role.ADMIN) and _leased_by_other(document, actor, now)
    ):
        raise QueueError("you do not hold this document")
    holder = document.claimed_by_name
    _clear_lease(document)
    record_event(
        session, document=document, actor=actor, action="released", detail={"holder": holder}
    )
    return document


def complete(session: Session, *, actor: Actor, document_id: uuid.UUID) -> Document:
    """Marks the work done; the accepted case type becomes a labelled example."""
    document = _held_document(session, actor=actor, document_id=document_id)
    if document.case_type is None:
        raise QueueError("the document has no case type yet: correct it first")
    document.status = DocumentStatus.DONE
    document.completed_at = utcnow()
    document.completed_by_kind = actor.kind.value
    document.completed_by_id = actor.id
    document.completed_by_name = actor.name
    _clear_lease(document)
    _label(
        session, document=document, actor=actor, case_type=document.case_type, source="completed"
    )
    record_event(
        session,
        document=document,
        actor=actor,
        action="completed",
        detail={"case_type": document.case_type},
    )
    return document


def move(
    session: Session, *, actor: Actor, document_id: uuid.UUID, queue: str, taxonomy: Taxonomy
) -> Document:
    if queue not in queue_names(taxonomy):
        raise UnknownQueueError(
            f"unknown queue {queue!r}; queues: {', '.join(queue_names(taxonomy))}"
        )
    document = changeable(session, actor=actor, document_id=document_id)
    previous = document.queue
    document.queue = queue
    _clear_lease(document)
    record_event(
        session,
        document=document,
        actor=actor,
        action="moved",
        detail={"from": previous, "to": queue},
    )
    return document


def correct(
    session: Session,
    *,
    actor: Actor,
    document_id: uuid.UUID,
    case_type: str,
    taxonomy: Taxonomy,
    policy: PriorityPolicy,
) -> Document:
    """Sets the case type a person decided on, re-routes, and keeps it as training data;
    the priority follows the new case type's SLA."""
    try:
        target = taxonomy.get(case_type)
    except KeyError:
        raise UnknownQueueError(
            f"unknown case type {case_type!r}; case types: {', '.join(taxonomy.keys)}"
        ) from None
    document = changeable(session, actor=actor, document_id=document_id)
    previous = {
        "case_type": document.case_type,
        "confidence": document.confidence,
        "queue": document.queue,
    }
    _label(session, document=document, actor=actor, case_type=case_type, source="correction")
    document.case_type = case_type
    document.queue = target.queue
    document.status = DocumentStatus.ROUTED
    document.stage = None
    document.error = None
    document.review_reason = None
    if document.priority_facts is not None:
        facts = PriorityFacts.from_json(document.priority_facts).with_sla(target.sla_days)
        apply_priority(document, prioritise(facts, received_at=document.received_at, policy=policy))
    document.due_at = due_date(target, document.received_at)
    document.routed_at = utcnow()
    _clear_lease(document)
    record_event(
        session,
        document=document,
        actor=actor,
        action="corrected",
        detail={"from": previous, "case_type": case_type, "queue": target.queue},
    )
    return document


def changeable(session: Session, *, actor: Actor, document_id: uuid.UUID) -> Document:
    document = get_document(session, actor=actor, document_id=document_id, for_update=True)
    if document.status not in {s.value for s in QUEUED_STATES}:
        raise QueueError(f"the document is {document.status}, not in a queue")
    if _leased_by_other(document, actor, utcnow()):
        raise LeaseConflictError(f"{document.claimed_by_name} is working on this document")
    return document


def _label(
    session: Session, *, document: Document, actor: Actor, case_type: str, source: str
) -> None:
    existing = session.scalar(
        select(LabelledExample).where(LabelledExample.document_id == document.id)
    )
    if existing is None:
        existing = LabelledExample(tenant_id=document.tenant_id, document_id=document.id)
        session.add(existing)
    elif source == "completed" and existing.source == "correction":
        return  # completing after a correction confirms it; keep the correction's record
    existing.case_type = case_type
    if existing.predicted_case_type is None:
        existing.predicted_case_type = document.case_type
    existing.source = source
    existing.actor_kind = actor.kind.value
    existing.actor_id = actor.id
    existing.actor_name = actor.name
    existing.created_at = utcnow()


__all__ = [
    "REVIEW_QUEUE",
    "DocumentNotFoundError",
    "LeaseConflictError",
    "QueueError",
    "QueueSummary",
    "UnknownQueueError",
    "changeable",
    "claim_next",
    "complete",
    "correct",
    "move",
    "queue_names",
    "release",
    "renew_lease",
    "summarize_queues",
]
