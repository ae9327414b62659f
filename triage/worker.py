"""Runs queued jobs: as a thread inside the API process (embedded) or as ``triage worker``."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from triage.actors import Actor, worker_actor
from triage.assist.fields import received_day
from triage.db.models import Document, DocumentStatus, Tenant
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.documents.service import record_event
from triage.jobs.queue import ClaimedJob, JobKind, claim_batch, finish, ready_count, retry_or_fail
from triage.links.service import index_references
from triage.logs import correlation
from triage.metrics.pipeline import PipelineMetrics
from triage.pipeline import DocumentContext, Pipeline, apply_results
from triage.priority.policy import PriorityPolicy
from triage.priority.score import PriorityFacts, prioritise
from triage.priority.service import apply_priority
from triage.routing.router import REVIEW_QUEUE
from triage.storage import BlobStore

log = logging.getLogger(__name__)

FINAL_STATES = {
    DocumentStatus.ROUTED,
    DocumentStatus.NEEDS_REVIEW,
    DocumentStatus.FAILED,
    DocumentStatus.DONE,
}


# Kinds a worker takes in batches; anything else (the slow LLM assistance) one job at a time,
# and only when none of these waits.
TRIAGE_KINDS = (JobKind.PROCESS,)


class JobHandler(Protocol):
    """Runs claimed jobs of one kind, and gives up on a job after its last attempt."""

    def process(self, jobs: Sequence[ClaimedJob], actor: Actor) -> None: ...

    def give_up(self, job: ClaimedJob, actor: Actor, reason: str) -> None:
        """The job failed its last attempt with ``reason`` (the last error)."""
        ...


class IdleTask(Protocol):
    """Work the worker does between batches when no job waits (the scheduled retrain)."""

    def run_due(self, now: datetime, *, alive: Callable[[], None]) -> object:
        """Do whatever is due at ``now``, calling ``alive`` now and then during long work
        (it touches the worker's heartbeat); return quickly when nothing is due."""
        ...


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class DocumentProcessor:
    """Takes documents from ``received`` through the pipeline to their next state."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        blob_store: BlobStore,
        pipeline: Pipeline,
        priority_policy_for: Callable[[uuid.UUID], PriorityPolicy],
        after_triage: Callable[[Session, Document], None] | None = None,
        metrics: PipelineMetrics | None = None,
    ) -> None:
        """``after_triage`` runs in the transaction that writes a document's result (it
        schedules the LLM assistance). ``priority_policy_for`` gives a document that fails
        outside the pipeline its waiting-time priority, so it sorts in the review queue."""
        self._factory = session_factory
        self._priority_policy_for = priority_policy_for
        self._blobs = blob_store
        self._pipeline = pipeline
        self._after_triage = after_triage
        self._metrics = metrics

    def process(self, jobs: Sequence[ClaimedJob], actor: Actor) -> None:
        # One short transaction to start the batch and one to finish it: per-document
        # transactions would cost more than the parsing on SQLite.
        with transaction(self._factory) as session:
            started = [(job, self._start(session, job, actor)) for job in jobs]
        contexts = [(job, ctx) for job, ctx in started if ctx is not None]
        if not contexts:
            return
        for _, ctx in contexts:
            ctx.original = self._blobs.read_bytes(tenant_id=ctx.tenant_id, sha256=ctx.sha256)
        self._pipeline.run([ctx for _, ctx in contexts])
        with transaction(self._factory) as session:
            for job, ctx in contexts:
                with correlation(ctx.document_id):
                    self._finish(session, job, ctx, actor)

    def _start(self, session: Session, job: ClaimedJob, actor: Actor) -> DocumentContext | None:
        with correlation(job.document_id):
            document = session.get(Document, job.document_id)
            if document is None or document.status in FINAL_STATES:
                # Already handled (a duplicate job, or a lease that expired after the work
                # was done): running again must change nothing.
                finish(session, job=job)
                return None
            if document.status != DocumentStatus.PROCESSING:
                document.status = DocumentStatus.PROCESSING
                record_event(session, document=document, actor=actor, action="processing")
            return DocumentContext(
                document_id=document.id,
                tenant_id=document.tenant_id,
                filename=document.filename,
                media_type=document.media_type,
                received_at=document.received_at,
                sha256=document.sha256,
            )

    def _finish(
        self, session: Session, job: ClaimedJob, ctx: DocumentContext, actor: Actor
    ) -> None:
        if not finish(session, job=job):
            # Nothing of this job is written; the update in finish() changed no row.
            log.warning("lease on job %d was lost; another worker owns it now", job.id)
            return
        document = session.get(Document, job.document_id)
        assert document is not None
        apply_results(document, ctx)
        index_references(session, document)
        if self._after_triage is not None:
            self._after_triage(session, document)
        for note in ctx.notes:
            record_event(session, document=document, actor=actor, action="step", detail=note)
        verdict = ctx.verdict
        assert verdict is not None
        detail: dict[str, object] = {"stage": verdict.stage, "reason": verdict.reason}
        if ctx.prediction is not None:
            detail.update(
                case_type=ctx.prediction.case_type,
                confidence=round(ctx.prediction.confidence, 4),
                queue=document.queue,
                classifier=ctx.classifier,
            )
        record_event(
            session, document=document, actor=actor, action=verdict.status.value, detail=detail
        )
        if self._metrics is not None:
            # Counted only with a written result: a lost lease means another worker counts it.
            failed = verdict.status is DocumentStatus.FAILED
            # A letter received again is neither routed nor a review case of its own.
            duplicate = document.duplicate_of_id is not None
            self._metrics.document_triaged(
                tenant=_tenant_name(session, document),
                timings=ctx.timings,
                outcome="duplicate" if duplicate else verdict.status.value,
                failed_stage=(verdict.stage or "unknown") if failed else None,
            )

    def give_up(self, job: ClaimedJob, actor: Actor, reason: str) -> None:
        self.mark_failed(
            job, actor, "worker", f"internal error after {job.attempts} attempts: {reason}"
        )

    def mark_failed(self, job: ClaimedJob, actor: Actor, stage: str, reason: str) -> None:
        with transaction(self._factory) as session:
            document = session.get(Document, job.document_id)
            if document is None:
                return
            document.status = DocumentStatus.FAILED
            document.stage = stage
            document.error = reason
            document.queue = REVIEW_QUEUE
            if document.priority_key is None:
                policy = self._priority_policy_for(document.tenant_id)
                facts = PriorityFacts(received=received_day(document.received_at))
                apply_priority(
                    document, prioritise(facts, received_at=document.received_at, policy=policy)
                )
            record_event(
                session,
                document=document,
                actor=actor,
                action=DocumentStatus.FAILED.value,
                detail={"stage": stage, "reason": reason},
            )
            if self._metrics is not None:
                self._metrics.document_failed(tenant=_tenant_name(session, document), stage=stage)


def _tenant_name(session: Session, document: Document) -> str:
    tenant = session.get(Tenant, document.tenant_id)  # once per session: the identity map
    return tenant.name if tenant is not None else str(document.tenant_id)


class Worker:
    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        processor: DocumentProcessor,
        worker_id: str | None = None,
        lease_seconds: int = 300,
        max_attempts: int = 3,
        poll_seconds: float = 1.0,
        backoff_seconds: int = 5,
        batch_size: int = 32,
        gather_seconds: float = 0.0,
        idle_tasks: Sequence[IdleTask] = (),
        assist: JobHandler | None = None,
        metrics: PipelineMetrics | None = None,
    ) -> None:
        """``idle_tasks`` run in this worker's thread when the job queue is empty: never in
        a request, and never while a batch waits for this worker. ``assist`` runs the LLM
        assistance jobs (none: this worker leaves them to others)."""
        self._factory = session_factory
        self._processor = processor
        self.worker_id = worker_id or new_worker_id()
        self._actor = worker_actor(self.worker_id)
        self._lease_seconds = lease_seconds
        self._max_attempts = max_attempts
        self._poll_seconds = poll_seconds
        self._backoff_seconds = backoff_seconds
        self._batch_size = batch_size
        self._gather_seconds = gather_seconds
        self._idle_tasks = list(idle_tasks)
        self._handlers: dict[str, JobHandler] = {JobKind.PROCESS: processor}
        if assist is not None:
            self._handlers[JobKind.ASSIST] = assist
        self._metrics = metrics
        self.wake = threading.Event()

    def run_once(self) -> int:
        """Claims and runs up to one batch of jobs; returns how many (0: nothing waited)."""
        self._gather()
        jobs = claim_batch(
            self._factory,
            worker_id=self.worker_id,
            lease_seconds=self._lease_seconds,
            limit=self._batch_size,
            kinds=TRIAGE_KINDS,
        )
        if not jobs and JobKind.ASSIST in self._handlers:
            # One at a time: a generation takes minutes on a small machine, and the next
            # upload must not wait behind a whole batch of them.
            jobs = claim_batch(
                self._factory,
                worker_id=self.worker_id,
                lease_seconds=self._lease_seconds,
                limit=1,
                kinds=(JobKind.ASSIST,),
            )
        started = time.perf_counter()
        for kind in sorted({job.kind for job in jobs}):
            self._run([job for job in jobs if job.kind == kind])
        if jobs:
            log.info("ran %d jobs in %.2f s", len(jobs), time.perf_counter() - started)
        return len(jobs)

    def _gather(self) -> None:
        """While uploads keep arriving, wait briefly for a fuller batch: embedding 100
        letters in one call is much faster than in ten calls of ten, and a triage result
        a second later costs nobody anything."""
        if self._gather_seconds <= 0:
            return
        deadline = time.monotonic() + self._gather_seconds
        ready = ready_count(self._factory, limit=self._batch_size, kinds=TRIAGE_KINDS)
        while 0 < ready < self._batch_size and time.monotonic() < deadline:
            time.sleep(min(0.25, self._gather_seconds))
            now_ready = ready_count(self._factory, limit=self._batch_size, kinds=TRIAGE_KINDS)
            if now_ready == ready:
                return  # nothing new arrived: take what is there
            ready = now_ready

    def _run(self, jobs: list[ClaimedJob]) -> None:
        handler = self._handlers[jobs[0].kind]
        try:
            handler.process(jobs, self._actor)
        except Exception as exc:
            log.exception("a batch of %d %s jobs raised", len(jobs), jobs[0].kind)
            if self._metrics is not None:
                self._metrics.jobs_raised(kind=jobs[0].kind, count=len(jobs))
            reason = f"{type(exc).__name__}: {exc}"
            for job in jobs:
                with correlation(job.document_id):
                    self._retry_or_fail(handler, job, reason)

    def _retry_or_fail(self, handler: JobHandler, job: ClaimedJob, reason: str) -> None:
        with transaction(self._factory) as session:
            retried = retry_or_fail(
                session,
                job=job,
                error=reason,
                max_attempts=self._max_attempts,
                backoff_seconds=self._backoff_seconds,
            )
        if not retried:
            handler.give_up(job, self._actor, reason)

    def run_until_idle(self) -> int:
        """Runs batches until no job is waiting; returns how many jobs ran."""
        done = 0
        while ran := self.run_once():
            done += ran
        return done

    def run_idle_tasks(self, now: datetime | None = None, *, heartbeat: Path | None = None) -> None:
        """Runs the idle tasks that are due; a failing one is logged and never stops the
        processing of documents."""

        def alive() -> None:
            if heartbeat is not None:
                heartbeat.touch()

        for task in self._idle_tasks:
            try:
                task.run_due(now or utcnow(), alive=alive)
            except Exception:
                log.exception("idle task %s failed", type(task).__name__)

    def run_forever(self, stop: threading.Event, *, heartbeat: Path | None = None) -> None:
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            if heartbeat is not None:
                heartbeat.touch()
            try:
                busy = self.run_once()
            except Exception:
                # The database may be briefly unreachable; keep the worker alive.
                log.exception("worker loop error")
                busy = False
            if not busy:
                self.run_idle_tasks(heartbeat=heartbeat)
                self.wake.wait(self._poll_seconds)
                self.wake.clear()
        log.info("worker %s stopped", self.worker_id)
