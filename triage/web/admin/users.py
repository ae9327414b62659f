"""Benutzer: the tenant's people, created, changed, disabled and enabled, their passwords
reset. The rules are in ``triage.accounts.service``; this turns forms into calls and
refusals into German."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from triage.accounts.passwords import MIN_PASSWORD_CHARS, WeakPasswordError
from triage.accounts.service import (
    PERSON_ROLES,
    AccountError,
    account_state,
    create_user,
    disable_user,
    enable_user,
    list_users,
    reset_password,
    tenant_user,
    update_user,
)
from triage.db.models import Role, User
from triage.db.session import transaction
from triage.dependencies import ServicesDep, SessionDep
from triage.services import Services
from triage.web.admin.common import (
    ROLE_NAMES,
    STATE_NAMES,
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
LIST = "/verwaltung/benutzer"

_GERMAN = {
    "invalid_username": (
        "Ungültiger Benutzername: 2 bis 64 Zeichen, nur Kleinbuchstaben, Ziffern, "
        "Punkt, Bindestrich und Unterstrich."
    ),
    "role_for_keys": "Diese Rolle gibt es nur für API-Schlüssel.",
    "taken": "Dieser Benutzername ist schon vergeben.",
    "own_account": "Sie können Ihr eigenes Konto nicht deaktivieren.",
    "own_admin_role": "Sie können sich die Rolle Verwaltung nicht selbst nehmen.",
    "empty_name": "Der Anzeigename darf nicht leer sein.",
}
WEAK_PASSWORD = f"Das Passwort braucht mindestens {MIN_PASSWORD_CHARS} Zeichen."


class FormError(ValueError):
    """A form's input is refused; the message is German, for the page."""


def _german(exc: AccountError | WeakPasswordError) -> str:
    if isinstance(exc, WeakPasswordError):
        return WEAK_PASSWORD
    return _GERMAN.get(exc.code, f"Abgelehnt: {exc}")


def _role(value: str) -> Role:
    if value not in {r.value for r in PERSON_ROLES}:
        raise FormError("Bitte eine der angebotenen Rollen wählen.")
    return Role(value)


def _queues(services: Services, person: Person, chosen: list[str]) -> list[str]:
    known = services.classifiers.taxonomy_for(tenant_id(person)).queues
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise FormError("Unbekannte Warteschlange: " + ", ".join(unknown))
    return chosen


def _user(session: Session, person: Person, user_id: uuid.UUID) -> User:
    user = tenant_user(session, tenant_id=tenant_id(person), user_id=user_id)
    if user is None:
        raise not_found("Benutzer")
    return user


def _page(
    request: Request, template: str, person: Person, services: Services, **extra: Any
) -> Response:
    context = {
        "person": person,
        "roles": [(r.value, ROLE_NAMES[r.value]) for r in PERSON_ROLES],
        "role_names": ROLE_NAMES,
        "state_names": STATE_NAMES,
        "state": account_state,
        "all_queues": services.classifiers.taxonomy_for(tenant_id(person)).queues,
        "min_password": MIN_PASSWORD_CHARS,
        **extra,
    }
    # 200 also for a refused form: the page with its message is the answer.
    return templates.TemplateResponse(request, template, context)


@router.get("/benutzer", response_class=HTMLResponse)
def users(
    request: Request,
    person: AdminDep,
    services: ServicesDep,
    session: SessionDep,
    hinweis: str | None = None,
    fehler: str | None = None,
) -> Response:
    found = list_users(session, tenant=own_tenant(session, person))
    return _page(
        request,
        "admin/users.html",
        person,
        services,
        users=found,
        notice=hinweis,
        error=fehler,
        values={},
    )


@router.post("/benutzer", response_class=HTMLResponse)
def create(
    request: Request,
    person: AdminFormDep,
    services: ServicesDep,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    queues: Annotated[list[str] | None, Form()] = None,
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        with transaction(services.session_factory) as session:
            user = create_user(
                session,
                tenant=own_tenant(session, person),
                username=username,
                password=password,
                role=_role(role),
                display_name=display_name.strip() or None,
                queues=_queues(services, person, queues or []),
                actor=person.actor,
            )
            created = user.username
    except (FormError, AccountError, WeakPasswordError) as exc:
        message = str(exc) if isinstance(exc, FormError) else _german(exc)
        with services.session_factory() as session:
            found = list_users(session, tenant=own_tenant(session, person))
            values = {
                "username": username,
                "display_name": display_name,
                "role": role,
                "queues": queues or [],
            }
            return _page(
                request,
                "admin/users.html",
                person,
                services,
                users=found,
                error=message,
                values=values,
            )
    return back_with(LIST, notice=f"Benutzer {created} angelegt; die Anmeldung ist möglich.")


@router.get("/benutzer/{user_id}", response_class=HTMLResponse)
def user_page(
    request: Request,
    user_id: uuid.UUID,
    person: AdminDep,
    services: ServicesDep,
    session: SessionDep,
    hinweis: str | None = None,
    fehler: str | None = None,
) -> Response:
    user = _user(session, person, user_id)
    return _page(
        request, "admin/user.html", person, services, user=user, notice=hinweis, error=fehler
    )


def _change(
    services: Services, person: Person, user_id: uuid.UUID, change: Callable[[Session, User], str]
) -> Response:
    """Runs ``change`` (which returns the notice) on the tenant's user in a transaction;
    a refusal goes back to the user's page with the reason."""
    here = f"{LIST}/{user_id}"
    try:
        with transaction(services.session_factory) as session:
            notice = change(session, _user(session, person, user_id))
    except FormError as exc:
        return back_with(here, error=str(exc))
    except (AccountError, WeakPasswordError) as exc:
        return back_with(here, error=_german(exc))
    return back_with(here, notice=notice)


_CHANGED = {
    "user.role_changed": "Rolle",
    "user.queues_changed": "Warteschlangen",
    "user.renamed": "Anzeigename",
}


@router.post("/benutzer/{user_id}")
def update(
    user_id: uuid.UUID,
    person: AdminFormDep,
    services: ServicesDep,
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    queues: Annotated[list[str] | None, Form()] = None,
) -> Response:
    def run(session: Session, user: User) -> str:
        done = update_user(
            session,
            user=user,
            actor=person.actor,
            role=_role(role),
            queues=_queues(services, person, queues or []),
            display_name=display_name,
        )
        if not done:
            return "Nichts geändert."
        return "Gespeichert: " + ", ".join(_CHANGED[a] for a in done) + "."

    return _change(services, person, user_id, run)


@router.post("/benutzer/{user_id}/passwort")
def new_password(
    user_id: uuid.UUID,
    person: AdminFormDep,
    services: ServicesDep,
    password: Annotated[str, Form()] = "",
) -> Response:
    def run(session: Session, user: User) -> str:
        ended = reset_password(session, user=user, password=password, actor=person.actor)
        return f"Neues Passwort gesetzt; {ended} offene Sitzung(en) beendet."

    return _change(services, person, user_id, run)


@router.post("/benutzer/{user_id}/deaktivieren")
def disable(user_id: uuid.UUID, person: AdminFormDep, services: ServicesDep) -> Response:
    def run(session: Session, user: User) -> str:
        disable_user(session, user=user, actor=person.actor)
        return f"{user.username} ist deaktiviert und kann sich nicht mehr anmelden."

    return _change(services, person, user_id, run)


@router.post("/benutzer/{user_id}/aktivieren")
def enable(user_id: uuid.UUID, person: AdminFormDep, services: ServicesDep) -> Response:
    def run(session: Session, user: User) -> str:
        enable_user(session, user=user, actor=person.actor)
        return f"{user.username} ist aktiv und kann sich wieder anmelden."

    return _change(services, person, user_id, run)
