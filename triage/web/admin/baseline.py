"""Basislinie: the day the figures are compared with (e.g. a relief project's start)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from triage.db.models import FigureBaseline
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.dependencies import ServicesDep, SessionDep
from triage.figures.snapshot import local_day
from triage.figures.store import BaselineError, mark_baseline
from triage.web.admin.common import AdminDep, AdminFormDep, back_with, tenant_id
from triage.web.render import templates

router = APIRouter()
PAGE = "/verwaltung/basislinie"


@router.get("/basislinie", response_class=HTMLResponse)
def baseline_page(
    request: Request,
    person: AdminDep,
    session: SessionDep,
    hinweis: str | None = None,
    fehler: str | None = None,
) -> Response:
    marked = session.scalars(
        select(FigureBaseline)
        .where(FigureBaseline.tenant_id == tenant_id(person))
        .order_by(FigureBaseline.marked_at.desc(), FigureBaseline.id.desc())
    ).all()
    return templates.TemplateResponse(
        request,
        "admin/baseline.html",
        {
            "person": person,
            "baselines": marked,
            "today": local_day(utcnow()),
            "notice": hinweis,
            "error": fehler,
        },
    )


@router.post("/basislinie")
def mark(
    person: AdminFormDep,
    services: ServicesDep,
    day: Annotated[date, Form()],
    label: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        with transaction(services.session_factory) as session:
            mark_baseline(
                session,
                tenant_id=tenant_id(person),
                day=day,
                label=label,
                actor=person.actor,
                now=utcnow(),
            )
    except BaselineError as exc:
        return back_with(PAGE, error=str(exc))
    return back_with(PAGE, notice=f"Basislinie ist jetzt der {day.strftime('%d.%m.%Y')}.")
