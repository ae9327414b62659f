"""Daily snapshots in the database: taking them (the worker when idle, or the CLI),
reading them back, and the baseline an admin marks."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from triage.actors import Actor
from triage.administration.audit import record_admin_change
from triage.db.models import Document, FigureBaseline, FigureSnapshot, Tenant
from triage.db.session import transaction
from triage.figures.snapshot import compute_day, day_bounds, local_day
from triage.queues.common import as_utc

log = logging.getLogger(__name__)
CHECK_EVERY = timedelta(minutes=1)


class BaselineError(ValueError):
    """The baseline cannot be marked; the message (German) says why."""


def take_snapshot(session: Session, *, tenant_id: uuid.UUID, day: date, now: datetime) -> int:
    """Computes ``day``'s figures and replaces whatever was stored for it; the number of
    rows written. For a day not over yet the figures are the state at ``now``."""
    figures = compute_day(session, tenant_id=tenant_id, day=day, now=now)
    session.execute(
        delete(FigureSnapshot).where(
            FigureSnapshot.tenant_id == tenant_id, FigureSnapshot.day == day
        )
    )
    session.add_all(
        FigureSnapshot(tenant_id=tenant_id, day=day, taken_at=now, **f.stored()) for f in figures
    )
    return len(figures)


def days_to_take(
    session: Session, *, tenant_id: uuid.UUID, now: datetime, backfill_days: int, refresh: timedelta
) -> list[date]:
    """The days whose snapshot is missing or was taken before the day ended, from the
    tenant's first document (at most ``backfill_days`` back); today again once its
    snapshot is older than ``refresh``."""
    today = local_day(now)
    first_received = session.scalar(
        select(func.min(Document.received_at)).where(Document.tenant_id == tenant_id)
    )
    if first_received is None:
        return []
    first = max(local_day(first_received), today - timedelta(days=backfill_days))
    taken = dict(
        session.execute(
            select(FigureSnapshot.day, func.min(FigureSnapshot.taken_at))
            .where(FigureSnapshot.tenant_id == tenant_id, FigureSnapshot.day >= first)
            .group_by(FigureSnapshot.day)
        ).all()
    )
    due: list[date] = []
    day = first
    while day <= today:
        at = taken.get(day)
        if day == today:
            if at is None or _utc(at) < now - refresh:
                due.append(day)
        elif at is None or _utc(at) < day_bounds(day)[1]:
            due.append(day)
        day += timedelta(days=1)
    return due


def _utc(moment: datetime) -> datetime:
    converted = as_utc(moment)
    assert converted is not None
    return converted


class SnapshotTaker:
    """The worker's idle task: keeps every tenant's daily snapshots complete, and today's
    fresh, so the figures page only reads."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        backfill_days: int,
        refresh: timedelta,
    ) -> None:
        self._factory = session_factory
        self._backfill_days = backfill_days
        self._refresh = refresh
        self._next_check: datetime | None = None

    def run_due(self, now: datetime, *, alive: Callable[[], None] = lambda: None) -> int:
        # The idle loop comes by every few seconds; a look at the snapshots once a minute
        # is enough for a refresh every quarter of an hour.
        if self._next_check is not None and now < self._next_check:
            return 0
        self._next_check = now + CHECK_EVERY
        taken = 0
        with self._factory() as session:
            tenants = session.scalars(select(Tenant.id)).all()
        for tenant_id in tenants:
            with self._factory() as session:
                due = days_to_take(
                    session,
                    tenant_id=tenant_id,
                    now=now,
                    backfill_days=self._backfill_days,
                    refresh=self._refresh,
                )
            for day in due:
                try:
                    with transaction(self._factory) as session:
                        take_snapshot(session, tenant_id=tenant_id, day=day, now=now)
                except IntegrityError:
                    # Another worker wrote the same day at the same moment: its rows stand.
                    log.info("figures of %s for %s taken by another worker", tenant_id, day)
                    continue
                taken += 1
                alive()
        if taken:
            log.info("figures: %d daily snapshots taken", taken)
        return taken


def snapshots(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    scopes: Sequence[str],
    since: date | None = None,
    until: date | None = None,
    days: Sequence[date] | None = None,
) -> list[FigureSnapshot]:
    query = select(FigureSnapshot).where(
        FigureSnapshot.tenant_id == tenant_id, FigureSnapshot.scope.in_(scopes)
    )
    if since is not None:
        query = query.where(FigureSnapshot.day >= since)
    if until is not None:
        query = query.where(FigureSnapshot.day <= until)
    if days is not None:
        query = query.where(FigureSnapshot.day.in_(days))
    return list(
        session.scalars(
            query.order_by(FigureSnapshot.day, FigureSnapshot.scope, FigureSnapshot.key)
        )
    )


def latest_day(session: Session, *, tenant_id: uuid.UUID) -> date | None:
    return session.scalar(
        select(func.max(FigureSnapshot.day)).where(FigureSnapshot.tenant_id == tenant_id)
    )


def first_snapshot_day(session: Session, *, tenant_id: uuid.UUID) -> date | None:
    return session.scalar(
        select(func.min(FigureSnapshot.day)).where(FigureSnapshot.tenant_id == tenant_id)
    )


def current_baseline(session: Session, *, tenant_id: uuid.UUID) -> FigureBaseline | None:
    return session.scalar(
        select(FigureBaseline)
        .where(FigureBaseline.tenant_id == tenant_id)
        .order_by(FigureBaseline.marked_at.desc(), FigureBaseline.id.desc())
        .limit(1)
    )


def mark_baseline(
    session: Session, *, tenant_id: uuid.UUID, day: date, label: str, actor: Actor, now: datetime
) -> FigureBaseline:
    """Makes ``day`` the baseline (recorded as an admin change); its snapshot is taken now
    if there is none yet."""
    if day > local_day(now):
        raise BaselineError("Die Basislinie kann nicht in der Zukunft liegen.")
    baseline = FigureBaseline(
        tenant_id=tenant_id,
        day=day,
        label=label.strip()[:200] or "Basislinie",
        marked_by=actor.name,
        marked_at=now,
    )
    session.add(baseline)
    record_admin_change(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="baseline.marked",
        target=baseline.label,
        detail={"day": day.isoformat()},
    )
    has_snapshot = session.scalar(
        select(FigureSnapshot.id)
        .where(FigureSnapshot.tenant_id == tenant_id, FigureSnapshot.day == day)
        .limit(1)
    )
    if has_snapshot is None:
        take_snapshot(session, tenant_id=tenant_id, day=day, now=now)
    return baseline
