"""Sums over a span of daily snapshots: flows per day and the shares that only make sense
as ratios of sums (a mean of daily shares would weigh a quiet Sunday like a Monday)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from triage.db.models import FigureSnapshot


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


@dataclass(frozen=True)
class Window:
    days: int
    inflow: int
    outflow: int
    triaged: int
    auto_routed: int
    to_review: int
    misrouted: int
    relief_completed: int
    second_reviewed: int
    second_review_corrected: int
    # The outflow-weighted mean of the daily medians: the typical time a person held a
    # document (exact medians would need every handling time of the span).
    handling_minutes: float | None

    @property
    def inflow_per_day(self) -> float:
        return self.inflow / self.days if self.days else 0.0

    @property
    def outflow_per_day(self) -> float:
        return self.outflow / self.days if self.days else 0.0

    @property
    def auto_routed_share(self) -> float | None:
        return share(self.auto_routed, self.triaged)

    @property
    def review_share(self) -> float | None:
        return share(self.to_review, self.triaged)

    @property
    def misroute_rate(self) -> float | None:
        """Corrections of auto-routed documents ÷ auto-routed documents."""
        return share(self.misrouted, self.auto_routed)

    @property
    def second_review_correction_rate(self) -> float | None:
        return share(self.second_review_corrected, self.second_reviewed)


def window(rows: Iterable[FigureSnapshot], *, first: date, last: date) -> Window:
    """The sums of the rows dated ``first`` to ``last`` (one scope and key); ``days`` counts
    the calendar days of the span, so a day without any document counts as a quiet day."""
    inside = [r for r in rows if first <= r.day <= last]
    weighted = [
        (r.handling_median_minutes, r.outflow)
        for r in inside
        if r.handling_median_minutes is not None and r.outflow
    ]
    weight = sum(n for _, n in weighted)
    return Window(
        days=(last - first).days + 1,
        inflow=sum(r.inflow for r in inside),
        outflow=sum(r.outflow for r in inside),
        triaged=sum(r.triaged for r in inside),
        auto_routed=sum(r.auto_routed for r in inside),
        to_review=sum(r.to_review for r in inside),
        misrouted=sum(r.misrouted for r in inside),
        relief_completed=sum(r.relief_completed for r in inside),
        second_reviewed=sum(r.second_reviewed for r in inside),
        second_review_corrected=sum(r.second_review_corrected for r in inside),
        handling_minutes=sum(m * n for m, n in weighted) / weight if weight else None,
    )
