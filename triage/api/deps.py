"""Typed dependencies of the JSON API: services, a database session and the calling actor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from triage.actors import Actor
from triage.db.models import Role
from triage.db.session import transaction
from triage.services import Services
from triage.tenants import authenticate_api_key


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.session_factory() as session:
        yield session


# scope="function": the session closes when the handler returns, not after the response
# has streamed, so no database transaction stays open while a large original is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An API key of the tenant")


def get_actor(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with transaction(services.session_factory) as session:
        actor = authenticate_api_key(session, plaintext=credentials.credentials)
    if actor is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


def require_role(*roles: Role) -> Callable[[Actor], Actor]:
    allowed = ", ".join(r.value for r in roles)

    def check(actor: ActorDep) -> Actor:
        if not actor.has_role(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this action needs one of the roles: {allowed}"
            )
        return actor

    return check


IntakeActorDep = Annotated[Actor, Depends(require_role(Role.INTAKE, Role.ADMIN))]
AdminActorDep = Annotated[Actor, Depends(require_role(Role.ADMIN))]
