"""Links in the database: candidates for the finder, the reference-number index, the links
a document has, and a reviewer's decision on a flagged duplicate."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker, undefer

from triage.actors import Actor
from triage.db.models import Document, DocumentReference, DocumentStatus
from triage.db.types import utcnow
from triage.documents.service import record_event, visible_documents
from triage.links.finder import Link, LinkKind, LinkSubject
from triage.links.similarity import SenderIdentity, normalise_reference, shingles, words
from triage.queues.service import QueueError, changeable
from triage.vectors.base import VectorStore

# Shorter numbers ("Nr. 12") are too common to tie two letters together.
MIN_REFERENCE_CHARS = 5
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def reference_values(references: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Normalised value → kind, for the (kind, value) pairs of a document's fields."""
    values: dict[str, str] = {}
    for kind, value in references:
        normalised = normalise_reference(value)
        if len(normalised) >= MIN_REFERENCE_CHARS:
            values.setdefault(normalised, kind)
    return values


def sender_identity(
    fields: dict[str, Any] | None, metadata: dict[str, Any] | None
) -> SenderIdentity:
    """The sender from stored fields (as JSON) and, for an e-mail, its From header."""
    fields = fields or {}
    name = ((fields.get("sender") or {}).get("name") or {}).get("value")
    emails = [e.get("value", "") for e in fields.get("emails") or []]
    emails += _ADDRESS.findall(str((metadata or {}).get("from") or ""))
    return SenderIdentity.of(name, emails)


@dataclass(frozen=True)
class StoredCandidate:
    subject: LinkSubject
    queue: str | None
    duplicate_of_id: uuid.UUID | None


class LinkCandidates:
    """Earlier documents of a tenant, by id (vector neighbours) or by reference number."""

    def __init__(self, *, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def load(
        self,
        *,
        tenant_id: uuid.UUID,
        ids: Sequence[uuid.UUID],
        references: Iterable[str],
        since: dt.datetime,
    ) -> list[StoredCandidate]:
        references = list(references)
        with self._factory() as session:
            by_reference = (
                select(DocumentReference.document_id).where(
                    DocumentReference.tenant_id == tenant_id,
                    DocumentReference.value.in_(references),
                    DocumentReference.received_at >= since,
                )
                if references
                else None
            )
            wanted = [Document.id.in_(list(ids))] if ids else []
            if by_reference is not None:
                wanted.append(Document.id.in_(by_reference))
            if not wanted:
                return []
            documents = list(
                session.scalars(
                    select(Document)
                    .options(undefer(Document.text))
                    .where(Document.tenant_id == tenant_id, or_(*wanted))
                )
            )
            originals = _original_queues(session, documents)
            refs = _references_of(session, [d.id for d in documents])
            return [
                StoredCandidate(
                    subject=LinkSubject(
                        id=d.id,
                        received_at=d.received_at,
                        shingles=shingles(words(d.text or "")),
                        sender=sender_identity(d.fields, d.parse_metadata),
                        references=frozenset(refs.get(d.id, ())),
                    ),
                    queue=originals.get(d.duplicate_of_id, d.queue)
                    if d.duplicate_of_id
                    else d.queue,
                    duplicate_of_id=d.duplicate_of_id,
                )
                for d in documents
            ]


def _original_queues(
    session: Session, documents: Sequence[Document]
) -> dict[uuid.UUID, str | None]:
    ids = {d.duplicate_of_id for d in documents if d.duplicate_of_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Document.id, Document.queue).where(Document.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


def _references_of(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    found: dict[uuid.UUID, set[str]] = {}
    if not ids:
        return found
    rows = session.execute(
        select(DocumentReference.document_id, DocumentReference.value).where(
            DocumentReference.document_id.in_(list(ids))
        )
    )
    for document_id, value in rows:
        found.setdefault(document_id, set()).add(value)
    return found


def index_references(session: Session, document: Document) -> None:
    """Replaces the document's rows in the reference index with those of its fields."""
    session.execute(delete(DocumentReference).where(DocumentReference.document_id == document.id))
    stored = (document.fields or {}).get("references") or []
    values = reference_values((r.get("kind", ""), r.get("value", "")) for r in stored)
    for value, kind in values.items():
        session.add(
            DocumentReference(
                tenant_id=document.tenant_id,
                document_id=document.id,
                kind=kind,
                value=value,
                received_at=document.received_at,
            )
        )


def apply_link(document: Document, link: Link | None, *, own_route: dict[str, Any] | None) -> None:
    """Writes the link onto the document (inside the caller's transaction)."""
    document.follow_up_of_id = document.duplicate_of_id = None
    document.link_detail = None
    if link is None:
        return
    if link.kind is LinkKind.DUPLICATE:
        document.duplicate_of_id = link.target_id
    else:
        document.follow_up_of_id = link.target_id
    document.link_detail = {
        "kind": link.kind.value,
        "basis": link.basis.value,
        "reason": link.reason,
        "similarity": _rounded(link.similarity),
        "overlap": _rounded(link.overlap),
        "reference": link.reference,
        "own_route": own_route,
    }


def _rounded(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


@dataclass(frozen=True)
class RelatedDocument:
    document: Document
    relation: str  # follow_up_of, follow_up, duplicate_of, duplicate
    reason: str | None


def related_documents(
    session: Session, *, actor: Actor, document: Document
) -> list[RelatedDocument]:
    """The earlier document this one follows up or repeats, and the later ones that follow
    up or repeat this one; oldest first."""
    found: list[RelatedDocument] = []
    earlier = [
        (document.follow_up_of_id, "follow_up_of"),
        (document.duplicate_of_id, "duplicate_of"),
    ]
    reason = (document.link_detail or {}).get("reason")
    for target_id, relation in earlier:
        if target_id is None:
            continue
        target = session.scalar(visible_documents(actor).where(Document.id == target_id))
        if target is not None:
            found.append(RelatedDocument(target, relation, reason))
    later = session.scalars(
        visible_documents(actor).where(
            or_(Document.follow_up_of_id == document.id, Document.duplicate_of_id == document.id)
        )
    )
    for other in later:
        relation = "duplicate" if other.duplicate_of_id == document.id else "follow_up"
        found.append(RelatedDocument(other, relation, (other.link_detail or {}).get("reason")))
    return sorted(found, key=lambda r: (r.document.received_at, str(r.document.id)))


class DuplicateDecisionError(QueueError):
    pass


def decide_duplicate(
    session: Session, *, actor: Actor, document_id: uuid.UUID, is_duplicate: bool
) -> Document:
    """A reviewer confirms a flagged duplicate (it is closed, without becoming training
    data a second time) or finds it is none (it takes the route it would have had)."""
    document = changeable(session, actor=actor, document_id=document_id)
    if document.duplicate_of_id is None:
        raise DuplicateDecisionError("the document is not flagged as a duplicate")
    original = document.duplicate_of_id
    if is_duplicate:
        document.status = DocumentStatus.DONE
        document.completed_at = utcnow()
        document.completed_by_kind = actor.kind.value
        document.completed_by_id = actor.id
        document.completed_by_name = actor.name
        action = "duplicate_confirmed"
    else:
        own = (document.link_detail or {}).get("own_route") or {}
        document.duplicate_of_id = None
        document.link_detail = None
        document.queue = own.get("queue") or document.queue
        document.status = own.get("status") or DocumentStatus.NEEDS_REVIEW
        document.review_reason = own.get("review_reason")
        action = "duplicate_rejected"
    document.claimed_by_kind = document.claimed_by_id = document.claimed_by_name = None
    document.claimed_at = document.lease_expires_at = None
    record_event(
        session,
        document=document,
        actor=actor,
        action=action,
        detail={"original": str(original), "queue": document.queue},
    )
    return document


@dataclass(frozen=True)
class SimilarDocument:
    document: Document
    similarity: float


def similar_earlier_documents(
    session: Session, *, store: VectorStore, actor: Actor, document: Document, limit: int = 5
) -> list[SimilarDocument]:
    """The tenant's earlier documents closest in meaning (by the stored vectors), most
    similar first: what a caseworker compares a letter with."""
    assert document.tenant_id is not None
    vector = store.vector(tenant_id=document.tenant_id, point_id=document.id)
    if vector is None:
        return []
    hits = store.search(tenant_id=document.tenant_id, vector=vector, limit=limit * 2 + 1)
    scores = {hit.id: hit.score for hit in hits if hit.id != document.id}
    if not scores:
        return []
    earlier = session.scalars(
        visible_documents(actor).where(
            Document.id.in_(list(scores)), Document.received_at <= document.received_at
        )
    )
    found = [SimilarDocument(d, scores[d.id]) for d in earlier]
    return sorted(found, key=lambda s: -s.similarity)[:limit]
