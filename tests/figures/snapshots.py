"""Daily snapshots written for a test or a benchmark: a queue's open count moving by its
inflow and outflow, with shares that follow from the counts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from triage.db.models import FigureSnapshot
from triage.db.types import utcnow


def snapshot_row(
    tenant_id: uuid.UUID, day: date, scope: str, key: str, **figures: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tenant_id": tenant_id,
        "day": day,
        "scope": scope,
        "key": key,
        "open_count": 0,
        "inflow": 0,
        "outflow": 0,
        "overdue": 0,
        "age_p50_days": None,
        "age_p90_days": None,
        "triaged": 0,
        "auto_routed": 0,
        "to_review": 0,
        "misrouted": 0,
        "handling_median_minutes": None,
        "relief_completed": 0,
        "second_reviewed": 0,
        "second_review_corrected": 0,
        "taken_at": utcnow(),
    }
    row.update(figures)
    return row


def write_series(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    scope: str,
    key: str,
    last: date,
    days: int,
    day_figures: Callable[[int], dict[str, Any]],
) -> None:
    """``days`` snapshots ending on ``last``; ``day_figures(n)`` gives day n's figures
    (n = 0 the first day)."""
    first = last - timedelta(days=days - 1)
    rows = [
        snapshot_row(tenant_id, first + timedelta(days=n), scope, key, **day_figures(n))
        for n in range(days)
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(FigureSnapshot), rows[start : start + 5000])
