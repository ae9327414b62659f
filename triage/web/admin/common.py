"""What every admin page shares: the admin-only person (403 for anyone else), German
names of roles and account states, and the way back after a refused change."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, status
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from triage.db.models import Role, Tenant
from triage.web.deps import FormPersonDep, Person, PersonDep

FORBIDDEN = "Nur für die Verwaltung"

ROLE_NAMES = {
    Role.CASEWORKER.value: "Sachbearbeitung",
    Role.TEAMLEAD.value: "Teamleitung",
    Role.ADMIN.value: "Verwaltung",
    Role.RELIEF.value: "Soforthilfe",
    Role.INTAKE.value: "Posteingang (Maschine)",
}
STATE_NAMES = {"active": "aktiv", "disabled": "deaktiviert", "locked": "gesperrt"}


def _admin_only(person: Person) -> Person:
    if not person.actor.has_role(Role.ADMIN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, FORBIDDEN)
    return person


def admin_person(person: PersonDep) -> Person:
    return _admin_only(person)


def admin_form(person: FormPersonDep) -> Person:
    """An admin's form with the CSRF token of their session."""
    return _admin_only(person)


AdminDep = Annotated[Person, Depends(admin_person)]
AdminFormDep = Annotated[Person, Depends(admin_form)]


def tenant_id(person: Person) -> uuid.UUID:
    assert person.actor.tenant_id is not None
    return person.actor.tenant_id


def own_tenant(session: Session, person: Person) -> Tenant:
    tenant = session.get(Tenant, tenant_id(person))
    assert tenant is not None
    return tenant


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} nicht gefunden")


def back_with(
    path: str, *, notice: str | None = None, error: str | None = None
) -> RedirectResponse:
    """303 to ``path`` with a notice (done) or an error (refused) to show there."""
    query = f"hinweis={quote(notice)}" if notice is not None else f"fehler={quote(error or '')}"
    return RedirectResponse(f"{path}?{query}", status.HTTP_303_SEE_OTHER)
