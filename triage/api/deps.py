"""Typed dependencies of the JSON API: the calling actor (services and the database session
come from ``triage.dependencies``, shared with the caseworker pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from triage.actors import Actor
from triage.db.models import Role
from triage.db.session import transaction
from triage.dependencies import ServicesDep
from triage.tenants import authenticate_api_key

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
