"""A durable job queue in the database, with priorities and leases.

A worker claims a job for a lease; a worker that dies simply lets the lease run out and
another worker takes the job again. Claiming is a compare-and-set UPDATE, which is safe on
SQLite and PostgreSQL alike; on PostgreSQL the candidate is chosen with
``FOR UPDATE SKIP LOCKED`` so that concurrent workers do not queue behind one row.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from triage.db.models import Job, JobStatus
from triage.db.session import transaction
from triage.db.types import utcnow


class JobKind:
    PROCESS = "process"
    # LLM fields, summary and second opinion of a triaged document (triage.assist).
    ASSIST = "assist"


class JobPriority(IntEnum):
    """Higher runs first: the triage path must never wait behind slow enrichment."""

    BACKGROUND = 10
    TRIAGE = 100


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    tenant_id: uuid.UUID
    document_id: uuid.UUID
    kind: str
    attempts: int
    lease_owner: str


def enqueue(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    document_id: uuid.UUID,
    kind: str = JobKind.PROCESS,
    priority: int = JobPriority.TRIAGE,
) -> Job:
    """Adds a job unless the same work is already waiting (enqueueing is idempotent)."""
    pending = session.scalar(
        select(Job).where(
            Job.document_id == document_id,
            Job.kind == kind,
            Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
        )
    )
    if pending is not None:
        return pending
    job = Job(
        tenant_id=tenant_id,
        document_id=document_id,
        kind=kind,
        priority=priority,
        status=JobStatus.QUEUED,
        available_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def claim_next(
    factory: sessionmaker[Session], *, worker_id: str, lease_seconds: int
) -> ClaimedJob | None:
    claimed = claim_batch(factory, worker_id=worker_id, lease_seconds=lease_seconds, limit=1)
    return claimed[0] if claimed else None


def _claimable(now: datetime, kinds: Collection[str] | None = None) -> ColumnElement[bool]:
    claimable = or_(
        (Job.status == JobStatus.QUEUED) & (Job.available_at <= now),
        (Job.status == JobStatus.RUNNING) & (Job.lease_expires_at < now),
    )
    return claimable if kinds is None else claimable & Job.kind.in_(list(kinds))


def ready_count(
    factory: sessionmaker[Session], *, limit: int, kinds: Collection[str] | None = None
) -> int:
    """How many jobs (of ``kinds``; None: any) could be claimed now (counted up to ``limit``)."""
    with factory() as session:
        ids = select(Job.id).where(_claimable(utcnow(), kinds)).limit(limit).subquery()
        return session.scalar(select(func.count()).select_from(ids)) or 0


def claim_batch(
    factory: sessionmaker[Session],
    *,
    worker_id: str,
    lease_seconds: int,
    limit: int,
    kinds: Collection[str] | None = None,
) -> list[ClaimedJob]:
    """Leases up to ``limit`` waiting jobs (of ``kinds``; None: any), highest priority
    first, in one transaction.

    On PostgreSQL the candidates are locked with SKIP LOCKED, so concurrent workers take
    different jobs; on SQLite the transaction holds the write lock (BEGIN IMMEDIATE). The
    update re-checks that each job is still claimable, so a job is never leased twice.
    """
    now = utcnow()
    claimable = _claimable(now, kinds)
    with transaction(factory) as session:
        candidates = session.scalars(
            select(Job.id)
            .where(claimable)
            .order_by(Job.priority.desc(), Job.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not candidates:
            return []
        rows = session.execute(
            update(Job)
            .where(Job.id.in_(candidates), claimable)
            .values(
                status=JobStatus.RUNNING,
                lease_owner=worker_id,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=Job.attempts + 1,
                updated_at=now,
            )
            .returning(Job.id, Job.tenant_id, Job.document_id, Job.kind, Job.attempts)
        ).all()
    return sorted(
        (
            ClaimedJob(
                id=row.id,
                tenant_id=row.tenant_id,
                document_id=row.document_id,
                kind=row.kind,
                attempts=row.attempts,
                lease_owner=worker_id,
            )
            for row in rows
        ),
        key=lambda job: job.id,
    )


def finish(session: Session, *, job: ClaimedJob) -> bool:
    """Marks the job done if this worker still holds it; False when the lease was lost."""
    result = session.execute(
        update(Job)
        .where(
            Job.id == job.id, Job.lease_owner == job.lease_owner, Job.status == JobStatus.RUNNING
        )
        .values(status=JobStatus.DONE, lease_expires_at=None, updated_at=utcnow())
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def retry_or_fail(
    session: Session, *, job: ClaimedJob, error: str, max_attempts: int, backoff_seconds: int
) -> bool:
    """Puts the job back with a delay, or fails it for good; True when it will be retried."""
    now = utcnow()
    retry = job.attempts < max_attempts
    session.execute(
        update(Job)
        .where(Job.id == job.id, Job.lease_owner == job.lease_owner)
        .values(
            status=JobStatus.QUEUED if retry else JobStatus.FAILED,
            lease_owner=None,
            lease_expires_at=None,
            available_at=now + timedelta(seconds=backoff_seconds * job.attempts),
            last_error=error[:4000],
            updated_at=now,
        )
    )
    return retry


def release(session: Session, *, job: ClaimedJob) -> bool:
    """Hands a job back untouched, as if never claimed (its attempt does not count): for
    background work that gives way to waiting triage work. False when the lease was lost."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(
            Job.id == job.id, Job.lease_owner == job.lease_owner, Job.status == JobStatus.RUNNING
        )
        .values(
            status=JobStatus.QUEUED,
            lease_owner=None,
            lease_expires_at=None,
            attempts=Job.attempts - 1,
            available_at=now,
            updated_at=now,
        )
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]
