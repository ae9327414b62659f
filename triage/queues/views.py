"""Read-only views over the queues for the pages: a queue's documents, search, and the
age of what waits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from triage.actors import Actor
from triage.db.models import Document, DocumentReference
from triage.documents.service import visible_documents
from triage.links.similarity import normalise_reference
from triage.queues.common import claim_order, queued
from triage.routing.router import REVIEW_QUEUE
from triage.taxonomy import Taxonomy

# Age bands of waiting documents for the team lead, with their German labels.
AGE_BANDS: tuple[tuple[str, timedelta | None], ...] = (
    ("unter 1 Tag", timedelta(days=1)),
    ("1–7 Tage", timedelta(days=7)),
    ("8–30 Tage", timedelta(days=30)),
    ("über 30 Tage", None),
)


def queue_documents(
    session: Session, *, actor: Actor, queue: str, limit: int = 50
) -> list[Document]:
    """The queue's documents in the order they are claimed (most urgent first)."""
    return list(
        session.scalars(
            visible_documents(actor)
            .where(Document.queue == queue, queued())
            .order_by(*claim_order())
            .limit(limit)
        )
    )


def search_documents(
    session: Session, *, actor: Actor, query: str, limit: int = 50
) -> list[Document]:
    """By document id, reference number (as written or normalised), sender or any words of
    the text; newest first."""
    query = query.strip()
    if not query:
        return []
    try:
        exact = visible_documents(actor).where(Document.id == uuid.UUID(query))
        found = list(session.scalars(exact))
        if found:
            return found
    except ValueError:
        pass
    reference = normalise_reference(query)
    by_reference = select(DocumentReference.document_id).where(DocumentReference.value == reference)
    pattern = f"%{query.replace('%', '').replace('_', '')}%"
    conditions = [Document.text.ilike(pattern), Document.filename.ilike(pattern)]
    if len(reference) >= 3:
        conditions.append(Document.id.in_(by_reference))
    return list(
        session.scalars(
            visible_documents(actor)
            .where(or_(*conditions))
            .order_by(Document.received_at.desc(), Document.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class QueueAges:
    name: str
    bands: list[int] = field(default_factory=list)  # counts per AGE_BANDS entry

    @property
    def total(self) -> int:
        return sum(self.bands)


def age_distribution(
    session: Session, *, actor: Actor, taxonomy: Taxonomy, now: datetime
) -> list[QueueAges]:
    """How long the open documents of each queue have waited, in AGE_BANDS."""
    band = case(
        *(
            (Document.received_at > now - limit, index)
            for index, (_, limit) in enumerate(AGE_BANDS)
            if limit is not None
        ),
        else_=len(AGE_BANDS) - 1,
    )
    rows = session.execute(
        visible_documents(actor)
        .with_only_columns(Document.queue, band, func.count())
        .where(queued())
        .group_by(Document.queue, band)
    ).all()
    counts: dict[str, list[int]] = {}
    for queue, index, count in rows:
        counts.setdefault(str(queue), [0] * len(AGE_BANDS))[int(index)] += count
    names = [*taxonomy.queues, REVIEW_QUEUE]
    return [QueueAges(name, counts.get(name, [0] * len(AGE_BANDS))) for name in names]
