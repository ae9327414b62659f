"""Process maturity per case type: how much of it triage routes alone and how often that
is wrong, how long people take, the trend against the period before, and what to do next.

The verdict rules (documented in docs/decisions.md) read the last ``PERIOD_DAYS``:
- fewer than ``MIN_TRIAGED`` triaged documents: too little data to judge;
- misroute rate above 10 %: the case type is confused with another; sharpen its
  description and examples;
- review share above 40 %: the classifier is unsure; it needs more examples (every review
  decision adds one);
- misroute rate at most 5 % and review share at most 20 %: ready for more automation
  (e.g. a lower review threshold, or relief staff);
- otherwise: watch.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from triage.db.models import FigureSnapshot
from triage.figures.snapshot import Scope
from triage.figures.store import latest_day, snapshots
from triage.figures.window import Window, window

PERIOD_DAYS = 30
MIN_TRIAGED = 20


class Verdict(StrEnum):
    TOO_LITTLE_DATA = "Zu wenig Daten"
    SHARPEN = "Beschreibung und Beispiele schärfen"
    MORE_EXAMPLES = "Mehr Beispiele nötig"
    READY = "Bereit für mehr Automatisierung"
    WATCH = "Beobachten"


@dataclass(frozen=True)
class CaseTypeMaturity:
    case_type: str
    current: Window
    previous: Window
    verdict: Verdict

    def trend(self, name: str) -> float | None:
        """The change of a Window property against the previous period (None: unknown)."""
        now, before = getattr(self.current, name), getattr(self.previous, name)
        if now is None or before is None:
            return None
        return float(now - before)


def verdict(current: Window) -> Verdict:
    if current.triaged < MIN_TRIAGED:
        return Verdict.TOO_LITTLE_DATA
    misroute = current.misroute_rate or 0.0
    review = current.review_share or 0.0
    if misroute > 0.10:
        return Verdict.SHARPEN
    if review > 0.40:
        return Verdict.MORE_EXAMPLES
    if misroute <= 0.05 and review <= 0.20:
        return Verdict.READY
    return Verdict.WATCH


def maturity(
    session: Session, *, tenant_id: uuid.UUID
) -> tuple[date | None, list[CaseTypeMaturity]]:
    """The latest snapshot day and each case type's maturity, the most triaged first."""
    today = latest_day(session, tenant_id=tenant_id)
    if today is None:
        return None, []
    current_start = today - timedelta(days=PERIOD_DAYS - 1)
    previous_start = current_start - timedelta(days=PERIOD_DAYS)
    rows = snapshots(session, tenant_id=tenant_id, scopes=[Scope.CASE_TYPE], since=previous_start)
    by_type: dict[str, list[FigureSnapshot]] = defaultdict(list)
    for row in rows:
        by_type[row.key].append(row)
    found = []
    for case_type, series in by_type.items():
        current = window(series, first=current_start, last=today)
        previous = window(series, first=previous_start, last=current_start - timedelta(days=1))
        found.append(CaseTypeMaturity(case_type, current, previous, verdict(current)))
    found.sort(key=lambda m: (-m.current.triaged, m.case_type))
    return today, found
