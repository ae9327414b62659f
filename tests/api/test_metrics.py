"""Prometheus /metrics: database figures per tenant and the embedded worker's stage timings."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pydantic import ValidationError

from tests.api.helpers import process_all, upload_one
from tests.conftest import TenantKeys
from tests.fixtures.documents import GERMAN_LETTER, truncated_pdf
from triage.app import create_app
from triage.assist.store import DbMeter
from triage.config import Settings, host_port
from triage.llm.metering import CallUsage
from triage.services import Services
from triage.tenants import get_tenant

DOG_LETTERS = [
    "Sehr geehrte Damen und Herren, ich melde meinen Hund Bello zur Hundesteuer an.",
    "Hiermit melde ich unseren Labrador zur Hundesteuer an. Er lebt seit Mai bei uns.",
]


def _samples(text: str) -> list[Sample]:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def _value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and labels.items() <= s.labels.items()]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def _scrape(client: TestClient, keys: TenantKeys) -> list[Sample]:
    response = client.get("/metrics", headers=keys.headers("admin"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


@pytest.fixture
def triaged(
    client: TestClient, services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    """Tenant A: two dog-tax letters routed to the tax queue, a corrupt PDF failed in
    parsing, one letter not yet processed, and LLM calls; tenant B: one routed letter."""
    services.settings.review_threshold = 0.0
    for i, text in enumerate(DOG_LETTERS):
        upload_one(
            client, tenant_a, f"hund{i}.txt", text.encode(), received_at="2026-11-02T09:00:00Z"
        )
    upload_one(client, tenant_a, "kaputt.pdf", truncated_pdf(GERMAN_LETTER))
    upload_one(client, tenant_b, "hund.txt", DOG_LETTERS[0].encode())
    process_all(services)
    upload_one(client, tenant_a, "neu.txt", b"Bitte senden Sie mir den Bescheid.")
    with services.session_factory() as session:
        tenant = get_tenant(session, name=tenant_a.name)
        assert tenant is not None
    meter = DbMeter(services.session_factory)  # the meter keys usage by the tenant's id
    meter.record(tenant=str(tenant.id), usage=CallUsage("summary", 300, 40, 2.5))
    meter.record(tenant=str(tenant.id), usage=CallUsage("summary", 200, 0, 60.0, failed=True))


def test_metrics_need_an_admin_key(client: TestClient, tenant_a: TenantKeys) -> None:
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nonsense"})
    assert wrong.status_code == 401
    for role in ("intake", "caseworker"):
        assert client.get("/metrics", headers=tenant_a.headers(role)).status_code == 403
    assert client.get("/metrics", headers=tenant_a.headers("admin")).status_code == 200


@pytest.mark.usefixtures("triaged")
def test_database_figures_of_the_tenant(client: TestClient, tenant_a: TenantKeys) -> None:
    samples = _scrape(client, tenant_a)
    a = {"tenant": tenant_a.name}
    assert _value(samples, "triage_documents", **a, status="routed") == 2
    assert _value(samples, "triage_documents", **a, status="failed") == 1
    assert _value(samples, "triage_documents", **a, status="received") == 1
    assert _value(samples, "triage_documents", **a, status="done") == 0

    assert _value(samples, "triage_queue_depth", **a, queue="steuern") == 2
    assert _value(samples, "triage_queue_depth", **a, queue="review") == 1  # the failed PDF
    assert _value(samples, "triage_queue_depth", **a, queue="soziales") == 0
    assert _value(samples, "triage_queue_in_progress", **a, queue="steuern") == 0
    # Received on 2 November: more than a day ago; an empty queue has age 0.
    assert _value(samples, "triage_queue_oldest_age_seconds", **a, queue="steuern") > 86_400
    assert _value(samples, "triage_queue_oldest_age_seconds", **a, queue="soziales") == 0

    buckets = [
        s
        for s in samples
        if s.name == "triage_classification_confidence_bucket"
        and s.labels == {**a, "le": s.labels["le"]}
    ]
    counts = [s.value for s in buckets]
    assert counts == sorted(counts)  # cumulative
    assert buckets[-1].labels["le"] == "+Inf" and counts[-1] == 2
    assert 0 < _value(samples, "triage_classification_confidence_gsum", **a) <= 2

    assert _value(samples, "triage_llm_calls_total", **a, task="summary") == 2
    assert _value(samples, "triage_llm_failed_calls_total", **a, task="summary") == 1
    assert _value(samples, "triage_llm_tokens_total", **a, task="summary", kind="prompt") == 500
    assert _value(samples, "triage_llm_seconds_total", **a, task="summary") == 62.5


@pytest.mark.usefixtures("triaged")
def test_worker_figures_per_stage(client: TestClient, tenant_a: TenantKeys) -> None:
    samples = _scrape(client, tenant_a)
    a = {"tenant": tenant_a.name}
    # Every upload is parsed; the corrupt PDF stops there, the letters go on.
    assert _value(samples, "triage_stage_duration_seconds_count", **a, stage="parse") == 3
    for stage in ("embed", "classify", "fields", "index"):
        assert _value(samples, "triage_stage_duration_seconds_count", **a, stage=stage) == 2
        assert _value(samples, "triage_stage_duration_seconds_sum", **a, stage=stage) > 0
    assert _value(samples, "triage_stage_errors_total", **a, stage="parse") == 1
    assert _value(samples, "triage_documents_triaged_total", **a, outcome="routed") == 2
    assert _value(samples, "triage_documents_triaged_total", **a, outcome="failed") == 1


@pytest.mark.usefixtures("triaged")
def test_an_admin_sees_only_the_own_tenant(
    client: TestClient, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    for keys, routed in ((tenant_a, 2), (tenant_b, 1)):
        samples = _scrape(client, keys)
        assert {s.labels.get("tenant") for s in samples} == {keys.name}
        assert _value(samples, "triage_documents", tenant=keys.name, status="routed") == routed
    b = _scrape(client, tenant_b)
    assert not [s for s in b if s.name.startswith("triage_llm_")]  # B made no LLM calls
    assert not [s for s in b if s.name == "triage_stage_errors_total"]


@pytest.fixture
def separate_client(services: Services) -> Iterator[TestClient]:
    settings = services.settings.model_copy(update={"metrics_bind": "127.0.0.1:0"})
    with TestClient(create_app(settings, services=services)) as test_client:
        yield test_client


@pytest.mark.usefixtures("triaged")
def test_a_separate_address_serves_every_tenant_without_a_key(
    separate_client: TestClient, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    assert separate_client.get("/metrics", headers=tenant_a.headers("admin")).status_code == 404
    url = separate_client.app.state.metrics_server.url  # type: ignore[attr-defined]
    response = httpx.get(url)
    assert response.status_code == 200
    samples = _samples(response.text)
    for keys, routed in ((tenant_a, 2), (tenant_b, 1)):
        assert _value(samples, "triage_documents", tenant=keys.name, status="routed") == routed
        parse = _value(
            samples, "triage_stage_duration_seconds_count", tenant=keys.name, stage="parse"
        )
        assert parse >= 1
    assert _value(samples, "triage_queue_depth", tenant=tenant_b.name, queue="steuern") == 1


def test_metrics_can_be_turned_off(services: Services, tenant_a: TenantKeys) -> None:
    settings = services.settings.model_copy(update={"metrics_enabled": False})
    with TestClient(create_app(settings, services=services)) as client:
        assert client.get("/metrics", headers=tenant_a.headers("admin")).status_code == 404
        assert client.app.state.metrics_server is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("bind", ["9464", "localhost", ":9464", "127.0.0.1:99999", "host:port"])
def test_a_metrics_address_needs_host_and_port(bind: str) -> None:
    with pytest.raises(ValidationError, match="host:port"):
        Settings(metrics_bind=bind, _env_file=None)  # type: ignore[call-arg]


def test_metrics_addresses_are_read_as_host_and_port() -> None:
    assert host_port("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert host_port("[::1]:9465") == ("::1", 9465)
