"""Document routes: the mail intake's upload contract and reading documents back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session

from triage.actors import Actor
from triage.api.deps import ActorDep, AdminActorDep, IntakeActorDep
from triage.api.schemas import (
    DISPLAY_ZONE,
    DocumentEventRead,
    DocumentPage,
    DocumentRead,
    DocumentSummaryRead,
    ExplanationRead,
    PriorityReasonRead,
    RelatedRead,
    ReprocessRead,
    SecondOpinionRead,
    UploadedFileRead,
    UploadRead,
)
from triage.db.models import Document, DocumentStatus
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.dependencies import ServicesDep, SessionDep, original_response
from triage.documents.service import (
    DocumentFilter,
    DocumentNotFoundError,
    document_events,
    get_document,
    list_documents,
    request_reprocessing,
)
from triage.fields.schema import DocumentFields
from triage.intake.multipart import MultipartError, MultipartReader, RequestTooLargeError
from triage.intake.service import DocumentCreate, FileOutcome, InvalidUploadError, UploadStatus
from triage.intake.service import spool_dir as make_spool_dir
from triage.links.service import RelatedDocument, related_documents
from triage.priority.service import current_priority

router = APIRouter(tags=["documents"])

FILE_FIELDS = {"files", "file"}

UPLOAD_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["files"],
                "properties": {
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    "channel": {"type": "string", "example": "post"},
                    "received_at": {"type": "string", "format": "date-time"},
                    "external_ref": {"type": "string"},
                },
            }
        }
    },
}


def _parse_received_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidUploadError(f"received_at is not an ISO 8601 date-time: {value!r}") from exc
    # A scan station without a zone means local German time.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=DISPLAY_ZONE)


def _status_code(outcomes: list[FileOutcome]) -> int:
    if any(o.status is not UploadStatus.REJECTED for o in outcomes):
        return status.HTTP_202_ACCEPTED
    codes = {o.http_status for o in outcomes}
    return codes.pop() if len(codes) == 1 else status.HTTP_422_UNPROCESSABLE_CONTENT


def _not_found(exc: DocumentNotFoundError) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))


@router.post(
    "/documents",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=UploadRead,
    openapi_extra={"requestBody": UPLOAD_REQUEST_BODY},
    responses={
        413: {"description": "a file or the request is too large"},
        415: {"description": "the file's type is not supported"},
        422: {"description": "an empty file or unusable form fields"},
    },
)
async def upload_documents(
    request: Request, actor: IntakeActorDep, services: ServicesDep
) -> Response:
    settings = services.settings
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_request_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the request exceeds the limit of {settings.max_request_mb:g} MB",
        )
    try:
        reader = MultipartReader(
            request.headers.get("content-type", ""),
            spool_dir=make_spool_dir(settings.data_dir),
            max_file_bytes=settings.max_upload_bytes,
            max_request_bytes=settings.max_request_bytes,
        )
        form = await reader.read(request.stream())
    except RequestTooLargeError as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from exc
    except MultipartError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    try:
        files = [f for f in form.files if f.field_name in FILE_FIELDS]
        if not files:
            raise InvalidUploadError("no file in the form field 'files'")
        if len(files) > settings.max_files_per_request:
            raise InvalidUploadError(
                f"too many files: at most {settings.max_files_per_request} per request"
            )
        metadata = DocumentCreate(
            channel=form.fields.get("channel") or "upload",
            received_at=_parse_received_at(form.fields.get("received_at")),
            external_ref=form.fields.get("external_ref") or None,
        )
        outcomes = await run_in_threadpool(
            services.intake.accept_files, actor=actor, files=files, metadata=metadata
        )
    except InvalidUploadError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    finally:
        form.discard()
    body = UploadRead(
        documents=[
            UploadedFileRead(
                filename=o.filename,
                id=o.document_id,
                status=o.status,
                sha256=o.sha256,
                error=o.error,
            )
            for o in outcomes
        ]
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=_status_code(outcomes))


@router.get("/documents", response_model=DocumentPage)
def list_documents_route(
    actor: ActorDep,
    session: SessionDep,
    status_filter: Annotated[DocumentStatus | None, Query(alias="status")] = None,
    external_ref: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DocumentPage:
    filters = DocumentFilter(
        status=status_filter,
        external_ref=external_ref,
        received_from=_aware(received_from),
        received_to=_aware(received_to),
    )
    items, total = list_documents(session, actor=actor, filters=filters, limit=limit, offset=offset)
    now = utcnow()
    return DocumentPage(
        items=[summary_read(d, now=now) for d in items],
        total=total,
        limit=limit,
        offset=offset,
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=DISPLAY_ZONE)


def summary_read(document: Document, *, now: datetime) -> DocumentSummaryRead:
    """The document as listed, with its priority as of ``now``."""
    priority, reasons = current_priority(
        key=document.priority_key,
        components=document.priority_components,
        received_at=document.received_at,
        now=now,
    )
    return DocumentSummaryRead.model_validate(document).model_copy(
        update={
            "priority": priority,
            "priority_reasons": [PriorityReasonRead.model_validate(r) for r in reasons],
        }
    )


def _related_read(related: RelatedDocument) -> RelatedRead:
    document = related.document
    return RelatedRead(
        id=document.id,
        relation=related.relation,
        reason=related.reason,
        filename=document.filename,
        received_at=document.received_at,
        status=DocumentStatus(document.status),
        queue=document.queue,
        case_type=document.case_type,
        claimed_by=document.claimed_by_name,
        completed_by=document.completed_by_name,
    )


def document_read(session: Session, document: Document, *, actor: Actor) -> DocumentRead:
    events = [
        DocumentEventRead.model_validate(e) for e in document_events(session, document=document)
    ]
    summary = summary_read(document, now=utcnow()).model_dump()
    related = related_documents(session, actor=actor, document=document)
    return DocumentRead(
        **summary,
        related=[_related_read(r) for r in related],
        link_detail=document.link_detail,
        created_at=document.created_at,
        classifier=document.classifier,
        model_version=document.model_version,
        explanation=(
            ExplanationRead.model_validate(document.explanation) if document.explanation else None
        ),
        routed_at=document.routed_at,
        completed_at=document.completed_at,
        parser=document.parser,
        pages=document.pages,
        ocr=document.ocr,
        parse_metadata=document.parse_metadata,
        fields=DocumentFields.model_validate(document.fields) if document.fields else None,
        summary=document.summary,
        second_opinion=(
            SecondOpinionRead.model_validate(document.second_opinion)
            if document.second_opinion
            else None
        ),
        assist_status=document.assist_status,
        assist_reason=document.assist_reason,
        assist_detail=document.assist_detail,
        events=events,
    )


@router.get("/documents/{document_id}", response_model=DocumentRead, response_model_by_alias=True)
def read_document(document_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> DocumentRead:
    try:
        document = get_document(session, actor=actor, document_id=document_id)
    except DocumentNotFoundError as exc:
        raise _not_found(exc) from exc
    return document_read(session, document, actor=actor)


@router.get("/documents/{document_id}/original", response_class=Response)
def read_original(
    document_id: uuid.UUID, actor: ActorDep, session: SessionDep, services: ServicesDep
) -> Response:
    try:
        document = get_document(session, actor=actor, document_id=document_id)
    except DocumentNotFoundError as exc:
        raise _not_found(exc) from exc
    return original_response(services, document)


@router.get("/documents/{document_id}/text", response_class=PlainTextResponse)
def read_text(document_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> PlainTextResponse:
    try:
        document = get_document(session, actor=actor, document_id=document_id, with_text=True)
    except DocumentNotFoundError as exc:
        raise _not_found(exc) from exc
    if document.text is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"no text has been extracted (status: {document.status}"
            + (f", {document.error}" if document.error else "")
            + (f", {document.review_reason}" if document.review_reason else "")
            + ")",
        )
    return PlainTextResponse(document.text)


@router.post("/documents/{document_id}/reprocess", response_model=ReprocessRead)
def reprocess_document(
    document_id: uuid.UUID, actor: AdminActorDep, services: ServicesDep
) -> ReprocessRead:
    try:
        with transaction(services.session_factory) as session:
            document = get_document(session, actor=actor, document_id=document_id)
            request_reprocessing(session, actor=actor, document=document)
            result = ReprocessRead(id=document.id, status=DocumentStatus(document.status))
    except DocumentNotFoundError as exc:
        raise _not_found(exc) from exc
    services.wake_workers.set()
    return result
