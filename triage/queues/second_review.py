"""Second review of relief staff's work: a configurable share of what a relief worker
completes waits for a regular caseworker, who confirms the case type or corrects it. A
correction reopens the document in the right queue (the wrong department may have
handled it) and becomes training data; the figures count both outcomes."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from triage.actors import Actor
from triage.db.models import Document, Role
from triage.db.types import utcnow
from triage.documents.service import get_document, record_event, visible_documents
from triage.priority.policy import PriorityPolicy
from triage.queues.common import QueueError, SecondReview, UnknownQueueError
from triage.queues.service import label, reroute
from triage.taxonomy import Taxonomy

REVIEWER_ROLES = (Role.CASEWORKER, Role.TEAMLEAD, Role.ADMIN)


def pending_second_reviews(session: Session, *, actor: Actor, limit: int = 100) -> list[Document]:
    """The documents waiting for a second review, the longest-completed first."""
    return list(
        session.scalars(
            visible_documents(actor)
            .where(Document.second_review == SecondReview.PENDING)
            .order_by(Document.completed_at, Document.id)
            .limit(limit)
        )
    )


def may_second_review(actor: Actor, document: Document) -> bool:
    """A regular caseworker of the tenant, never the person who did the work."""
    return (
        actor.has_role(*REVIEWER_ROLES)
        and actor.grant_id is None
        and document.second_review == SecondReview.PENDING
        and not (
            document.completed_by_kind == actor.kind.value and document.completed_by_id == actor.id
        )
    )


def decide_second_review(
    session: Session,
    *,
    actor: Actor,
    document_id: uuid.UUID,
    case_type: str,
    taxonomy: Taxonomy,
    policy: PriorityPolicy,
) -> Document:
    """Confirms the relief worker's case type (the same ``case_type``) or corrects it."""
    document = get_document(session, actor=actor, document_id=document_id, for_update=True)
    if not may_second_review(actor, document):
        raise QueueError(
            "no second review to decide here (it is decided, or you did the work yourself, "
            "or your role does not review relief staff's work)"
        )
    try:
        target = taxonomy.get(case_type)
    except KeyError:
        raise UnknownQueueError(
            f"unknown case type {case_type!r}; case types: {', '.join(taxonomy.keys)}"
        ) from None
    before = document.case_type
    relief_worker = document.completed_by_name
    document.second_review_at = utcnow()
    if case_type == before:
        document.second_review = SecondReview.CONFIRMED
    else:
        document.second_review = SecondReview.CORRECTED
        label(session, document=document, actor=actor, case_type=case_type, source="correction")
        reroute(document, target=target, policy=policy)
        document.completed_at = None
        document.completed_by_kind = None
        document.completed_by_id = None
        document.completed_by_name = None
    record_event(
        session,
        document=document,
        actor=actor,
        action="second_review",
        detail={
            "outcome": document.second_review,
            "case_type_before": before,
            "case_type": case_type,
            "relief_worker": relief_worker,
        },
    )
    return document
