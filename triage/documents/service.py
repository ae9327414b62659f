"""Reading documents for an actor. Tenant scoping lives here, in one place.

Every query for an actor's documents starts from :func:`visible_documents`: the tenant,
and narrower for relief staff (case types, confidence) and for a person of another
tenant working under a grant (the granted queues).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, undefer

from triage.actors import Actor, ActorKind
from triage.db.models import Document, DocumentEvent, DocumentStatus


class DocumentNotFoundError(LookupError):
    pass


def visible_documents(actor: Actor) -> Select[Document]:
    if actor.kind is ActorKind.SYSTEM and actor.tenant_id is None:
        return select(Document)
    query = select(Document).where(Document.tenant_id == actor.tenant_id)
    if actor.grant_id is not None:
        query = query.where(Document.queue.in_(sorted(actor.queues or ())))
    if actor.case_types is not None:
        query = query.where(Document.case_type.in_(sorted(actor.case_types)))
    if actor.min_confidence is not None:
        query = query.where(Document.confidence >= actor.min_confidence)
    return query


def get_document(
    session: Session,
    *,
    actor: Actor,
    document_id: uuid.UUID,
    with_text: bool = False,
    for_update: bool = False,
) -> Document:
    query = visible_documents(actor).where(Document.id == document_id)
    if with_text:
        query = query.options(undefer(Document.text))
    if for_update:
        query = query.with_for_update()
    document = session.scalar(query)
    if document is None:
        raise DocumentNotFoundError(f"document {document_id} not found")
    return document


@dataclass(frozen=True)
class DocumentFilter:
    status: DocumentStatus | None = None
    external_ref: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


def list_documents(
    session: Session, *, actor: Actor, filters: DocumentFilter, limit: int, offset: int
) -> tuple[list[Document], int]:
    query = visible_documents(actor)
    if filters.status is not None:
        query = query.where(Document.status == filters.status)
    if filters.external_ref is not None:
        query = query.where(Document.external_ref == filters.external_ref)
    if filters.received_from is not None:
        query = query.where(Document.received_at >= filters.received_from)
    if filters.received_to is not None:
        query = query.where(Document.received_at < filters.received_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(Document.received_at.desc(), Document.id).limit(limit).offset(offset)
    )
    return list(page), total


def document_events(session: Session, *, document: Document) -> list[DocumentEvent]:
    return list(
        session.scalars(
            select(DocumentEvent)
            .where(DocumentEvent.document_id == document.id)
            .order_by(DocumentEvent.id)
        )
    )


def record_event(
    session: Session,
    *,
    document: Document,
    actor: Actor,
    action: str,
    detail: dict[str, Any] | None = None,
) -> DocumentEvent:
    if actor.grant_id is not None:
        # Another tenant's person: the history says under which grant, and from where.
        detail = {**(detail or {}), "grant": actor.grant_id, "home_tenant": actor.home_tenant}
    event = DocumentEvent(
        tenant_id=document.tenant_id,
        document_id=document.id,
        actor_kind=actor.kind.value,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        detail=detail,
    )
    session.add(event)
    return event


def request_reprocessing(
    session: Session, *, actor: Actor, document: Document, reason: str = "reprocess requested"
) -> None:
    """Sends a document through the pipeline again; its original is untouched."""
    # Imported here: the job queue sits beside this module, and only this action needs it.
    from triage.jobs.queue import enqueue

    document.status = DocumentStatus.RECEIVED
    document.stage = None
    document.error = None
    document.review_reason = None
    record_event(
        session, document=document, actor=actor, action="reprocess", detail={"reason": reason}
    )
    enqueue(session, tenant_id=document.tenant_id, document_id=document.id)
