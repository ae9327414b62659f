"""The relational schema. Every table carries the tenant, so scoping is never an afterthought."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from triage.db.types import UTCDateTime, utcnow


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class Role(enum.StrEnum):
    INTAKE = "intake"
    CASEWORKER = "caseworker"
    # A caseworker who also sees the team's figures (queue counts and ages).
    TEAMLEAD = "teamlead"
    ADMIN = "admin"
    # Temporary backlog-relief staff ("Soforthilfe"): limited to the tenant's configured
    # case types and confident documents; a share of their work gets a second review.
    RELIEF = "relief"


class DocumentStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    ROUTED = "routed"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"
    DONE = "done"


class AssistStatus(enum.StrEnum):
    """Where the LLM assistance (fields, summary, second opinion) of a document stands."""

    PENDING = "pending"
    DONE = "done"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class User(Base):
    """A person who signs in to the caseworker pages; machines use API keys. User names
    are unique in the installation, so signing in needs no choice of tenant."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    # The queues this person may work; None: every queue of the tenant.
    queues: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    # Failed sign-ins in a row; at the limit the account is locked until locked_until.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the table its hash, so a
    copy of the database signs no one in. Ending it (logout, expiry) takes effect on the
    next request."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # While set, the person works another tenant's queue under this grant; the grant is
    # checked on every request, so a revocation or its expiry ends it at the next one.
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("queue_grants.id"))


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sha256", name="uq_documents_tenant_sha256"),
        Index("ix_documents_tenant_status", "tenant_id", "status"),
        Index("ix_documents_tenant_received", "tenant_id", "received_at"),
        Index("ix_documents_tenant_external_ref", "tenant_id", "external_ref"),
        Index("ix_documents_tenant_queue_status", "tenant_id", "queue", "status"),
        Index(
            "ix_documents_claim_order",
            "tenant_id",
            "queue",
            text("priority_key DESC"),
            "received_at",
        ),
        # A claim looks for the follow-ups of what the caseworker holds or lately completed.
        Index("ix_documents_claimed_by", "tenant_id", "claimed_by_id"),
        Index("ix_documents_completed_by", "tenant_id", "completed_by_id", "completed_at"),
        Index("ix_documents_follow_up_of", "follow_up_of_id"),
        Index("ix_documents_duplicate_of", "duplicate_of_id"),
        Index("ix_documents_second_review", "tenant_id", "second_review"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(32))
    external_ref: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    status: Mapped[str] = mapped_column(String(32), default=DocumentStatus.RECEIVED)
    stage: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    review_reason: Mapped[str | None] = mapped_column(Text)

    text: Mapped[str | None] = deferred(mapped_column(Text))
    text_chars: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))
    parser: Mapped[str | None] = mapped_column(String(32))
    pages: Mapped[int | None] = mapped_column(Integer)
    ocr: Mapped[bool] = mapped_column(Boolean, default=False)
    parse_metadata: Mapped[dict[str, Any] | None]

    # What the classifier decided and where the document went.
    case_type: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    alternatives: Mapped[list[Any] | None] = mapped_column(JSON)
    classifier: Mapped[str | None] = mapped_column(String(200))
    # The trained model's version (None: zero-shot) and why it decided as it did.
    model_version: Mapped[str | None] = mapped_column(String(64))
    explanation: Mapped[dict[str, Any] | None]
    queue: Mapped[str | None] = mapped_column(String(64))
    # What makes the letter urgent (triage.priority.score): the facts found once, their
    # points under the tenant's policy with the waiting rate used, and the sort key that
    # adds waiting time at query time without going stale.
    priority_facts: Mapped[dict[str, Any] | None]
    priority_components: Mapped[dict[str, Any] | None]
    priority_base: Mapped[float | None] = mapped_column(Float)
    priority_key: Mapped[float | None] = mapped_column(Float)
    due_at: Mapped[datetime | None]
    routed_at: Mapped[datetime | None]

    # The caseworker who holds the document, until the lease runs out.
    claimed_by_kind: Mapped[str | None] = mapped_column(String(16))
    claimed_by_id: Mapped[str | None] = mapped_column(String(64))
    claimed_by_name: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # Who completed it: a follow-up letter is offered to that person first for a while.
    completed_by_kind: Mapped[str | None] = mapped_column(String(16))
    completed_by_id: Mapped[str | None] = mapped_column(String(64))
    completed_by_name: Mapped[str | None] = mapped_column(String(200))
    # A relief worker's completed document drawn for a second look by a regular
    # caseworker: pending, then confirmed or corrected.
    second_review: Mapped[str | None] = mapped_column(String(16))
    second_review_at: Mapped[datetime | None]

    # Links to an earlier document (triage.links): this letter follows it up (same
    # reference number, or same sender about the same matter), or is the same letter
    # received again. ``link_detail`` says why, and keeps the route the document would have
    # had on its own, for a reviewer who finds it is no duplicate.
    follow_up_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id"))
    link_detail: Mapped[dict[str, Any] | None]

    # What the patterns (and later the LLM) found, the LLM's summary and second opinion.
    fields: Mapped[dict[str, Any] | None]
    summary: Mapped[str | None] = mapped_column(Text)
    second_opinion: Mapped[dict[str, Any] | None]
    assist_status: Mapped[str | None] = mapped_column(String(16))
    assist_reason: Mapped[str | None] = mapped_column(Text)
    assist_detail: Mapped[dict[str, Any] | None]


class DocumentEvent(Base):
    __tablename__ = "document_events"
    __table_args__ = (
        Index("ix_document_events_document", "document_id", "id"),
        # The day's figures read a tenant's events by time.
        Index("ix_document_events_tenant_at", "tenant_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None]


class DocumentReference(Base):
    """A reference number found in a document (Aktenzeichen, Kassenzeichen …), normalised,
    so a later letter that quotes it finds its earlier document by index."""

    __tablename__ = "document_references"
    __table_args__ = (Index("ix_document_references_lookup", "tenant_id", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime]


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "priority", "id"),
        Index("ix_jobs_document_kind", "document_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"))
    kind: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)


class TenantTaxonomy(Base):
    """A tenant's own case types; tenants without one use the configured default."""

    __tablename__ = "tenant_taxonomies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class TenantPriorityPolicy(Base):
    """A tenant's own priority policy; tenants without one use the shipped default."""

    __tablename__ = "tenant_priority_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), unique=True)
    content: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the open documents were last re-scored under it: behind loaded_at, the worker
    # re-scores them (a policy stored through the API; the CLI re-scores at once).
    rescored_at: Mapped[datetime | None]


class LabelledExample(Base):
    """A person's decision about a document's case type: training data for the classifier."""

    __tablename__ = "labelled_examples"
    __table_args__ = (Index("ix_labelled_examples_tenant", "tenant_id", "case_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id"), unique=True)
    case_type: Mapped[str] = mapped_column(String(64))
    predicted_case_type: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LlmResultEntry(Base):
    """A cached LLM answer, keyed by what determines it (``triage.llm.cache.CacheKey``).

    Not per tenant: a hit needs the exact same text, so a tenant learns nothing from it
    that it does not already hold."""

    __tablename__ = "llm_results"
    __table_args__ = (
        UniqueConstraint(
            "text_sha256", "task", "prompt", "model", "variant", name="uq_llm_results_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text_sha256: Mapped[str] = mapped_column(String(64))
    task: Mapped[str] = mapped_column(String(64))
    prompt: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(500))
    variant: Mapped[str] = mapped_column(String(200))
    value: Mapped[Any | None] = mapped_column(JSON)
    dropped_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LlmUsage(Base):
    """LLM calls of a tenant, summed per day and task: what the assistance costs."""

    __tablename__ = "llm_usage"
    __table_args__ = (
        UniqueConstraint("tenant_id", "day", "task", name="uq_llm_usage_tenant_day_task"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    day: Mapped[date] = mapped_column(Date)
    task: Mapped[str] = mapped_column(String(64))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    failed_calls: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class QueueGrant(Base):
    """Time-boxed access for a named user of another tenant to one of this tenant's
    queues (inter-municipal help). Checked on every request of that user."""

    __tablename__ = "queue_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    queue: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    granted_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class TenantRules(Base):
    """A tenant's working rules set on the admin pages (thresholds, relief staff, the
    forecast's assumptions): a JSON document validated by ``triage.rules.WorkRules``."""

    __tablename__ = "tenant_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), unique=True)
    content: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class AdminEvent(Base):
    """An administrative change (users, keys, case types, rules, baselines, grants) with
    who made it: the admin pages' record."""

    __tablename__ = "admin_events"
    __table_args__ = (Index("ix_admin_events_tenant", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None]


class FigureSnapshot(Base):
    """One day's backlog figures of a tenant's queue or case type (``scope``), taken after
    the day ended (Berlin time). Shares are kept as counts, so any span can be summed."""

    __tablename__ = "figure_snapshots"
    __table_args__ = (
        UniqueConstraint("tenant_id", "day", "scope", "key", name="uq_figure_snapshots_day"),
        Index("ix_figure_snapshots_scope_day", "tenant_id", "scope", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"))
    day: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    open_count: Mapped[int] = mapped_column(Integer, default=0)
    inflow: Mapped[int] = mapped_column(Integer, default=0)
    outflow: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    age_p50_days: Mapped[float | None] = mapped_column(Float)
    age_p90_days: Mapped[float | None] = mapped_column(Float)
    triaged: Mapped[int] = mapped_column(Integer, default=0)
    auto_routed: Mapped[int] = mapped_column(Integer, default=0)
    to_review: Mapped[int] = mapped_column(Integer, default=0)
    misrouted: Mapped[int] = mapped_column(Integer, default=0)
    handling_median_minutes: Mapped[float | None] = mapped_column(Float)
    relief_completed: Mapped[int] = mapped_column(Integer, default=0)
    second_reviewed: Mapped[int] = mapped_column(Integer, default=0)
    second_review_corrected: Mapped[int] = mapped_column(Integer, default=0)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class FigureBaseline(Base):
    """The day an admin marked as the baseline (e.g. a relief project's start); the
    newest marking is the one compared with today."""

    __tablename__ = "figure_baselines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tenants.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    marked_by: Mapped[str] = mapped_column(String(200))
