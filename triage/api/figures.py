"""Backlog figures for team leads and admins: baseline vs. today, the burn-down forecast,
process maturity per case type, and the daily snapshots as CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from triage.actors import Actor
from triage.administration.rules import tenant_rules
from triage.api.deps import AdminActorDep, require_role
from triage.api.figure_schemas import (
    BaselineCreate,
    BaselineRead,
    CaseTypeMaturityRead,
    FiguresRead,
    ForecastRead,
    MaturityRead,
)
from triage.db.models import Role
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.dependencies import ServicesDep, SessionDep
from triage.figures.compare import compare
from triage.figures.export import snapshots_csv
from triage.figures.forecast import forecast
from triage.figures.maturity import PERIOD_DAYS, maturity
from triage.figures.snapshot import Scope
from triage.figures.store import BaselineError, mark_baseline, snapshots

router = APIRouter(tags=["figures"])
FiguresActorDep = Annotated[Actor, Depends(require_role(Role.TEAMLEAD, Role.ADMIN))]
SCOPES = (Scope.TENANT, Scope.QUEUE, Scope.CASE_TYPE)


@router.get("/figures", response_model=FiguresRead)
def figures(actor: FiguresActorDep, session: SessionDep) -> FiguresRead:
    """The baseline day beside the latest snapshot (normally today's, refreshed by the
    worker), for the tenant and each queue."""
    assert actor.tenant_id is not None
    return FiguresRead.model_validate(compare(session, tenant_id=actor.tenant_id))


@router.get("/figures/forecast", response_model=ForecastRead)
def burn_down(
    actor: FiguresActorDep,
    session: SessionDep,
    relief_staff: Annotated[int, Query(ge=0, le=1000)] = 0,
    cases_per_person_day: Annotated[float | None, Query(gt=0, le=500)] = None,
) -> ForecastRead:
    """Days until each queue is empty at the net throughput of the last 14 days, and with
    ``relief_staff`` more people at ``cases_per_person_day`` (default: the tenant's rule)."""
    assert actor.tenant_id is not None
    per_day = (
        cases_per_person_day
        or tenant_rules(session, tenant_id=actor.tenant_id).relief_cases_per_day
    )
    return ForecastRead.model_validate(
        forecast(
            session,
            tenant_id=actor.tenant_id,
            relief_staff=relief_staff,
            cases_per_person_day=per_day,
        )
    )


@router.get("/figures/maturity", response_model=MaturityRead)
def process_maturity(actor: FiguresActorDep, session: SessionDep) -> MaturityRead:
    """Per case type over the last 30 days against the 30 before: auto-routed share,
    review share, misroute rate, handling time, and a verdict."""
    assert actor.tenant_id is not None
    today, found = maturity(session, tenant_id=actor.tenant_id)
    return MaturityRead(
        today=today,
        period_days=PERIOD_DAYS,
        case_types=[CaseTypeMaturityRead.model_validate(m) for m in found],
    )


@router.get("/figures/snapshots.csv", response_class=Response)
def snapshots_export(
    actor: FiguresActorDep,
    session: SessionDep,
    scope: Annotated[list[str] | None, Query()] = None,
    since: date | None = None,
    until: date | None = None,
) -> Response:
    """The daily snapshots as CSV; ``scope`` (repeatable): tenant, queue, case_type."""
    assert actor.tenant_id is not None
    chosen = scope or list(SCOPES)
    unknown = sorted(set(chosen) - set(SCOPES))
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"unknown scope {', '.join(unknown)}; scopes: {', '.join(SCOPES)}",
        )
    rows = snapshots(session, tenant_id=actor.tenant_id, scopes=chosen, since=since, until=until)
    return Response(
        snapshots_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="kennzahlen.csv"'},
    )


@router.post("/admin/baseline", response_model=BaselineRead, status_code=201)
def create_baseline(
    body: BaselineCreate, actor: AdminActorDep, services: ServicesDep
) -> BaselineRead:
    """Marks the day the figures are compared with (e.g. a relief project's start)."""
    assert actor.tenant_id is not None
    try:
        with transaction(services.session_factory) as session:
            baseline = mark_baseline(
                session,
                tenant_id=actor.tenant_id,
                day=body.day,
                label=body.label,
                actor=actor,
                now=utcnow(),
            )
            session.flush()
            return BaselineRead.model_validate(baseline)
    except BaselineError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
