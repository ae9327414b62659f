"""Claiming the next document of a queue: by priority, follow-ups first to whoever has
the matter, never the same document to two people."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, union_all, update
from sqlalchemy.orm import Session

from triage.actors import Actor
from triage.db.models import Document
from triage.db.types import utcnow
from triage.documents.service import get_document, record_event, visible_documents
from triage.queues.common import (
    QUEUED_STATES,
    QueueNotAllowedError,
    as_utc,
    claim_order,
    iso,
    queued,
    unleased,
)


def _people_on(earlier: Any, *, now: datetime, hold: timedelta) -> set[tuple[str | None, str]]:
    """Who has the matter of an earlier document: its holder under a valid lease, and who
    completed it within ``hold`` (as (actor kind, actor id))."""
    people: set[tuple[str | None, str]] = set()
    completed = as_utc(earlier.completed_at)
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
        (-(r.priority_key or 0.0), as_utc(r.received_at) or now, r.id)
        for r in rows
        if r.tenant_id == actor.tenant_id
        and r.queue == queue
        and r.status in queued
        and not _leased(r.lease_expires_at, now)
    )
    return [document_id for *_, document_id in mine]


def _leased(lease_expires_at: datetime | None, now: datetime) -> bool:
    lease = as_utc(lease_expires_at)
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
        .where(Document.queue == queue, queued(), unleased(now))
    )
    # First past the rows other claims have locked; when that finds nothing, once more
    # waiting for them: a claim locks its whole page of candidates for a few
    # milliseconds, and a small queue must not look empty to a second person meanwhile.
    for skip_locked in (True, False):
        candidates: list[uuid.UUID] = []
        if follow_up_hold > timedelta(0):
            candidates += _my_follow_ups(
                session, queue=queue, actor=actor, now=now, hold=follow_up_hold
            )[:5]
        candidates += _candidates(
            session, open_here, actor=actor, now=now, hold=follow_up_hold, skip_locked=skip_locked
        )
        claimed = _take_first(
            session, candidates, actor=actor, queue=queue, now=now, lease_seconds=lease_seconds
        )
        if claimed is not None:
            return claimed
    return None


def _candidates(
    session: Session,
    open_here: Any,
    *,
    actor: Actor,
    now: datetime,
    hold: timedelta,
    skip_locked: bool,
) -> list[uuid.UUID]:
    candidates: list[uuid.UUID] = []
    for page in range(0, 1000, CLAIM_PAGE):
        rows = session.execute(
            open_here.add_columns(Document.follow_up_of_id)
            .order_by(*claim_order())
            .limit(CLAIM_PAGE)
            .offset(page)
            .with_for_update(skip_locked=skip_locked)
        ).all()
        if hold > timedelta(0):
            candidates += _not_reserved_for_others(session, rows, actor=actor, now=now, hold=hold)
        else:
            candidates += [row.id for row in rows]
        if candidates or len(rows) < CLAIM_PAGE:
            break
    return candidates


def _take_first(
    session: Session,
    candidates: list[uuid.UUID],
    *,
    actor: Actor,
    queue: str,
    now: datetime,
    lease_seconds: int,
) -> Document | None:
    for document_id in candidates:
        taken = session.execute(
            update(Document)
            .where(Document.id == document_id, queued(), unleased(now))
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
                detail={"queue": queue, "lease_expires_at": iso(document.lease_expires_at)},
            )
            return document
    return None
