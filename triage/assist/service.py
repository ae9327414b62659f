"""LLM assistance as a worker job: after routing, at a lower priority than triage.

A routed (or reviewed) document gets an ``assist`` job when an LLM is configured. The job
asks for fields (grounded in the text, then merged under the pattern fields), a summary,
and a second opinion when the classifier's confidence lies in the grey zone. The second
opinion is recorded and shown, never applied to the routing: combining it with the
classifier waits for an evaluation that shows a gain. ``LlmUnavailable`` propagates, so the
worker retries with back-off; after the last attempt the document keeps its triage result
and says why it has no summary. No database transaction is open while the LLM works.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from triage.actors import Actor
from triage.assist.fields import pattern_fields, received_day
from triage.db.models import AssistStatus, Document, DocumentStatus
from triage.db.session import transaction
from triage.documents.service import record_event
from triage.fields.grounding import ground_llm_fields, merge_fields
from triage.fields.schema import DocumentFields, LlmFields
from triage.jobs.queue import ClaimedJob, JobKind, JobPriority, enqueue, finish, release
from triage.llm.cache import sha256_text
from triage.llm.guard import find_instructions
from triage.llm.tasks import LlmTasks
from triage.logs import correlation
from triage.taxonomy import Taxonomy

log = logging.getLogger(__name__)

NO_LLM_REASON = "no summary available: no LLM configured (TRIAGE_LLM_BACKEND=none)"
PENDING_REASON = "waiting for the LLM; the fields so far come from patterns only"
ASSISTED_STATES = (DocumentStatus.ROUTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.DONE)


class AssistScheduler:
    """Decides, when triage ends, whether a document waits for the LLM (inside the
    transaction that writes the triage result, so the job and the result commit together)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled

    def after_triage(self, session: Session, document: Document) -> None:
        document.summary = None
        document.second_opinion = None
        document.assist_detail = None
        triaged = document.status in (DocumentStatus.ROUTED, DocumentStatus.NEEDS_REVIEW)
        if not triaged or not document.text_chars:
            document.assist_status = document.assist_reason = None
            return
        if not self.enabled:
            document.assist_status = AssistStatus.UNAVAILABLE
            document.assist_reason = NO_LLM_REASON
            return
        document.assist_status = AssistStatus.PENDING
        document.assist_reason = PENDING_REASON
        enqueue(
            session,
            tenant_id=document.tenant_id,
            document_id=document.id,
            kind=JobKind.ASSIST,
            priority=JobPriority.BACKGROUND,
        )


def in_grey_zone(confidence: float | None, grey_zone: tuple[float, float]) -> bool:
    low, high = grey_zone
    return confidence is not None and low <= confidence < high


def candidates(
    taxonomy: Taxonomy, case_type: str | None, alternatives: Sequence[dict[str, Any]] | None
) -> list[tuple[str, str, str]]:
    """The classifier's top-k case types, best first, with name and description; keys the
    taxonomy no longer has are left out."""
    keys = [case_type, *(a.get("case_type") for a in alternatives or [])]
    listed: list[tuple[str, str, str]] = []
    for key in keys:
        if isinstance(key, str) and key in taxonomy.keys and key not in (c[0] for c in listed):
            found = taxonomy.get(key)
            listed.append((found.key, found.name, found.description))
    return listed


class _GiveWay(Exception):
    """Triage work arrived while the LLM worked: hand the job back and let it run first."""


@dataclass(frozen=True)
class _Snapshot:
    """What the job needs of the document, read in a short session."""

    tenant_id: uuid.UUID
    text: str
    received_at: dt.datetime
    case_type: str | None
    confidence: float | None
    alternatives: list[dict[str, Any]] | None


@dataclass
class _Outcome:
    fields: DocumentFields
    summary: str | None
    second_opinion: dict[str, Any] | None
    detail: dict[str, Any]
    problems: list[str]


class AssistProcessor:
    """Runs ``assist`` jobs, one document at a time (a generation takes a minute or more)."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        tasks: LlmTasks,
        taxonomy_for: Callable[[uuid.UUID], Taxonomy],
        grey_zone: tuple[float, float],
        land_for: Callable[[uuid.UUID], str | None],
        triage_waiting: Callable[[], bool] = lambda: False,
    ) -> None:
        """``triage_waiting`` is asked between the LLM tasks of a document: when triage
        jobs wait, the assist job is handed back (its answers so far are cached) so that a
        new upload waits for one generation at most, not for a whole document's."""
        self._factory = session_factory
        self._tasks = tasks
        self._taxonomy_for = taxonomy_for
        self._grey_zone = grey_zone
        self._land_for = land_for
        self._triage_waiting = triage_waiting

    def process(self, jobs: Sequence[ClaimedJob], actor: Actor) -> None:
        for job in jobs:
            with correlation(job.document_id):
                self._process_one(job, actor)

    def give_up(self, job: ClaimedJob, actor: Actor, reason: str) -> None:
        """The last attempt failed: the triage result stays, only the assistance is off."""
        with transaction(self._factory) as session:
            document = session.get(Document, job.document_id)
            if document is None:
                return
            document.assist_status = AssistStatus.FAILED
            document.assist_reason = (
                f"no summary available: the LLM failed {job.attempts} times, last: {reason}"
            )
            record_event(
                session,
                document=document,
                actor=actor,
                action="assist_failed",
                detail={"reason": reason, "attempts": job.attempts},
            )

    def _process_one(self, job: ClaimedJob, actor: Actor) -> None:
        snapshot = self._snapshot(job)
        if snapshot is None:
            with transaction(self._factory) as session:
                finish(session, job=job)
            return
        try:
            outcome = self._assist(snapshot)
        except _GiveWay:
            log.info("triage jobs are waiting; the assist job steps back")
            with transaction(self._factory) as session:
                release(session, job=job)
            return
        with transaction(self._factory) as session:
            if not finish(session, job=job):
                log.warning("lease on assist job %d was lost; another worker owns it", job.id)
                return
            document = session.get(Document, job.document_id)
            if document is None:
                return
            if sha256_text(document.text or "") != sha256_text(snapshot.text):
                # Reprocessed meanwhile: these answers belong to the old text.
                log.info("text changed while the LLM worked; its answers are discarded")
                return
            document.fields = outcome.fields.model_dump(mode="json")
            document.summary = outcome.summary
            document.second_opinion = outcome.second_opinion
            document.assist_status = AssistStatus.DONE
            document.assist_reason = "; ".join(outcome.problems) or None
            document.assist_detail = outcome.detail
            record_event(
                session, document=document, actor=actor, action="assist", detail=outcome.detail
            )

    def _snapshot(self, job: ClaimedJob) -> _Snapshot | None:
        with self._factory() as session:
            document = session.get(Document, job.document_id)
            if document is None or document.status not in ASSISTED_STATES or not document.text:
                return None
            return _Snapshot(
                tenant_id=document.tenant_id,
                text=document.text,
                received_at=document.received_at,
                case_type=document.case_type,
                confidence=document.confidence,
                alternatives=document.alternatives,
            )

    def _assist(self, doc: _Snapshot) -> _Outcome:
        tenant = str(doc.tenant_id)
        tasks = self._tasks
        problems: list[str] = []
        suspects = find_instructions(doc.text)
        if suspects:
            problems.append(
                f"{len(suspects)} sentence(s) addressed to an AI system were withheld from "
                "the LLM (possible prompt injection)"
            )
        land = self._land_for(doc.tenant_id)
        patterned = pattern_fields(doc.text, received_at=doc.received_at, land=land)

        answered = tasks.fields(tenant=tenant, text=doc.text, schema=LlmFields)
        merged, dropped = patterned, []
        if answered.value is not None:
            grounded = ground_llm_fields(
                answered.value, doc.text, reference_date=received_day(doc.received_at), land=land
            )
            merged, dropped = merge_fields(patterned, grounded.fields), grounded.dropped
            if dropped:
                problems.append(f"{len(dropped)} LLM value(s) not found in the text were dropped")
        else:
            problems.append(f"no LLM fields: {answered.dropped_reason}")
        self._give_way_to_triage()

        summary = tasks.summary(tenant=tenant, text=doc.text)
        if summary.value is None:
            problems.append(f"no summary: {summary.dropped_reason}")
        self._give_way_to_triage()

        second_opinion, asked = self._second_opinion(doc, tenant)
        detail: dict[str, Any] = {
            "model": tasks.backend.model_name,
            # Field names and reasons only: a dropped value may be personal data.
            "dropped": [{"field": d.field, "reason": d.reason.value} for d in dropped],
            "dropped_count": len(dropped),
            "fields_answer": answered.dropped_reason or "ok",
            "summary_answer": summary.dropped_reason or "ok",
            "second_opinion": asked,
            # Offsets only: the sentences stay in the document text.
            "withheld_sentences": [suspect.to_json() for suspect in suspects],
            "cached": [
                name
                for name, cached in (("fields", answered.cached), ("summary", summary.cached))
                if cached
            ],
        }
        return _Outcome(merged, summary.value, second_opinion, detail, problems)

    def _give_way_to_triage(self) -> None:
        if self._triage_waiting():
            raise _GiveWay

    def _second_opinion(self, doc: _Snapshot, tenant: str) -> tuple[dict[str, Any] | None, str]:
        low, high = self._grey_zone
        if not in_grey_zone(doc.confidence, self._grey_zone):
            confidence = "none" if doc.confidence is None else f"{doc.confidence:.2f}"
            return None, f"not asked: confidence {confidence} outside the grey zone [{low}, {high})"
        listed = candidates(self._taxonomy_for(doc.tenant_id), doc.case_type, doc.alternatives)
        if len(listed) < 2:
            return None, "not asked: fewer than two candidate case types"
        answer = self._tasks.second_opinion(tenant=tenant, text=doc.text, candidates=listed)
        return {
            "case_type": answer.value,
            "abstained": answer.value is None,
            "reason": answer.dropped_reason,
            "candidates": [key for key, _, _ in listed],
            "classifier_case_type": doc.case_type,
            "classifier_confidence": doc.confidence,
            "agrees": None if answer.value is None else answer.value == doc.case_type,
            "applied": False,
        }, "asked"
