"""Baseline vs. today: the state on the marked day beside the latest one, for the tenant
and each queue, and the daily series behind the charts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from triage.db.models import FigureSnapshot
from triage.figures.snapshot import TENANT_KEY, Scope
from triage.figures.store import (
    current_baseline,
    first_snapshot_day,
    latest_day,
    snapshots,
)
from triage.figures.window import Window, window

# Flows and shares on a day are read over the week that ends with it: one day's inflow
# swings with the post.
FLOW_DAYS = 7
# The charts show the baseline with this much before it, or this much history without one.
LEAD_DAYS = 30
HISTORY_DAYS = 90
LONGEST_HISTORY_DAYS = 366


@dataclass(frozen=True)
class StateOnDay:
    day: date
    open_count: int
    overdue: int
    age_p50_days: float | None
    age_p90_days: float | None
    week: Window


@dataclass(frozen=True)
class ComparisonRow:
    scope: str
    key: str
    baseline: StateOnDay | None
    today: StateOnDay | None


@dataclass(frozen=True)
class Comparison:
    baseline_day: date | None
    baseline_label: str | None
    baseline_marked_by: str | None
    today: date | None
    taken_at: datetime | None
    tenant: ComparisonRow
    queues: list[ComparisonRow]
    # The tenant's daily snapshots for the charts, oldest first.
    series: list[FigureSnapshot]


def _state(rows: list[FigureSnapshot], day: date, first_day: date) -> StateOnDay | None:
    on_day = next((r for r in rows if r.day == day), None)
    if on_day is None:
        return None
    start = max(day - timedelta(days=FLOW_DAYS - 1), first_day)
    return StateOnDay(
        day=day,
        open_count=on_day.open_count,
        overdue=on_day.overdue,
        age_p50_days=on_day.age_p50_days,
        age_p90_days=on_day.age_p90_days,
        week=window(rows, first=start, last=day),
    )


def compare(session: Session, *, tenant_id: uuid.UUID) -> Comparison:
    today = latest_day(session, tenant_id=tenant_id)
    baseline = current_baseline(session, tenant_id=tenant_id)
    empty = ComparisonRow(Scope.TENANT, TENANT_KEY, None, None)
    if today is None:
        return Comparison(None, None, None, None, None, empty, [], [])
    anchors = [today] + ([baseline.day] if baseline is not None else [])
    # Only the weeks that end on the two days: a year of thirty queues stays unread.
    needed = sorted({a - timedelta(days=n) for a in anchors for n in range(FLOW_DAYS)})
    around = snapshots(
        session, tenant_id=tenant_id, scopes=[Scope.TENANT, Scope.QUEUE], days=needed
    )
    # Flows before the first snapshot are unknown, not zero.
    first_day = first_snapshot_day(session, tenant_id=tenant_id) or today
    by_key: dict[tuple[str, str], list[FigureSnapshot]] = defaultdict(list)
    for row in around:
        by_key[row.scope, row.key].append(row)

    def row_for(scope: str, key: str) -> ComparisonRow:
        rows = by_key.get((scope, key), [])
        return ComparisonRow(
            scope,
            key,
            _state(rows, baseline.day, first_day) if baseline is not None else None,
            _state(rows, today, first_day),
        )

    queue_keys = sorted(key for scope, key in by_key if scope == Scope.QUEUE)
    history_start = (
        baseline.day - timedelta(days=LEAD_DAYS)
        if baseline is not None
        else today - timedelta(days=HISTORY_DAYS)
    )
    history_start = max(history_start, today - timedelta(days=LONGEST_HISTORY_DAYS))
    series = snapshots(session, tenant_id=tenant_id, scopes=[Scope.TENANT], since=history_start)
    latest = next((r for r in reversed(series) if r.day == today), None)
    return Comparison(
        baseline_day=baseline.day if baseline is not None else None,
        baseline_label=baseline.label if baseline is not None else None,
        baseline_marked_by=baseline.marked_by if baseline is not None else None,
        today=today,
        taken_at=latest.taken_at if latest is not None else None,
        tenant=row_for(Scope.TENANT, TENANT_KEY),
        queues=[row_for(Scope.QUEUE, key) for key in queue_keys],
        series=series,
    )
