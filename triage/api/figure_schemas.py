"""The backlog figures' API shapes (read from the figures' own dataclasses)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _FromAttributes(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class WindowRead(_FromAttributes):
    """Flows and shares over a span of days (shares are None without any document)."""

    days: int
    inflow_per_day: float
    outflow_per_day: float
    triaged: int
    auto_routed_share: float | None
    review_share: float | None
    misroute_rate: float | None = Field(description="corrections ÷ auto-routed documents")
    handling_minutes: float | None
    relief_completed: int
    second_reviewed: int
    second_review_correction_rate: float | None


class StateOnDayRead(_FromAttributes):
    day: date
    open_count: int
    overdue: int
    age_p50_days: float | None
    age_p90_days: float | None
    week: WindowRead = Field(description="the flows of the seven days that end on this day")


class ComparisonRowRead(_FromAttributes):
    scope: str
    key: str
    baseline: StateOnDayRead | None
    today: StateOnDayRead | None


class FiguresRead(_FromAttributes):
    baseline_day: date | None
    baseline_label: str | None
    baseline_marked_by: str | None
    today: date | None = Field(description="the latest snapshot's day")
    taken_at: datetime | None
    tenant: ComparisonRowRead
    queues: list[ComparisonRowRead]


class QueueForecastRead(_FromAttributes):
    key: str
    open_count: int
    inflow_per_day: float
    outflow_per_day: float
    relief_per_day: float
    net_per_day: float
    days_to_empty: float | None = Field(description="None: not empty at this rate")
    days_with_relief: float | None


class ForecastRead(_FromAttributes):
    today: date | None
    window_days: int
    relief_staff: int
    cases_per_person_day: float
    working_days_per_week: int
    tenant: QueueForecastRead | None
    queues: list[QueueForecastRead]


class CaseTypeMaturityRead(_FromAttributes):
    case_type: str
    current: WindowRead
    previous: WindowRead
    verdict: str


class MaturityRead(BaseModel):
    today: date | None
    period_days: int
    case_types: list[CaseTypeMaturityRead]


class BaselineCreate(BaseModel):
    day: date
    label: str = Field(default="Basislinie", max_length=200)


class BaselineRead(_FromAttributes):
    day: date
    label: str
    marked_at: datetime
    marked_by: str
