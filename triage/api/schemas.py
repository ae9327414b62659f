"""JSON shapes of the API. Times are stored in UTC and shown in Europe/Berlin."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from triage.db.models import AssistStatus, DocumentStatus
from triage.fields.schema import DocumentFields
from triage.intake.service import UploadStatus
from triage.priority.policy import PriorityPolicy

DISPLAY_ZONE = ZoneInfo("Europe/Berlin")


def _local_iso(value: datetime) -> str:
    return value.astimezone(DISPLAY_ZONE).isoformat()


LocalTime = Annotated[datetime, PlainSerializer(_local_iso, return_type=str)]


class UploadedFileRead(BaseModel):
    filename: str
    id: uuid.UUID | None
    status: UploadStatus
    sha256: str | None
    error: str | None


class UploadRead(BaseModel):
    documents: list[UploadedFileRead]


class DocumentEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: LocalTime
    actor_kind: str
    actor_id: str | None
    actor_name: str
    action: str
    detail: dict[str, Any] | None


class AlternativeRead(BaseModel):
    case_type: str
    confidence: float


class PriorityReasonRead(BaseModel):
    """One part of the priority: ``kind`` (deadline, statutory, sla, hardship, waiting),
    its points (``weight``) and the reason in German."""

    kind: str
    weight: float
    reason: str


class DocumentSummaryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    channel: str
    external_ref: str | None
    status: DocumentStatus
    stage: str | None
    error: str | None
    review_reason: str | None
    received_at: LocalTime
    updated_at: LocalTime
    text_chars: int | None
    language: str | None
    case_type: str | None
    confidence: float | None
    queue: str | None
    # Higher is more urgent: the stored components plus waiting time, as of this response
    # (filled by ``summary_read``: the ORM row stores a sort key, not the priority now).
    priority: float | None = None
    priority_reasons: list[PriorityReasonRead] = Field(default_factory=list)
    due_at: LocalTime | None
    claimed_by: str | None = Field(validation_alias=AliasChoices("claimed_by_name", "claimed_by"))
    lease_expires_at: LocalTime | None
    # The next most likely case types (keys of the tenant's taxonomy), best first: a
    # reviewer picks one with POST /documents/{id}/correct.
    alternatives: list[AlternativeRead] = Field(default_factory=list)
    # The earlier document this one follows up, or the first copy of this same letter.
    follow_up_of: uuid.UUID | None = Field(
        default=None, validation_alias=AliasChoices("follow_up_of_id", "follow_up_of")
    )
    duplicate_of: uuid.UUID | None = Field(
        default=None, validation_alias=AliasChoices("duplicate_of_id", "duplicate_of")
    )

    @field_validator("alternatives", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class NeighbourRead(BaseModel):
    reference: str
    case_type: str
    similarity: float


class WordRead(BaseModel):
    term: str
    weight: float


class ExplanationRead(BaseModel):
    """Why the trained model decided as it did (none for the zero-shot classifier)."""

    neighbours: list[NeighbourRead]
    words: list[WordRead]
    novel: bool


class SecondOpinionRead(BaseModel):
    """The LLM's choice among the classifier's top case types, or its abstention. Shown,
    never applied: the routing stays the classifier's (``applied`` is always false)."""

    case_type: str | None
    abstained: bool
    reason: str | None
    candidates: list[str]
    classifier_case_type: str | None
    classifier_confidence: float | None
    agrees: bool | None
    applied: bool


class RelatedRead(BaseModel):
    """A linked document: ``relation`` is follow_up_of or duplicate_of (this document
    follows up or repeats it) or follow_up or duplicate (it follows up or repeats this
    one); ``reason`` says in German why they were linked."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    relation: Literal["follow_up_of", "duplicate_of", "follow_up", "duplicate"]
    reason: str | None
    filename: str
    received_at: LocalTime
    status: DocumentStatus
    queue: str | None
    case_type: str | None
    claimed_by: str | None
    completed_by: str | None


class DocumentRead(DocumentSummaryRead):
    created_at: LocalTime
    classifier: str | None
    model_version: str | None
    explanation: ExplanationRead | None
    routed_at: LocalTime | None
    completed_at: LocalTime | None
    parser: str | None
    pages: int | None
    ocr: bool
    parse_metadata: dict[str, Any] | None = Field(serialization_alias="metadata")
    # Each value with its text span and source (pattern or llm); patterns run for every
    # document, the LLM fills gaps when one is configured.
    fields: DocumentFields | None = None
    summary: str | None = None
    second_opinion: SecondOpinionRead | None = None
    # pending, done, unavailable (no LLM configured) or failed, and why.
    assist_status: AssistStatus | None = None
    assist_reason: str | None = None
    assist_detail: dict[str, Any] | None = None
    related: list[RelatedRead] = Field(default_factory=list)
    # Why it was linked, and the route it would have had on its own (for a duplicate).
    link_detail: dict[str, Any] | None = None
    events: list[DocumentEventRead]


class DocumentPage(BaseModel):
    items: list[DocumentSummaryRead]
    total: int
    limit: int
    offset: int


class ReprocessRead(BaseModel):
    id: uuid.UUID
    status: DocumentStatus


class ModelStatusRead(BaseModel):
    """The classifier a tenant's documents are triaged with after a reload."""

    tenant: str
    classifier: str
    model_version: str | None
    problem: str | None


class ReloadRead(BaseModel):
    tenants: list[ModelStatusRead]


class LlmUsageTotalsRead(BaseModel):
    calls: int
    failed_calls: int
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    calls_by_task: dict[str, int]


class LlmUsageDayRead(LlmUsageTotalsRead):
    day: date


class LlmUsageRead(BaseModel):
    """What the LLM assistance cost the caller's tenant (UTC days, cache hits not counted)."""

    tenant: str
    backend: str
    model: str
    since: date | None
    until: date | None
    total: LlmUsageTotalsRead
    days: list[LlmUsageDayRead]


class PriorityPolicyRead(BaseModel):
    """A tenant's priority policy; ``own`` false: the installation's default applies.
    ``rescored_at`` empty after a change: the worker has not re-scored the open documents
    yet."""

    policy: PriorityPolicy
    own: bool
    source: str | None
    loaded_at: LocalTime | None
    rescored_at: LocalTime | None
