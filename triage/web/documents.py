"""Working a queue in the browser: take the next case, read the document, act on it, and
be offered the next one."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from triage.db.models import Document
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.dependencies import ServicesDep, SessionDep, original_response
from triage.documents.service import (
    DocumentNotFoundError,
    document_events,
    get_document,
    record_event,
)
from triage.fields.schema import DocumentFields
from triage.links.service import (
    SimilarDocument,
    related_documents,
    similar_earlier_documents,
)
from triage.priority.service import current_priority
from triage.queues import service as queues
from triage.queues.second_review import may_second_review
from triage.services import Services
from triage.taxonomy import Taxonomy
from triage.web.actions import correct_case_type, perform, with_notice
from triage.web.deps import FormPersonDep, Person, PersonDep
from triage.web.render import templates

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


def _taxonomy(services: Services, person: Person) -> Taxonomy:
    assert person.actor.tenant_id is not None
    return services.classifiers.taxonomy_for(person.actor.tenant_id)


def _known_queue(services: Services, person: Person, queue: str) -> None:
    if queue not in queues.queue_names(_taxonomy(services, person)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Unbekannte Warteschlange {queue!r}")


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/warteschlangen/{queue}", response_class=HTMLResponse)
def queue_page(
    queue: str,
    request: Request,
    person: PersonDep,
    services: ServicesDep,
    session: SessionDep,
    hinweis: str | None = None,
) -> Response:
    """The queue with the next case offered (after an action, too)."""
    _known_queue(services, person, queue)
    [summary] = queues.summarize_queues(
        session, actor=person.actor, taxonomy=_taxonomy(services, person), only=queue
    )
    return templates.TemplateResponse(
        request,
        "queue.html",
        {
            "person": person,
            "queue": summary,
            "notice": hinweis,
            "allowed": person.actor.may_work(queue),
        },
    )


@router.post("/warteschlangen/{queue}/uebernehmen")
def claim(queue: str, person: FormPersonDep, services: ServicesDep) -> Response:
    _known_queue(services, person, queue)
    settings = services.settings
    try:
        with transaction(services.session_factory) as session:
            document = queues.claim_next(
                session,
                actor=person.actor,
                queue=queue,
                lease_seconds=settings.claim_lease_seconds,
                follow_up_hold=timedelta(days=settings.follow_up_hold_days),
            )
            claimed = document.id if document is not None else None
    except queues.QueueNotAllowedError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    if claimed is None:
        return with_notice(f"/warteschlangen/{queue}", "Keine offenen Fälle.")
    return _redirect(f"/dokumente/{claimed}")


def _visible(session: SessionDep, person: Person, document_id: uuid.UUID) -> Document:
    try:
        return get_document(session, actor=person.actor, document_id=document_id, with_text=True)
    except DocumentNotFoundError as exc:
        # Another tenant's document is as unknown as one that does not exist.
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Dokument nicht gefunden") from exc


@router.get("/dokumente/{document_id}", response_class=HTMLResponse)
def document_page(
    document_id: uuid.UUID,
    request: Request,
    person: PersonDep,
    services: ServicesDep,
    hinweis: str | None = None,
) -> Response:
    """Every opening by a person is recorded: data-protection law asks who read what."""
    with transaction(services.session_factory) as session:
        document = _visible(session, person, document_id)
        record_event(session, document=document, actor=person.actor, action="viewed")
        session.flush()
        now = utcnow()
        priority, reasons = current_priority(
            key=document.priority_key,
            components=document.priority_components,
            received_at=document.received_at,
            now=now,
        )
        taxonomy = _taxonomy(services, person)
        context = {
            "person": person,
            "document": document,
            "fields": DocumentFields.model_validate(document.fields) if document.fields else None,
            "priority": priority,
            "reasons": reasons,
            "events": document_events(session, document=document),
            "related": related_documents(session, actor=person.actor, document=document),
            "similar": _similar(services, session, person, document),
            "case_types": taxonomy.case_types,
            "names": {c.key: c.name for c in taxonomy.case_types},
            "queues": queues.queue_names(taxonomy),
            "holding": document.claimed_by_id == person.actor.id
            and document.lease_expires_at is not None
            and document.lease_expires_at > now,
            "notice": hinweis,
            "lease_seconds": services.settings.claim_lease_seconds,
            "second_review": person.regular and may_second_review(person.actor, document),
        }
        return templates.TemplateResponse(request, "document.html", context)


def _similar(
    services: Services, session: Session, person: Person, document: Document
) -> list[SimilarDocument]:
    try:
        return similar_earlier_documents(
            session, store=services.vector_store(), actor=person.actor, document=document
        )
    except Exception:  # the page stays usable without the vector index
        log.exception("similar documents unavailable")
        return []


@router.get("/dokumente/{document_id}/original")
def original(document_id: uuid.UUID, person: PersonDep, services: ServicesDep) -> Response:
    with transaction(services.session_factory) as session:
        document = _visible(session, person, document_id)
        if person.grant is not None:
            # Under a grant every access is on record; the page's own opening is "viewed".
            record_event(session, document=document, actor=person.actor, action="original_viewed")
        return original_response(services, document)


def _then_next_case(
    services: Services,
    person: Person,
    document_id: uuid.UUID,
    action: Callable[[Session], object],
    notice: str,
) -> Response:
    """Runs the action; then offers the next case of the queue the document was in."""

    def run(session: Session) -> tuple[str, str]:
        before = get_document(session, actor=person.actor, document_id=document_id)
        queue = before.queue or queues.REVIEW_QUEUE
        action(session)
        return f"/warteschlangen/{queue}", notice

    return perform(services, run, refused_to=f"/dokumente/{document_id}")


@router.post("/dokumente/{document_id}/erledigen")
def complete(document_id: uuid.UUID, person: FormPersonDep, services: ServicesDep) -> Response:
    return _then_next_case(
        services,
        person,
        document_id,
        lambda s: queues.complete(s, actor=person.actor, document_id=document_id),
        "Erledigt.",
    )


@router.post("/dokumente/{document_id}/zurueckgeben")
def release(document_id: uuid.UUID, person: FormPersonDep, services: ServicesDep) -> Response:
    return _then_next_case(
        services,
        person,
        document_id,
        lambda s: queues.release(s, actor=person.actor, document_id=document_id),
        "Zurückgegeben.",
    )


@router.post("/dokumente/{document_id}/verschieben")
def move(
    document_id: uuid.UUID,
    person: FormPersonDep,
    services: ServicesDep,
    queue: Annotated[str, Form()],
) -> Response:
    taxonomy = _taxonomy(services, person)
    return _then_next_case(
        services,
        person,
        document_id,
        lambda s: queues.move(
            s, actor=person.actor, document_id=document_id, queue=queue, taxonomy=taxonomy
        ),
        f"In die Warteschlange {queue} verschoben.",
    )


@router.post("/dokumente/{document_id}/korrigieren")
def correct(
    document_id: uuid.UUID,
    person: FormPersonDep,
    services: ServicesDep,
    case_type: Annotated[str, Form()],
) -> Response:
    return _then_next_case(
        services,
        person,
        document_id,
        lambda s: correct_case_type(s, services, person, document_id, case_type),
        f"Fallart korrigiert: {case_type}.",
    )


@router.post("/dokumente/{document_id}/verlaengern")
def renew(document_id: uuid.UUID, person: FormPersonDep, services: ServicesDep) -> Response:
    """The page renews the claim while it is open (a small script); answers the new end."""
    try:
        with transaction(services.session_factory) as session:
            document = queues.renew_lease(
                session,
                actor=person.actor,
                document_id=document_id,
                lease_seconds=services.settings.claim_lease_seconds,
            )
            until = document.lease_expires_at
    except queues.QueueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    assert until is not None
    return Response(until.isoformat(), media_type="text/plain")
