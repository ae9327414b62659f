"""Runs queued jobs: as a thread inside the API process (embedded) or as ``triage worker``."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from triage.actors import Actor, worker_actor
from triage.db.models import Document, DocumentStatus
from triage.db.session import transaction
from triage.documents.service import record_event
from triage.jobs.queue import ClaimedJob, JobKind, claim_next, finish, retry_or_fail
from triage.logs import correlation
from triage.pipeline import DocumentContext, Pipeline, apply_results
from triage.storage import BlobStore

log = logging.getLogger(__name__)

FINAL_STATES = {
    DocumentStatus.ROUTED,
    DocumentStatus.NEEDS_REVIEW,
    DocumentStatus.FAILED,
    DocumentStatus.DONE,
}


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class DocumentProcessor:
    """Takes one document from ``received`` through the pipeline to its next state."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        blob_store: BlobStore,
        pipeline: Pipeline,
    ) -> None:
        self._factory = session_factory
        self._blobs = blob_store
        self._pipeline = pipeline

    def process(self, job: ClaimedJob, actor: Actor) -> None:
        with transaction(self._factory) as session:
            document = session.get(Document, job.document_id)
            if document is None or document.status in FINAL_STATES:
                # Already handled (a duplicate job, or a lease that expired after the work
                # was done): running again must change nothing.
                finish(session, job=job)
                return
            if document.status != DocumentStatus.PROCESSING:
                document.status = DocumentStatus.PROCESSING
                record_event(session, document=document, actor=actor, action="processing")
            ctx = DocumentContext(
                document_id=document.id,
                tenant_id=document.tenant_id,
                filename=document.filename,
                media_type=document.media_type,
                original=b"",
            )
        ctx.original = self._blobs.read_bytes(tenant_id=ctx.tenant_id, sha256=document.sha256)
        verdict = self._pipeline.run(ctx)
        with transaction(self._factory) as session:
            document = session.get(Document, job.document_id)
            assert document is not None
            if not finish(session, job=job):
                log.warning("lease on job %d was lost; another worker owns it now", job.id)
                session.rollback()
                return
            apply_results(document, ctx, verdict)
            for note in ctx.notes:
                record_event(session, document=document, actor=actor, action="step", detail=note)
            record_event(
                session,
                document=document,
                actor=actor,
                action=verdict.status.value,
                detail={"stage": verdict.stage, "reason": verdict.reason},
            )

    def mark_failed(self, job: ClaimedJob, actor: Actor, stage: str, reason: str) -> None:
        with transaction(self._factory) as session:
            document = session.get(Document, job.document_id)
            if document is None:
                return
            document.status = DocumentStatus.FAILED
            document.stage = stage
            document.error = reason
            record_event(
                session,
                document=document,
                actor=actor,
                action=DocumentStatus.FAILED.value,
                detail={"stage": stage, "reason": reason},
            )


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
    ) -> None:
        self._factory = session_factory
        self._processor = processor
        self.worker_id = worker_id or new_worker_id()
        self._actor = worker_actor(self.worker_id)
        self._lease_seconds = lease_seconds
        self._max_attempts = max_attempts
        self._poll_seconds = poll_seconds
        self._backoff_seconds = backoff_seconds
        self.wake = threading.Event()

    def run_once(self) -> bool:
        """Claims and runs one job; False when nothing was waiting."""
        job = claim_next(self._factory, worker_id=self.worker_id, lease_seconds=self._lease_seconds)
        if job is None:
            return False
        with correlation(job.document_id):
            self._run(job)
        return True

    def _run(self, job: ClaimedJob) -> None:
        handlers: dict[str, Callable[[ClaimedJob, Actor], None]] = {
            JobKind.PROCESS: self._processor.process,
        }
        try:
            handler = handlers[job.kind]
            handler(job, self._actor)
        except Exception as exc:
            log.exception("job %d (%s) raised", job.id, job.kind)
            reason = f"{type(exc).__name__}: {exc}"
            with transaction(self._factory) as session:
                retried = retry_or_fail(
                    session,
                    job=job,
                    error=reason,
                    max_attempts=self._max_attempts,
                    backoff_seconds=self._backoff_seconds,
                )
            if not retried:
                self._processor.mark_failed(
                    job,
                    self._actor,
                    "worker",
                    f"internal error after {job.attempts} attempts: {reason}",
                )

    def run_until_idle(self, max_jobs: int | None = None) -> int:
        done = 0
        while (max_jobs is None or done < max_jobs) and self.run_once():
            done += 1
        return done

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
                self.wake.wait(self._poll_seconds)
                self.wake.clear()
        log.info("worker %s stopped", self.worker_id)
