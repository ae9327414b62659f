"""The job queue: leases that expire, no double claims, priorities, retries, idempotence."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.api.helpers import upload_one
from tests.conftest import TenantKeys
from triage.actors import worker_actor
from triage.db.models import Document, DocumentEvent, Job, JobStatus
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.jobs.queue import JobPriority, claim_next, enqueue
from triage.pipeline import DocumentContext, Pipeline
from triage.services import Services
from triage.steps import ParseStep
from triage.worker import DocumentProcessor, Worker


def _upload_many(client: TestClient, keys: TenantKeys, count: int) -> list[str]:
    return [
        upload_one(client, keys, f"brief{i}.txt", f"Brief {i}: Antrag auf Wohngeld".encode())
        for i in range(count)
    ]


def _jobs(services: Services) -> list[Job]:
    with services.session_factory() as session:
        return list(session.scalars(select(Job).order_by(Job.id)))


def test_concurrent_claimers_never_share_a_job(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    _upload_many(client, tenant_a, 24)
    claimed: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def claimer(index: int) -> None:
        start.wait()
        while True:
            job = claim_next(services.session_factory, worker_id=f"w{index}", lease_seconds=60)
            if job is None:
                return
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 24
    assert len(set(claimed)) == 24
    assert all(job.status == JobStatus.RUNNING and job.attempts == 1 for job in _jobs(services))


def test_job_of_a_dead_worker_is_picked_up_after_its_lease_expires(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    [document_id] = _upload_many(client, tenant_a, 1)
    dead = claim_next(services.session_factory, worker_id="dead", lease_seconds=1)
    assert dead is not None
    # While the lease holds, nobody else gets the job.
    assert claim_next(services.session_factory, worker_id="other", lease_seconds=60) is None
    time.sleep(1.1)
    worker = services.new_worker()
    assert worker.run_until_idle() == 1
    [job] = _jobs(services)
    assert job.status == JobStatus.DONE
    assert job.attempts == 2
    assert job.lease_owner == worker.worker_id
    with services.session_factory() as session:
        document = session.get(Document, uuid.UUID(document_id))
        assert document is not None
        assert document.status in ("routed", "needs_review")


def test_a_worker_that_lost_its_lease_writes_nothing(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    [document_id] = _upload_many(client, tenant_a, 1)
    slow = claim_next(services.session_factory, worker_id="slow", lease_seconds=1)
    assert slow is not None
    time.sleep(1.1)
    assert services.new_worker().run_until_idle() == 1
    events_before = _event_count(services, document_id)
    # The slow worker wakes up and finishes late: its result must be discarded.
    processor = DocumentProcessor(
        session_factory=services.session_factory,
        blob_store=services.blob_store,
        pipeline=services.pipeline,
        priority_policy_for=services.priorities.for_tenant,
    )
    with transaction(services.session_factory) as session:
        session.execute(
            update(Document)
            .where(Document.id == uuid.UUID(document_id))
            .values(status="processing")
        )
    processor.process([slow], worker_actor("slow"))
    assert _event_count(services, document_id) == events_before


def _event_count(services: Services, document_id: str) -> int:
    with services.session_factory() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(DocumentEvent)
                .where(DocumentEvent.document_id == uuid.UUID(document_id))
            )
            or 0
        )


def test_enqueue_is_idempotent_and_a_second_run_changes_nothing(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    [document_id] = _upload_many(client, tenant_a, 1)
    with transaction(services.session_factory) as session:
        document = session.get(Document, uuid.UUID(document_id))
        assert document is not None
        again = enqueue(session, tenant_id=document.tenant_id, document_id=document.id)
    assert len(_jobs(services)) == 1
    assert again.id == _jobs(services)[0].id
    services.new_worker().run_until_idle()
    events = _event_count(services, document_id)
    # A duplicate job (e.g. a lease that expired after the work was done) finds the
    # document in a final state and changes nothing.
    with transaction(services.session_factory) as session:
        document = session.get(Document, uuid.UUID(document_id))
        assert document is not None
        session.add(
            Job(
                tenant_id=document.tenant_id,
                document_id=document.id,
                kind="process",
                priority=JobPriority.TRIAGE,
                status=JobStatus.QUEUED,
                available_at=utcnow(),
            )
        )
    assert services.new_worker().run_until_idle() == 1
    assert _event_count(services, document_id) == events


def test_higher_priority_jobs_run_first(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    ids = _upload_many(client, tenant_a, 3)
    with transaction(services.session_factory) as session:
        session.execute(update(Job).values(priority=JobPriority.BACKGROUND))
        session.execute(
            update(Job)
            .where(Job.document_id == uuid.UUID(ids[2]))
            .values(priority=JobPriority.TRIAGE)
        )
    first = claim_next(services.session_factory, worker_id="w", lease_seconds=60)
    assert first is not None
    assert str(first.document_id) == ids[2]


class _ExplodingStep:
    name = "explode"

    def run(self, batch: Sequence[DocumentContext]) -> None:
        raise RuntimeError("disk on fire")


def test_an_unexpected_error_is_retried_then_marks_the_document_failed(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    [document_id] = _upload_many(client, tenant_a, 1)
    processor = DocumentProcessor(
        session_factory=services.session_factory,
        blob_store=services.blob_store,
        pipeline=Pipeline([ParseStep(services.registry), _ExplodingStep()]),
        priority_policy_for=services.priorities.for_tenant,
    )
    worker = Worker(
        session_factory=services.session_factory,
        processor=processor,
        max_attempts=2,
        backoff_seconds=0,
    )
    assert worker.run_once()
    [job] = _jobs(services)
    assert job.status == JobStatus.QUEUED
    assert "disk on fire" in str(job.last_error)
    with transaction(services.session_factory) as session:
        session.execute(update(Job).values(available_at=utcnow() - timedelta(seconds=1)))
    assert worker.run_once()
    [job] = _jobs(services)
    assert job.status == JobStatus.FAILED
    with services.session_factory() as session:
        document = session.get(Document, uuid.UUID(document_id))
        assert document is not None
        assert document.status == "failed"
        assert document.stage == "worker"
        assert "disk on fire" in str(document.error)
        # It waits in the review queue with its waiting time as priority, like every other.
        assert document.priority_key is not None
    # The failed document is where an admin looks for it.
    failed = client.get(
        "/api/v1/documents", params={"status": "failed"}, headers=tenant_a.headers("admin")
    ).json()
    assert [d["id"] for d in failed["items"]] == [document_id]
