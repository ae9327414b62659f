"""Which earlier document a new one belongs to: the same letter received again (a
duplicate), or a follow-up in the same matter (a quoted reference number, or the same
sender writing about the same thing).

Pure decisions over candidates the caller gathered (vector neighbours, documents with the
same reference number, earlier letters of the same batch); nothing here touches the
database or the vector index.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from triage.links.similarity import SenderIdentity, new_words, overlap


class LinkKind(enum.StrEnum):
    FOLLOW_UP = "follow_up"
    DUPLICATE = "duplicate"


class LinkBasis(enum.StrEnum):
    TEXT = "text"  # near-identical wording: a duplicate
    REFERENCE = "reference"  # the letter quotes the earlier one's reference number
    SENDER = "sender"  # same sender, close in meaning


class LinkRules(BaseModel):
    """When two letters belong together. The defaults and their meaning live in the
    settings (``Settings.link_rules``); the thresholds were chosen with
    ``bench/links_benchmark.py``."""

    window_days: int = Field(ge=1)
    duplicate_window_days: int = Field(ge=1)
    follow_up_similarity: float = Field(ge=0, le=1)
    duplicate_similarity: float = Field(ge=0, le=1)
    duplicate_overlap: float = Field(ge=0, le=1)
    duplicate_new_words: int = Field(ge=0)


@dataclass(frozen=True)
class LinkSubject:
    """What the finder needs of a document: the new one, and each candidate."""

    id: uuid.UUID
    received_at: dt.datetime
    shingles: frozenset[str]
    sender: SenderIdentity
    references: frozenset[str]
    words: tuple[str, ...] = ()  # needed of the new document only


@dataclass(frozen=True)
class LinkCandidate:
    subject: LinkSubject
    similarity: float | None  # cosine to the new document, when the index found it
    queue: str | None
    duplicate_of_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Link:
    kind: LinkKind
    basis: LinkBasis
    target_id: uuid.UUID
    target_queue: str | None
    reason: str  # German: shown to caseworkers
    similarity: float | None = None
    overlap: float | None = None
    reference: str | None = None


def _german_day(moment: dt.datetime) -> str:
    return moment.strftime("%d.%m.%Y")


def _link_to(
    candidate: LinkCandidate,
    kind: LinkKind,
    basis: LinkBasis,
    *,
    reason: str,
    similarity: float | None,
    overlap: float | None = None,
    reference: str | None = None,
) -> Link:
    """A link to the candidate, or to its original when the candidate is a duplicate."""
    return Link(
        kind=kind,
        basis=basis,
        target_id=candidate.duplicate_of_id or candidate.subject.id,
        target_queue=candidate.queue,
        reason=reason,
        similarity=similarity,
        overlap=overlap,
        reference=reference,
    )


def _earlier(candidate: LinkCandidate, new: LinkSubject, *, days: int) -> bool:
    received = candidate.subject.received_at
    return (
        candidate.subject.id != new.id
        and received <= new.received_at
        and new.received_at - received <= dt.timedelta(days=days)
    )


def find_link(
    new: LinkSubject, candidates: Sequence[LinkCandidate], rules: LinkRules
) -> Link | None:
    """A duplicate first (it is no new matter at all), then a quoted reference number, then
    the same sender close in meaning."""
    return (
        _duplicate(new, candidates, rules)
        or _by_reference(new, candidates, rules)
        or _by_sender(new, candidates, rules)
    )


def _duplicate(
    new: LinkSubject, candidates: Sequence[LinkCandidate], rules: LinkRules
) -> Link | None:
    matches: list[tuple[LinkCandidate, float]] = []
    for candidate in candidates:
        if candidate.similarity is None or candidate.similarity < rules.duplicate_similarity:
            continue
        if not _earlier(candidate, new, days=rules.duplicate_window_days):
            continue
        share = overlap(new.shingles, candidate.subject.shingles)
        added = new_words(new.words, candidate.subject.shingles)
        if share >= rules.duplicate_overlap and added <= rules.duplicate_new_words:
            matches.append((candidate, share))
    if not matches:
        return None
    # The first copy is the original; a copy of a copy points at the original.
    first, share = min(matches, key=lambda m: m[0].subject.received_at)
    similarity = first.similarity
    assert similarity is not None
    return _link_to(
        first,
        LinkKind.DUPLICATE,
        LinkBasis.TEXT,
        reason=(
            f"Nahezu gleicher Text wie das Dokument vom {_german_day(first.subject.received_at)}"
            f" ({share:.0%} gleiche Wortfolgen)"
        ),
        similarity=similarity,
        overlap=share,
    )


def _by_reference(
    new: LinkSubject, candidates: Sequence[LinkCandidate], rules: LinkRules
) -> Link | None:
    if not new.references:
        return None
    matches = [
        (candidate, shared)
        for candidate in candidates
        if _earlier(candidate, new, days=rules.window_days)
        and (shared := new.references & candidate.subject.references)
    ]
    if not matches:
        return None
    # The latest letter in the matter: it is the one a caseworker works on now.
    latest, shared = max(matches, key=lambda m: m[0].subject.received_at)
    reference = min(shared)
    return _link_to(
        latest,
        LinkKind.FOLLOW_UP,
        LinkBasis.REFERENCE,
        reason=(
            f"Gleiches Zeichen {reference} wie das Dokument vom "
            f"{_german_day(latest.subject.received_at)}"
        ),
        similarity=latest.similarity,
        reference=reference,
    )


def _by_sender(
    new: LinkSubject, candidates: Sequence[LinkCandidate], rules: LinkRules
) -> Link | None:
    matches = [
        candidate
        for candidate in candidates
        if candidate.similarity is not None
        and candidate.similarity >= rules.follow_up_similarity
        and _earlier(candidate, new, days=rules.window_days)
        and new.sender.matches(candidate.subject.sender)
    ]
    if not matches:
        return None
    closest = max(matches, key=lambda c: (c.similarity or 0.0, c.subject.received_at))
    similarity = closest.similarity
    assert similarity is not None
    return _link_to(
        closest,
        LinkKind.FOLLOW_UP,
        LinkBasis.SENDER,
        reason=(
            f"Gleicher Absender ({new.sender.describe()}) und ähnlicher Inhalt "
            f"({similarity:.2f}) wie das Dokument vom "
            f"{_german_day(closest.subject.received_at)}"
        ),
        similarity=similarity,
    )
