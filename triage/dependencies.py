"""What both faces (the JSON API and the caseworker pages) share: the services and a
database session from a request, and a document's original as a response."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from triage.db.models import Document
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


def original_response(services: Services, document: Document) -> Response:
    """The stored original, shown inline (a PDF in the browser's viewer, an image)."""
    path = services.blob_store.path_for(tenant_id=document.tenant_id, sha256=document.sha256)
    if path is not None:
        return FileResponse(
            path,
            media_type=document.media_type,
            filename=document.filename,
            content_disposition_type="inline",
        )
    data = services.blob_store.read_bytes(tenant_id=document.tenant_id, sha256=document.sha256)
    return Response(data, media_type=document.media_type)
