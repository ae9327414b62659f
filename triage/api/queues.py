"""Case types, work queues and a caseworker's actions on the documents in them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from triage.actors import Actor
from triage.api.deps import ActorDep, require_role
from triage.api.documents import document_read
from triage.api.schemas import DocumentRead, LocalTime
from triage.db.models import Document, Role
from triage.db.session import transaction
from triage.dependencies import ServicesDep, SessionDep
from triage.documents.service import DocumentNotFoundError
from triage.links import service as links
from triage.queues import service as queues
from triage.taxonomy import Taxonomy

router = APIRouter(tags=["queues"])

CaseworkerDep = Annotated[Actor, Depends(require_role(Role.CASEWORKER, Role.TEAMLEAD, Role.ADMIN))]


class CaseTypeRead(BaseModel):
    key: str
    name: str
    description: str
    queue: str
    sla_days: int
    examples: list[str]


class CaseTypesRead(BaseModel):
    taxonomy: str
    case_types: list[CaseTypeRead]


class QueueRead(BaseModel):
    name: str
    open: int
    in_progress: int
    oldest_received_at: LocalTime | None
    # Of its documents, open or in progress: due within two days, and past due.
    due_soon: int
    overdue: int


class MoveRequest(BaseModel):
    queue: str = Field(min_length=1, max_length=64)


class DuplicateDecision(BaseModel):
    """true: it is the same letter again (it is closed); false: it is a letter of its own
    (it takes the route it would have had)."""

    is_duplicate: bool


class CorrectRequest(BaseModel):
    case_type: str = Field(min_length=1, max_length=64)


def _taxonomy(services: ServicesDep, actor: Actor) -> Taxonomy:
    assert actor.tenant_id is not None
    return services.classifiers.taxonomy_for(actor.tenant_id)


@router.get("/case-types", response_model=CaseTypesRead)
def list_case_types(actor: ActorDep, services: ServicesDep) -> CaseTypesRead:
    taxonomy = _taxonomy(services, actor)
    return CaseTypesRead(
        taxonomy=taxonomy.name,
        case_types=[CaseTypeRead.model_validate(c.model_dump()) for c in taxonomy.case_types],
    )


@router.get("/queues", response_model=list[QueueRead])
def list_queues(
    actor: CaseworkerDep, services: ServicesDep, session: SessionDep
) -> list[QueueRead]:
    summaries = queues.summarize_queues(session, actor=actor, taxonomy=_taxonomy(services, actor))
    return [
        QueueRead(
            name=s.name,
            open=s.open,
            in_progress=s.in_progress,
            oldest_received_at=s.oldest_received_at,
            due_soon=s.due_soon,
            overdue=s.overdue,
        )
        for s in summaries
    ]


@router.post(
    "/queues/{name}/claim",
    response_model=DocumentRead,
    responses={204: {"description": "the queue is empty"}, 404: {"description": "no such queue"}},
)
def claim(name: str, actor: CaseworkerDep, services: ServicesDep) -> Response | DocumentRead:
    known = queues.queue_names(_taxonomy(services, actor))
    if name not in known:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown queue {name!r}; queues: {', '.join(known)}"
        )
    with transaction(services.session_factory) as session:
        document = queues.claim_next(
            session,
            actor=actor,
            queue=name,
            lease_seconds=services.settings.claim_lease_seconds,
            follow_up_hold=timedelta(days=services.settings.follow_up_hold_days),
        )
        if document is None:
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        return document_read(session, document, actor=actor)


def _act(
    services: ServicesDep, actor: Actor, action: Callable[[Session], Document]
) -> DocumentRead:
    try:
        with transaction(services.session_factory) as session:
            return document_read(session, action(session), actor=actor)
    except DocumentNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except queues.UnknownQueueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    except queues.QueueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.post("/documents/{document_id}/complete", response_model=DocumentRead)
def complete(document_id: uuid.UUID, actor: CaseworkerDep, services: ServicesDep) -> DocumentRead:
    return _act(services, actor, lambda s: queues.complete(s, actor=actor, document_id=document_id))


@router.post("/documents/{document_id}/release", response_model=DocumentRead)
def release(document_id: uuid.UUID, actor: CaseworkerDep, services: ServicesDep) -> DocumentRead:
    return _act(services, actor, lambda s: queues.release(s, actor=actor, document_id=document_id))


@router.post("/documents/{document_id}/renew", response_model=DocumentRead)
def renew(document_id: uuid.UUID, actor: CaseworkerDep, services: ServicesDep) -> DocumentRead:
    lease = services.settings.claim_lease_seconds
    return _act(
        services,
        actor,
        lambda s: queues.renew_lease(s, actor=actor, document_id=document_id, lease_seconds=lease),
    )


@router.post("/documents/{document_id}/move", response_model=DocumentRead)
def move(
    document_id: uuid.UUID, body: MoveRequest, actor: CaseworkerDep, services: ServicesDep
) -> DocumentRead:
    taxonomy = _taxonomy(services, actor)
    return _act(
        services,
        actor,
        lambda s: queues.move(
            s, actor=actor, document_id=document_id, queue=body.queue, taxonomy=taxonomy
        ),
    )


@router.post("/documents/{document_id}/correct", response_model=DocumentRead)
def correct(
    document_id: uuid.UUID, body: CorrectRequest, actor: CaseworkerDep, services: ServicesDep
) -> DocumentRead:
    taxonomy = _taxonomy(services, actor)
    assert actor.tenant_id is not None
    policy = services.priorities.for_tenant(actor.tenant_id)
    return _act(
        services,
        actor,
        lambda s: queues.correct(
            s,
            actor=actor,
            document_id=document_id,
            case_type=body.case_type,
            taxonomy=taxonomy,
            policy=policy,
        ),
    )


@router.post("/documents/{document_id}/duplicate", response_model=DocumentRead)
def decide_duplicate(
    document_id: uuid.UUID, body: DuplicateDecision, actor: CaseworkerDep, services: ServicesDep
) -> DocumentRead:
    return _act(
        services,
        actor,
        lambda s: links.decide_duplicate(
            s, actor=actor, document_id=document_id, is_duplicate=body.is_duplicate
        ),
    )
