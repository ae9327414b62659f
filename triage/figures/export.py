"""The snapshots as CSV: one row per day, scope and key, every stored figure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from triage.db.models import FigureSnapshot

COLUMNS = (
    "day",
    "scope",
    "key",
    "open_count",
    "inflow",
    "outflow",
    "overdue",
    "age_p50_days",
    "age_p90_days",
    "triaged",
    "auto_routed",
    "to_review",
    "misrouted",
    "handling_median_minutes",
    "relief_completed",
    "second_reviewed",
    "second_review_corrected",
    "taken_at",
)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def snapshots_csv(rows: Iterable[FigureSnapshot]) -> str:
    """RFC 4180 CSV (comma, decimal point, UTF-8), header first; an empty cell is a figure
    that does not exist (no open documents: no age)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, column)) for column in COLUMNS])
    return out.getvalue()
