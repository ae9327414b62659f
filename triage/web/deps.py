"""Who is signed in: the session cookie, checked against the database on every request,
and the CSRF token every form must carry."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, status
from sqlalchemy.orm import Session

from triage.accounts.service import user_actor
from triage.accounts.sessions import ActiveSession, resolve_session
from triage.actors import Actor
from triage.administration.grants import GrantView, grant_actor, usable_grant
from triage.administration.relief import scoped_actor
from triage.administration.rules import tenant_rules
from triage.db.models import Role
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.dependencies import ServicesDep

SESSION_COOKIE = "triage_session"


class SignInRequiredError(Exception):
    """No live session: the page sends the browser to the sign-in page."""


class GrantEndedError(Exception):
    """The grant the person worked under was revoked or ran out: back to their own
    tenant, with a notice."""


@dataclass(frozen=True)
class Person:
    actor: Actor
    username: str
    csrf_token: str
    # Set while the person works another tenant's queue under this grant.
    grant: GrantView | None = None

    @property
    def regular(self) -> bool:
        """A caseworker of their own tenant (not relief staff, not under a grant): decides
        uncertain documents and checks relief staff's work."""
        return self.grant is None and self.actor.has_role(
            Role.CASEWORKER, Role.TEAMLEAD, Role.ADMIN
        )

    @property
    def user_id(self) -> uuid.UUID:
        assert self.actor.id is not None
        return uuid.UUID(self.actor.id)


def _person(session: Session, active: ActiveSession, now: datetime) -> Person | None:
    """The person as they act on this request; None when their grant has just ended."""
    user, record = active.user, active.record
    if record.grant_id is not None:
        grant = usable_grant(session, grant_id=record.grant_id, user_id=user.id, now=now)
        if grant is None:
            record.grant_id = None
            return None
        return Person(grant_actor(user, grant), user.username, record.csrf_token, grant)
    actor = user_actor(user)
    if actor.has_role(Role.RELIEF):
        actor = scoped_actor(actor, tenant_rules(session, tenant_id=user.tenant_id))
    return Person(actor, user.username, record.csrf_token)


def current_person(request: Request, services: ServicesDep) -> Person:
    """Checked on every request, grants included: a revocation takes effect at once."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequiredError
    with transaction(services.session_factory) as session:
        active = resolve_session(session, token=token, policy=services.settings.session_policy)
        if active is None:
            raise SignInRequiredError
        person = _person(session, active, utcnow())
    if person is None:
        raise GrantEndedError
    return person


PersonDep = Annotated[Person, Depends(current_person)]


def checked_form(person: PersonDep, csrf_token: Annotated[str, Form()] = "") -> Person:
    """The signed-in person, for a form whose CSRF token matches their session's."""
    if not hmac.compare_digest(csrf_token, person.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Formular abgelaufen: bitte neu laden.")
    return person


FormPersonDep = Annotated[Person, Depends(checked_form)]


def regular_person(person: PersonDep) -> Person:
    if not person.regular:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Nur für die Sachbearbeitung der Kommune")
    return person


def regular_form(person: FormPersonDep) -> Person:
    return regular_person(person)


RegularPersonDep = Annotated[Person, Depends(regular_person)]
RegularFormPersonDep = Annotated[Person, Depends(regular_form)]
