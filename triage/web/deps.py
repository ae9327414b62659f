"""Who is signed in: the session cookie, checked against the database on every request,
and the CSRF token every form must carry."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, status

from triage.accounts.service import user_actor
from triage.accounts.sessions import resolve_session
from triage.actors import Actor
from triage.db.session import transaction
from triage.dependencies import ServicesDep

SESSION_COOKIE = "triage_session"


class SignInRequiredError(Exception):
    """No live session: the page sends the browser to the sign-in page."""


@dataclass(frozen=True)
class Person:
    actor: Actor
    username: str
    csrf_token: str


def current_person(request: Request, services: ServicesDep) -> Person:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequiredError
    with transaction(services.session_factory) as session:
        active = resolve_session(session, token=token, policy=services.settings.session_policy)
        if active is None:
            raise SignInRequiredError
        return Person(user_actor(active.user), active.user.username, active.record.csrf_token)


PersonDep = Annotated[Person, Depends(current_person)]


def checked_form(person: PersonDep, csrf_token: Annotated[str, Form()] = "") -> Person:
    """The signed-in person, for a form whose CSRF token matches their session's."""
    if not hmac.compare_digest(csrf_token, person.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Formular abgelaufen: bitte neu laden.")
    return person


FormPersonDep = Annotated[Person, Depends(checked_form)]
