"""Kennzahlen: baseline vs. today with charts, the burn-down forecast, process maturity per
case type, and the snapshots as CSV, for team leads and admins. The page only reads the
stored snapshots (the worker keeps them current), so it stays fast with years of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from triage.administration.rules import tenant_rules
from triage.db.models import FigureSnapshot, Role
from triage.dependencies import ServicesDep, SessionDep
from triage.figures.charts import Series, format_number, format_percent, line_chart, paired_bars
from triage.figures.compare import Comparison, compare
from triage.figures.export import snapshots_csv
from triage.figures.forecast import Forecast, forecast
from triage.figures.maturity import PERIOD_DAYS, maturity
from triage.figures.snapshot import Scope
from triage.figures.store import snapshots
from triage.web.deps import Person, PersonDep
from triage.web.render import templates

router = APIRouter(include_in_schema=False)


def _allowed(person: Person) -> None:
    if not person.actor.has_role(Role.TEAMLEAD, Role.ADMIN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Nur für Teamleitung und Verwaltung")


def _comparison_charts(comparison: Comparison) -> list[Markup]:
    marker = (
        (comparison.baseline_day, "Basislinie") if comparison.baseline_day is not None else None
    )
    rows = comparison.series

    def series(label: str, value: Callable[[FigureSnapshot], float | None]) -> Series:
        return Series(label, [(r.day, value(r)) for r in rows])

    charts = [
        line_chart(
            title="Offene und überfällige Dokumente",
            y_label="Dokumente",
            marker=marker,
            series=[
                series("Offen", lambda r: r.open_count),
                series("Überfällig", lambda r: r.overdue),
            ],
        ),
        line_chart(
            title="Durchsatz pro Tag",
            y_label="Dokumente pro Tag",
            marker=marker,
            series=[
                series("Eingang", lambda r: r.inflow),
                series("Erledigt", lambda r: r.outflow),
            ],
        ),
        line_chart(
            title="Wartezeit der offenen Dokumente",
            y_label="Tage",
            marker=marker,
            series=[
                series("Median", lambda r: r.age_p50_days),
                series("90 % warten kürzer als", lambda r: r.age_p90_days),
            ],
        ),
        line_chart(
            title="Anteil automatisch zugeordnet",
            y_label="Anteil",
            marker=marker,
            percent=True,
            series=[
                series(
                    "Automatisch",
                    lambda r: r.auto_routed / r.triaged if r.triaged else None,
                )
            ],
        ),
    ]
    if comparison.baseline_day is not None:
        charts.insert(
            0,
            paired_bars(
                title="Offene Dokumente je Warteschlange: Basislinie und heute",
                groups=[
                    (
                        q.key,
                        q.baseline.open_count if q.baseline is not None else None,
                        q.today.open_count if q.today is not None else None,
                    )
                    for q in comparison.queues
                ],
            ),
        )
    return charts


def _forecast_chart(result: Forecast) -> Markup | None:
    if result.tenant is None or result.today is None:
        return None
    projection = result.projection(result.tenant)
    return line_chart(
        title="Prognose: offene Dokumente insgesamt",
        y_label="Dokumente",
        series=[
            Series("Heutiger Durchsatz", [(day, now) for day, now, _ in projection]),
            Series(
                f"Mit {result.relief_staff} Aushilfen",
                [(day, relieved) for day, _, relieved in projection],
            ),
        ],
    )


@router.get("/kennzahlen", response_class=HTMLResponse)
def figures_page(
    request: Request,
    person: PersonDep,
    services: ServicesDep,
    session: SessionDep,
    aushilfen: Annotated[int, Query(ge=0, le=1000)] = 2,
    faelle: Annotated[float | None, Query(gt=0, le=500)] = None,
) -> Response:
    _allowed(person)
    tenant_id = person.actor.tenant_id
    assert tenant_id is not None
    per_day = faelle or tenant_rules(session, tenant_id=tenant_id).relief_cases_per_day
    comparison = compare(session, tenant_id=tenant_id)
    burn_down = forecast(
        session, tenant_id=tenant_id, relief_staff=aushilfen, cases_per_person_day=per_day
    )
    _, maturities = maturity(session, tenant_id=tenant_id)
    taxonomy = services.classifiers.taxonomy_for(tenant_id)
    return templates.TemplateResponse(
        request,
        "figures.html",
        {
            "person": person,
            "comparison": comparison,
            "charts": _comparison_charts(comparison) if comparison.today is not None else [],
            "forecast": burn_down,
            "forecast_chart": _forecast_chart(burn_down),
            "maturities": maturities,
            "period_days": PERIOD_DAYS,
            "names": {c.key: c.name for c in taxonomy.case_types},
            "staff": aushilfen,
            "per_day": per_day,
            "timedelta": timedelta,
        },
    )


@router.get("/kennzahlen/kennzahlen.csv")
def figures_csv(person: PersonDep, session: SessionDep) -> Response:
    """Every stored snapshot of the tenant (tenant, queues, case types) as CSV."""
    _allowed(person)
    assert person.actor.tenant_id is not None
    rows = snapshots(
        session,
        tenant_id=person.actor.tenant_id,
        scopes=[Scope.TENANT, Scope.QUEUE, Scope.CASE_TYPE],
    )
    return Response(
        snapshots_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="kennzahlen.csv"'},
    )


def _days(value: float | None) -> str:
    if value is None:
        return "nicht absehbar"
    return f"{format_number(round(value))} Tage"


def _share(value: float | None) -> str:
    return "–" if value is None else format_percent(value)


def _number(value: float | None) -> str:
    return "–" if value is None else format_number(round(value, 1))


def _as(value: float | None, kind: str) -> str:
    return _share(value) if kind == "anteil" else _number(value)


templates.env.filters["als"] = _as
templates.env.filters["zahl"] = _number
templates.env.filters["anteil"] = _share
templates.env.filters["tage"] = _days
