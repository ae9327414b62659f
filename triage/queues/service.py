"""Work queues: caseworkers claim documents under a lease, then complete, release or re-route.

A document sits in a queue while its status is ``routed``, ``needs_review`` or ``failed``
and it has not been completed. It is *in progress* while a lease on it is valid; a lease
that runs out returns it to its queue without anyone doing anything. Every query starts
from ``visible_documents(actor)``, so tenant scoping stays in one place.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from triage.actors import Actor
from triage.administration.rules import tenant_rules
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
from triage.queues.claim import claim_next
from triage.queues.common import (
    QUEUED_STATES,
    LeaseConflictError,
    QueueError,
    QueueNotAllowedError,
    SecondReview,
    UnknownQueueError,
    as_utc,
    claim_order,
    draw_second_review,
    iso,
    queued,
)
from triage.routing.router import REVIEW_QUEUE, due_date
from triage.taxonomy import CaseType, Taxonomy

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


def queue_names(taxonomy: Taxonomy) -> list[str]:
    return [*taxonomy.queues, REVIEW_QUEUE]


def summarize_queues(
    session: Session, *, actor: Actor, taxonomy: Taxonomy, only: str | None = None
) -> list[QueueSummary]:
    """Every queue of the taxonomy plus review (and any other a document sits in); with
    ``only``, that queue alone (read by its index instead of the tenant's whole backlog)."""
    now = utcnow()
    scope = visible_documents(actor).where(queued())
    if only is not None:
        scope = scope.where(Document.queue == only)
    visible = scope.subquery()
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
    names = [only] if only is not None else queue_names(taxonomy)
    names += sorted(name for name in counts if name and name not in names)
    summaries = []
    for name in names:
        open_count, in_progress, oldest, due_soon, overdue = counts.get(name, (0, 0, None, 0, 0))
        if isinstance(oldest, str):  # SQLite returns the aggregate's raw text
            oldest = datetime.fromisoformat(oldest)
        summaries.append(
            QueueSummary(name, open_count, in_progress, as_utc(oldest), due_soon, overdue)
        )
    return summaries


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
        detail={"lease_expires_at": iso(document.lease_expires_at)},
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
    label(session, document=document, actor=actor, case_type=document.case_type, source="completed")
    detail: dict[str, Any] = {"case_type": document.case_type}
    if actor.has_role(Role.RELIEF):
        rules = tenant_rules(session, tenant_id=document.tenant_id)
        drawn = draw_second_review(rules.second_review_share)
        document.second_review = SecondReview.PENDING if drawn else None
        detail.update(relief=True, second_review=drawn)
    record_event(session, document=document, actor=actor, action="completed", detail=detail)
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
    label(session, document=document, actor=actor, case_type=case_type, source="correction")
    reroute(document, target=target, policy=policy)
    record_event(
        session,
        document=document,
        actor=actor,
        action="corrected",
        detail={"from": previous, "case_type": case_type, "queue": target.queue},
    )
    return document


def reroute(document: Document, *, target: CaseType, policy: PriorityPolicy) -> None:
    """Puts the document in ``target``'s queue as a person decided: its due date and
    priority follow the case type's SLA."""
    document.case_type = target.key
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


def changeable(session: Session, *, actor: Actor, document_id: uuid.UUID) -> Document:
    document = get_document(session, actor=actor, document_id=document_id, for_update=True)
    if document.status not in {s.value for s in QUEUED_STATES}:
        raise QueueError(f"the document is {document.status}, not in a queue")
    if _leased_by_other(document, actor, utcnow()):
        raise LeaseConflictError(f"{document.claimed_by_name} is working on this document")
    return document


def label(
    session: Session, *, document: Document, actor: Actor, case_type: str, source: str
) -> None:
    """Keeps a person's decision about the document's case type as training data."""
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
    "QUEUED_STATES",
    "REVIEW_QUEUE",
    "DocumentNotFoundError",
    "LeaseConflictError",
    "QueueError",
    "QueueNotAllowedError",
    "QueueSummary",
    "UnknownQueueError",
    "changeable",
    "claim_next",
    "claim_order",
    "complete",
    "correct",
    "move",
    "queue_names",
    "release",
    "renew_lease",
    "summarize_queues",
]
