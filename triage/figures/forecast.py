"""The burn-down forecast: when each queue is empty at the current net throughput, and with
N more relief staff.

Assumptions, shown under the chart: inflow and outflow continue at their mean over the
last ``window_days`` calendar days; a relief worker completes ``cases_per_person_day``
documents on each of ``working_days_per_week`` working days, on top of today's outflow;
for a single queue all N relief staff work that queue, for the whole tenant they share
the work.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from triage.db.models import FigureSnapshot
from triage.figures.snapshot import TENANT_KEY, Scope
from triage.figures.store import first_snapshot_day, latest_day, snapshots
from triage.figures.window import window

WINDOW_DAYS = 14
WORKING_DAYS_PER_WEEK = 5
# The projection stops here even when a queue never empties.
HORIZON_DAYS = 365


@dataclass(frozen=True)
class QueueForecast:
    key: str
    open_count: int
    inflow_per_day: float
    outflow_per_day: float
    relief_per_day: float

    @property
    def net_per_day(self) -> float:
        """Documents the queue shrinks by per calendar day (negative: it grows)."""
        return self.outflow_per_day - self.inflow_per_day

    @property
    def days_to_empty(self) -> float | None:
        return _days(self.open_count, self.net_per_day)

    @property
    def days_with_relief(self) -> float | None:
        return _days(self.open_count, self.net_per_day + self.relief_per_day)


def _days(open_count: int, net: float) -> float | None:
    """None: not empty at this rate (it grows or stays)."""
    if open_count == 0:
        return 0.0
    if net <= 0:
        return None
    return open_count / net


@dataclass(frozen=True)
class Forecast:
    today: date | None
    window_days: int
    relief_staff: int
    cases_per_person_day: float
    working_days_per_week: int
    tenant: QueueForecast | None
    queues: list[QueueForecast]

    def projection(self, item: QueueForecast) -> list[tuple[date, float, float]]:
        """(day, open at today's rate, open with the relief staff) until both are empty
        or the horizon."""
        assert self.today is not None
        ends = [d for d in (item.days_to_empty, item.days_with_relief) if d is not None]
        span = min(HORIZON_DAYS, math.ceil(max(ends, default=90) * 1.1) + 1)
        return [
            (
                self.today + timedelta(days=n),
                max(item.open_count - item.net_per_day * n, 0.0),
                max(item.open_count - (item.net_per_day + item.relief_per_day) * n, 0.0),
            )
            for n in range(span + 1)
        ]


def relief_per_calendar_day(staff: int, cases_per_person_day: float) -> float:
    return staff * cases_per_person_day * WORKING_DAYS_PER_WEEK / 7


def forecast(
    session: Session, *, tenant_id: uuid.UUID, relief_staff: int, cases_per_person_day: float
) -> Forecast:
    if relief_staff < 0 or cases_per_person_day <= 0:
        raise ValueError("relief_staff ≥ 0 and cases_per_person_day > 0")
    today = latest_day(session, tenant_id=tenant_id)
    empty = Forecast(
        today, WINDOW_DAYS, relief_staff, cases_per_person_day, WORKING_DAYS_PER_WEEK, None, []
    )
    if today is None:
        return empty
    first = first_snapshot_day(session, tenant_id=tenant_id) or today
    start = max(today - timedelta(days=WINDOW_DAYS - 1), first)
    rows = snapshots(
        session, tenant_id=tenant_id, scopes=[Scope.TENANT, Scope.QUEUE], since=start, until=today
    )
    by_key: dict[tuple[str, str], list[FigureSnapshot]] = defaultdict(list)
    for row in rows:
        by_key[row.scope, row.key].append(row)
    relief = relief_per_calendar_day(relief_staff, cases_per_person_day)

    def item(scope: str, key: str) -> QueueForecast:
        series = by_key[scope, key]
        latest = next((r for r in series if r.day == today), None)
        flows = window(series, first=start, last=today)
        return QueueForecast(
            key=key,
            open_count=latest.open_count if latest is not None else 0,
            inflow_per_day=flows.inflow_per_day,
            outflow_per_day=flows.outflow_per_day,
            relief_per_day=relief,
        )

    queues = sorted(key for scope, key in by_key if scope == Scope.QUEUE)
    return Forecast(
        today=today,
        window_days=(today - start).days + 1,
        relief_staff=relief_staff,
        cases_per_person_day=cases_per_person_day,
        working_days_per_week=WORKING_DAYS_PER_WEEK,
        tenant=item(Scope.TENANT, TENANT_KEY),
        queues=[item(Scope.QUEUE, key) for key in queues],
    )
