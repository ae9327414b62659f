"""Freigaben: a named person of another municipality works one of this tenant's queues
for a time (inter-municipal help); revoked at once when needed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from triage.administration.grants import GrantError, create_grant, grants_of_tenant, revoke_grant
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.dependencies import ServicesDep, SessionDep
from triage.web.admin.common import AdminDep, AdminFormDep, back_with, own_tenant, tenant_id
from triage.web.render import DISPLAY_ZONE, templates

router = APIRouter()
PAGE = "/verwaltung/freigaben"
DEFAULT_DAYS = 14


def _local_input(moment: datetime) -> str:
    """The value of an <input type="datetime-local"> (Berlin time, to the minute)."""
    return moment.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%dT%H:%M")


def _from_local_input(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=DISPLAY_ZONE)


@router.get("/freigaben", response_class=HTMLResponse)
def grants_page(
    request: Request,
    person: AdminDep,
    services: ServicesDep,
    session: SessionDep,
    hinweis: str | None = None,
    fehler: str | None = None,
) -> Response:
    now = utcnow()
    return templates.TemplateResponse(
        request,
        "admin/grants.html",
        {
            "person": person,
            "grants": grants_of_tenant(session, tenant_id=tenant_id(person)),
            "queues": services.classifiers.taxonomy_for(tenant_id(person)).queues,
            "now": now,
            "starts": _local_input(now),
            "ends": _local_input(now + timedelta(days=DEFAULT_DAYS)),
            "notice": hinweis,
            "error": fehler,
        },
    )


@router.post("/freigaben")
def grant(
    person: AdminFormDep,
    services: ServicesDep,
    username: Annotated[str, Form()],
    queue: Annotated[str, Form()],
    starts_at: Annotated[str, Form()],
    expires_at: Annotated[str, Form()],
) -> Response:
    try:
        starts, expires = _from_local_input(starts_at), _from_local_input(expires_at)
    except ValueError:
        return back_with(PAGE, error="Bitte Beginn und Ende als Datum mit Uhrzeit angeben.")
    taxonomy = services.classifiers.taxonomy_for(tenant_id(person))
    try:
        with transaction(services.session_factory) as session:
            create_grant(
                session,
                tenant=own_tenant(session, person),
                queue=queue,
                queues=taxonomy.queues,
                username=username,
                starts_at=starts,
                expires_at=expires,
                actor=person.actor,
            )
    except GrantError as exc:
        return back_with(PAGE, error=str(exc))
    return back_with(PAGE, notice=f"Freigabe für {username.strip()} erteilt.")


@router.post("/freigaben/{grant_id}/widerrufen")
def revoke(grant_id: int, person: AdminFormDep, services: ServicesDep) -> Response:
    try:
        with transaction(services.session_factory) as session:
            revoke_grant(
                session,
                tenant_id=tenant_id(person),
                grant_id=grant_id,
                actor=person.actor,
                now=utcnow(),
            )
    except GrantError as exc:
        return back_with(PAGE, error=str(exc))
    return back_with(PAGE, notice="Freigabe widerrufen; sie endet mit der nächsten Anfrage.")
