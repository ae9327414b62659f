"""What the queue modules share: the queued states, errors, and the building blocks of
queue queries."""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_

from triage.db.models import Document, DocumentStatus

QUEUED_STATES = (DocumentStatus.ROUTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED)


class SecondReview(enum.StrEnum):
    """A relief worker's completed document drawn for a regular caseworker's check."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CORRECTED = "corrected"


def draw_second_review(share: float, *, draw: Callable[[], float] = random.random) -> bool:
    """True for about ``share`` of the calls: a random draw, so no one can predict which
    of their documents is checked."""
    return draw() < share


class QueueError(Exception):
    """The action does not fit the document's state; the message says why."""


class LeaseConflictError(QueueError):
    """Another caseworker holds the document."""


class UnknownQueueError(QueueError, LookupError):
    pass


class QueueNotAllowedError(QueueError):
    """The person is limited to other queues."""


def queued() -> ColumnElement[bool]:
    return Document.status.in_([s.value for s in QUEUED_STATES])


def unleased(now: datetime) -> ColumnElement[bool]:
    return or_(Document.lease_expires_at.is_(None), Document.lease_expires_at <= now)


def as_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def claim_order() -> tuple[Any, ...]:
    """Priority now (the stored sort key orders as the priority with waiting time does),
    then age. Every queued document has a key (the pipeline's closing priority step), so
    the order needs no NULL handling and ``ix_documents_claim_order`` serves it."""
    return (Document.priority_key.desc(), Document.received_at, Document.id)
