"""API-Schlüssel: the tenant's keys for machines, created (the key shown once, only its
hash stored) and revoked."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from triage.administration.audit import record_admin_change
from triage.db.models import ApiKey, Role
from triage.db.session import transaction
from triage.dependencies import ServicesDep, SessionDep
from triage.tenants import create_api_key, list_api_keys, revoke_api_key
from triage.web.admin.common import (
    ROLE_NAMES,
    AdminDep,
    AdminFormDep,
    back_with,
    not_found,
    own_tenant,
    tenant_id,
)
from triage.web.deps import Person
from triage.web.render import templates

router = APIRouter()
LIST = "/verwaltung/schluessel"
KEY_ROLES = (Role.INTAKE, Role.CASEWORKER, Role.ADMIN)


def _list_page(
    request: Request,
    person: Person,
    keys: list[ApiKey],
    *,
    notice: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return templates.TemplateResponse(
        request,
        "admin/keys.html",
        {
            "person": person,
            "keys": keys,
            "roles": [(r.value, ROLE_NAMES[r.value]) for r in KEY_ROLES],
            "role_names": ROLE_NAMES,
            "notice": notice,
            "error": error,
            "values": values or {},
        },
    )


@router.get("/schluessel", response_class=HTMLResponse)
def keys(
    request: Request,
    person: AdminDep,
    session: SessionDep,
    hinweis: str | None = None,
    fehler: str | None = None,
) -> Response:
    found = list_api_keys(session, tenant=own_tenant(session, person))
    return _list_page(request, person, found, notice=hinweis, error=fehler)


@router.post("/schluessel", response_class=HTMLResponse)
def create(
    request: Request,
    person: AdminFormDep,
    services: ServicesDep,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    """The one page that shows the key: not a redirect, and not kept by the browser."""
    error = None
    if not name.strip() or len(name.strip()) > 200:
        error = "Bitte angeben, wofür der Schlüssel ist (höchstens 200 Zeichen)."
    elif role not in {r.value for r in KEY_ROLES}:
        error = "Bitte eine der angebotenen Rollen wählen."
    if error is not None:
        with services.session_factory() as session:
            found = list_api_keys(session, tenant=own_tenant(session, person))
        return _list_page(request, person, found, error=error, values={"name": name, "role": role})
    with transaction(services.session_factory) as session:
        key = create_api_key(
            session, tenant=own_tenant(session, person), role=Role(role), name=name.strip()
        )
        record_admin_change(
            session,
            tenant_id=tenant_id(person),
            actor=person.actor,
            action="api_key.created",
            target=key.record.name,
            detail={"role": role, "prefix": key.record.prefix},
        )
        shown = {"name": key.record.name, "role": ROLE_NAMES[role], "plaintext": key.plaintext}
    response = templates.TemplateResponse(
        request, "admin/key_created.html", {"person": person, "key": shown}
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/schluessel/{key_id}/widerrufen")
def revoke(key_id: uuid.UUID, person: AdminFormDep, services: ServicesDep) -> Response:
    with transaction(services.session_factory) as session:
        tenant = own_tenant(session, person)
        record = session.scalar(
            select(ApiKey).where(ApiKey.tenant_id == tenant.id, ApiKey.id == key_id)
        )
        if record is None:  # another tenant's key is none of this admin's business
            raise not_found("API-Schlüssel")
        if record.revoked_at is not None:
            return back_with(LIST, notice=f"„{record.name}“ war schon widerrufen.")
        revoke_api_key(session, tenant=tenant, key_id=key_id)
        record_admin_change(
            session,
            tenant_id=tenant.id,
            actor=person.actor,
            action="api_key.revoked",
            target=record.name,
            detail={"role": record.role, "prefix": record.prefix},
        )
        name = record.name
    return back_with(LIST, notice=f"„{name}“ ist widerrufen und gilt nicht mehr.")
