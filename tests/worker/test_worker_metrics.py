"""A separate worker's own metrics: stage timings, failures, and jobs that raised."""

from __future__ import annotations

import uuid

import httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.api.helpers import process_all, upload_one
from tests.conftest import TenantKeys
from triage.cli.server import start_worker_metrics
from triage.db.models import Document
from triage.services import Services

LETTER = "Sehr geehrte Damen und Herren, ich melde meinen Hund Bello zur Hundesteuer an."


def test_the_worker_serves_its_stage_timings_on_its_own_address(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    upload_one(client, tenant_a, "hund.txt", LETTER.encode())
    process_all(services)
    settings = services.settings.model_copy(update={"worker_metrics_bind": "127.0.0.1:0"})
    server = start_worker_metrics(settings, services)
    assert server is not None
    try:
        response = httpx.get(server.url)
    finally:
        server.stop()
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    counts = {
        s.labels["stage"]: s.value
        for s in families["triage_stage_duration_seconds"].samples
        if s.name.endswith("_count") and s.labels["tenant"] == tenant_a.name
    }
    # One document: one observation in each step of the pipeline.
    assert {"parse", "embed", "classify", "fields", "index"} <= set(counts)
    assert set(counts.values()) == {1}
    # The database's figures come from the API, once for the installation.
    assert "triage_documents" not in families
    assert "triage_queue_depth" not in families


def test_no_worker_metrics_address_serves_nothing(services: Services) -> None:
    assert start_worker_metrics(services.settings, services) is None


def test_a_job_that_raises_counts_and_its_failure_is_the_workers(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    document_id = upload_one(client, tenant_a, "hund.txt", LETTER.encode())
    with services.session_factory() as session:
        document = session.get(Document, uuid.UUID(document_id))
        assert document is not None
        original = services.blob_store.path_for(
            tenant_id=document.tenant_id, sha256=document.sha256
        )
    assert original is not None
    original.unlink()  # the originals' volume lost the file: reading it raises
    services.settings.job_max_attempts = 1
    process_all(services)
    registry = services.worker_metrics.registry
    assert registry.get_sample_value("triage_job_errors_total", {"kind": "process"}) == 1
    failed = {"tenant": tenant_a.name, "stage": "worker"}
    assert registry.get_sample_value("triage_stage_errors_total", failed) == 1
    assert (
        registry.get_sample_value(
            "triage_documents_triaged_total", {"tenant": tenant_a.name, "outcome": "failed"}
        )
        == 1
    )
