"""What both faces (the JSON API and the caseworker pages) take from a request: the
services and a database session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from triage.services import Services


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
