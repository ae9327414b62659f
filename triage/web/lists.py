"""Lists for the caseworker pages: the review queue with one-click decisions, search, and
the team lead's figures."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from triage.db.models import Role
from triage.db.types import utcnow
from triage.dependencies import ServicesDep, SessionDep
from triage.links.service import decide_duplicate
from triage.queues import service as queues
from triage.queues.views import AGE_BANDS, age_distribution, queue_documents, search_documents
from triage.web.actions import correct_case_type, perform
from triage.web.deps import PersonDep, RegularFormPersonDep, RegularPersonDep
from triage.web.render import templates

router = APIRouter(include_in_schema=False)


@router.get("/pruefung", response_class=HTMLResponse)
def review(
    request: Request,
    person: RegularPersonDep,
    services: ServicesDep,
    session: SessionDep,
    hinweis: str | None = None,
) -> Response:
    """Prüfung: the uncertain documents, each with its top case types, one click each."""
    assert person.actor.tenant_id is not None
    taxonomy = services.classifiers.taxonomy_for(person.actor.tenant_id)
    documents = queue_documents(session, actor=person.actor, queue=queues.REVIEW_QUEUE)
    return templates.TemplateResponse(
        request,
        "review.html",
        {
            "person": person,
            "documents": documents,
            "names": {c.key: c.name for c in taxonomy.case_types},
            "notice": hinweis,
        },
    )


@router.post("/pruefung/{document_id}/fallart")
def decide_case_type(
    document_id: uuid.UUID,
    person: RegularFormPersonDep,
    services: ServicesDep,
    case_type: Annotated[str, Form()],
) -> Response:
    def run(session: Session) -> tuple[str, str]:
        document = correct_case_type(session, services, person, document_id, case_type)
        assert person.actor.tenant_id is not None
        name = services.classifiers.taxonomy_for(person.actor.tenant_id).get(case_type).name
        return "/pruefung", f"Entschieden: {name} ({document.queue})."

    return perform(services, run, refused_to="/pruefung")


@router.post("/pruefung/{document_id}/dublette")
def decide_copy(
    document_id: uuid.UUID,
    person: RegularFormPersonDep,
    services: ServicesDep,
    is_duplicate: Annotated[bool, Form()],
) -> Response:
    def run(session: Session) -> tuple[str, str]:
        decide_duplicate(
            session, actor=person.actor, document_id=document_id, is_duplicate=is_duplicate
        )
        done = "Als Dublette erledigt." if is_duplicate else "Keine Dublette: weitergeleitet."
        return "/pruefung", done

    return perform(services, run, refused_to="/pruefung")


@router.get("/suche", response_class=HTMLResponse)
def search(request: Request, person: PersonDep, session: SessionDep, q: str = "") -> Response:
    """Suche: by document id, reference number, sender name or text. Not under a grant:
    there every reading of a document is recorded, and a result list would not be."""
    if person.grant is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Unter einer Freigabe gibt es keine Suche")
    results = search_documents(session, actor=person.actor, query=q) if q else []
    return templates.TemplateResponse(
        request, "search.html", {"person": person, "query": q, "results": results}
    )


@router.get("/team", response_class=HTMLResponse)
def team(
    request: Request, person: PersonDep, services: ServicesDep, session: SessionDep
) -> Response:
    """For team leads: counts and how long documents wait, per queue."""
    if not person.actor.has_role(Role.TEAMLEAD, Role.ADMIN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Nur für Teamleitung")
    assert person.actor.tenant_id is not None
    taxonomy = services.classifiers.taxonomy_for(person.actor.tenant_id)
    now = utcnow()
    return templates.TemplateResponse(
        request,
        "team.html",
        {
            "person": person,
            "summaries": {
                s.name: s
                for s in queues.summarize_queues(session, actor=person.actor, taxonomy=taxonomy)
            },
            "ages": age_distribution(session, actor=person.actor, taxonomy=taxonomy, now=now),
            "bands": [label for label, _ in AGE_BANDS],
        },
    )
