"""One way for the pages to run a queue action: in a transaction, a refused action back to
where it came from with the reason, an unknown document 404, then where to go next."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import quote

from fastapi import HTTPException, status
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from triage.db.models import Document
from triage.db.session import transaction
from triage.documents.service import DocumentNotFoundError
from triage.queues import service as queues
from triage.services import Services
from triage.web.deps import Person


def with_notice(path: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?hinweis={quote(notice)}", status.HTTP_303_SEE_OTHER)


def perform(
    services: Services, action: Callable[[Session], tuple[str, str]], *, refused_to: str
) -> RedirectResponse:
    """``action`` returns the page to go to and the notice to show there."""
    try:
        with transaction(services.session_factory) as session:
            path, notice = action(session)
    except DocumentNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Dokument nicht gefunden") from exc
    except queues.QueueError as exc:
        return with_notice(refused_to, str(exc))
    return with_notice(path, notice)


def correct_case_type(
    session: Session, services: Services, person: Person, document_id: uuid.UUID, case_type: str
) -> Document:
    """A person's decision on the case type: re-routed, re-scored, kept as training data."""
    actor = person.actor
    assert actor.tenant_id is not None
    return queues.correct(
        session,
        actor=actor,
        document_id=document_id,
        case_type=case_type,
        taxonomy=services.classifiers.taxonomy_for(actor.tenant_id),
        policy=services.priorities.for_tenant(actor.tenant_id),
    )
