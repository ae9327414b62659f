"""The pipeline step that links a document to an earlier one and routes it accordingly."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import numpy as np

from triage.db.models import DocumentStatus
from triage.links.finder import Link, LinkCandidate, LinkKind, LinkRules, LinkSubject, find_link
from triage.links.service import LinkCandidates, reference_values, sender_identity
from triage.links.similarity import shingles, words
from triage.logs import correlation
from triage.pipeline import DocumentContext
from triage.routing.router import REVIEW_QUEUE, RouteDecision
from triage.vectors.base import VectorStore

log = logging.getLogger(__name__)
NEIGHBOURS = 10


class LinkStep:
    """After classification: the earlier documents most like this one (from the vector
    index, plus earlier letters of the same batch, which are not indexed yet) and those with
    the same reference number. A duplicate waits in review beside its original; a follow-up
    goes to its earlier document's queue.

    Enrichment, not triage: should linking break, the document is routed on its own."""

    name = "link"

    def __init__(
        self,
        *,
        store: Callable[[], VectorStore],
        candidates: LinkCandidates,
        rules: Callable[[], LinkRules],
    ) -> None:
        self._store = store
        self._candidates = candidates
        self._rules = rules

    def run(self, batch: Sequence[DocumentContext]) -> None:
        rules = self._rules()
        seen: list[tuple[DocumentContext, LinkSubject]] = []
        for ctx in sorted(batch, key=lambda c: c.received_at):
            if ctx.vector is None or ctx.parsed is None:
                continue
            subject = _subject(ctx)
            with correlation(ctx.document_id):
                try:
                    link = find_link(subject, self._gather(ctx, subject, seen, rules), rules)
                    if link is not None:
                        _route_linked(ctx, link)
                except Exception as exc:
                    log.exception("linking failed; the document is routed on its own")
                    ctx.notes.append({"step": self.name, "error": f"{type(exc).__name__}: {exc}"})
            seen.append((ctx, subject))

    def _gather(
        self,
        ctx: DocumentContext,
        subject: LinkSubject,
        seen: Sequence[tuple[DocumentContext, LinkSubject]],
        rules: LinkRules,
    ) -> list[LinkCandidate]:
        assert ctx.vector is not None
        hits = self._store().search(tenant_id=ctx.tenant_id, vector=ctx.vector, limit=NEIGHBOURS)
        similarity = {hit.id: hit.score for hit in hits if hit.id != ctx.document_id}
        since = ctx.received_at - timedelta(
            days=max(rules.window_days, rules.duplicate_window_days)
        )
        stored = self._candidates.load(
            tenant_id=ctx.tenant_id,
            ids=list(similarity),
            references=subject.references,
            since=since,
        )
        candidates = [
            LinkCandidate(
                subject=s.subject,
                similarity=similarity.get(s.subject.id),
                queue=s.queue,
                duplicate_of_id=s.duplicate_of_id,
            )
            for s in stored
            if s.subject.id != ctx.document_id
        ]
        for other, other_subject in seen:
            if other.tenant_id != ctx.tenant_id or other.vector is None:
                continue
            candidates.append(
                LinkCandidate(
                    subject=other_subject,
                    similarity=float(np.dot(ctx.vector, other.vector)),
                    queue=other.route.queue if other.route is not None else None,
                    duplicate_of_id=(
                        other.link.target_id
                        if other.link is not None and other.link.kind is LinkKind.DUPLICATE
                        else None
                    ),
                )
            )
        return candidates


def _subject(ctx: DocumentContext) -> LinkSubject:
    assert ctx.parsed is not None
    fields = ctx.fields.model_dump(mode="json") if ctx.fields is not None else None
    references = ctx.fields.references if ctx.fields is not None else []
    text_words = words(ctx.parsed.text)
    return LinkSubject(
        id=ctx.document_id,
        received_at=ctx.received_at,
        shingles=shingles(text_words),
        words=text_words,
        sender=sender_identity(fields, ctx.parsed.metadata),
        references=frozenset(reference_values((r.kind.value, r.value) for r in references)),
    )


def _route_linked(ctx: DocumentContext, link: Link) -> None:
    """A duplicate waits in review beside its original; a follow-up goes where its earlier
    document is (unless that is the review queue: then it is routed on its own)."""
    ctx.link = link
    route = ctx.route
    if route is None:
        return
    ctx.link_own_route = _route_json(route)
    if link.kind is LinkKind.DUPLICATE:
        ctx.route = RouteDecision(
            DocumentStatus.NEEDS_REVIEW,
            REVIEW_QUEUE,
            route.due_at,
            f"duplicate of document {link.target_id}: {link.reason}",
        )
    elif link.target_queue and link.target_queue != REVIEW_QUEUE:
        ctx.route = RouteDecision(DocumentStatus.ROUTED, link.target_queue, route.due_at)


def _route_json(route: RouteDecision) -> dict[str, Any]:
    return {
        "status": route.status.value,
        "queue": route.queue,
        "review_reason": route.review_reason,
    }
