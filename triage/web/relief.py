"""Help with the backlog: the second review of relief staff's work (Zweitprüfung), and
switching to another tenant's queue under a grant (Amtshilfe) and back."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from triage.accounts.sessions import resolve_session
from triage.administration.grants import usable_grant
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.dependencies import ServicesDep, SessionDep
from triage.queues.second_review import decide_second_review, pending_second_reviews
from triage.web.actions import perform, with_notice
from triage.web.deps import (
    SESSION_COOKIE,
    FormPersonDep,
    RegularFormPersonDep,
    RegularPersonDep,
)
from triage.web.render import templates

router = APIRouter(include_in_schema=False)


@router.get("/zweitpruefung", response_class=HTMLResponse)
def second_reviews(
    request: Request,
    person: RegularPersonDep,
    services: ServicesDep,
    session: SessionDep,
    hinweis: str | None = None,
) -> Response:
    """Relief staff's completed documents drawn for a check, the longest waiting first."""
    assert person.actor.tenant_id is not None
    taxonomy = services.classifiers.taxonomy_for(person.actor.tenant_id)
    return templates.TemplateResponse(
        request,
        "second_reviews.html",
        {
            "person": person,
            "documents": pending_second_reviews(session, actor=person.actor),
            "names": {c.key: c.name for c in taxonomy.case_types},
            "notice": hinweis,
        },
    )


@router.post("/dokumente/{document_id}/zweitpruefung")
def decide(
    document_id: uuid.UUID,
    person: RegularFormPersonDep,
    services: ServicesDep,
    case_type: Annotated[str, Form()],
) -> Response:
    assert person.actor.tenant_id is not None
    tenant_id = person.actor.tenant_id
    taxonomy = services.classifiers.taxonomy_for(tenant_id)

    def run(session: Session) -> tuple[str, str]:
        document = decide_second_review(
            session,
            actor=person.actor,
            document_id=document_id,
            case_type=case_type,
            taxonomy=taxonomy,
            policy=services.priorities.for_tenant(tenant_id),
        )
        if document.second_review == "corrected":
            return "/zweitpruefung", f"Korrigiert: {case_type}; wieder in {document.queue}."
        return "/zweitpruefung", "Bestätigt."

    return perform(services, run, refused_to=f"/dokumente/{document_id}")


def _set_grant(services: ServicesDep, request: Request, grant_id: int | None) -> None:
    with transaction(services.session_factory) as session:
        active = resolve_session(
            session,
            token=request.cookies.get(SESSION_COOKIE, ""),
            policy=services.settings.session_policy,
        )
        if active is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Sitzung abgelaufen")
        active.record.grant_id = grant_id


@router.post("/freigaben/{grant_id}/arbeiten")
def work_under_grant(
    grant_id: int, request: Request, person: FormPersonDep, services: ServicesDep
) -> Response:
    """From now on the person works the granted queue of the other tenant."""
    with services.session_factory() as session:
        view = usable_grant(session, grant_id=grant_id, user_id=person.user_id, now=utcnow())
    if view is None:
        return with_notice("/", "Diese Freigabe gilt nicht (mehr).")
    _set_grant(services, request, grant_id)
    return with_notice(
        "/", f"Sie arbeiten jetzt für {view.granting_tenant}, Warteschlange {view.grant.queue}."
    )


@router.post("/freigaben/verlassen")
def leave_grant(request: Request, person: FormPersonDep, services: ServicesDep) -> Response:
    _set_grant(services, request, None)
    return with_notice("/", "Sie arbeiten wieder für Ihre eigene Kommune.")
