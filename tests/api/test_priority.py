"""Priority with reasons through the API: urgent letters are claimed first, the reasons are
shown, waiting time keeps counting, and a policy change re-scores the open documents.

Real worker, embedding model and database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import process_all, upload_one
from tests.conftest import TenantKeys
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.priority.policy import parse_policy
from triage.priority.service import recompute_priorities, store_tenant_policy
from triage.services import Services
from triage.tenants import require_tenant

ORDINARY = [
    "Sehr geehrte Damen und Herren,\n\nhiermit beantrage ich Wohngeld für meine Mietwohnung. "
    "Die Unterlagen zu meinem Einkommen liegen bei.\n\nMit freundlichen Grüßen\nAnna Roth",
    "Sehr geehrte Damen und Herren,\n\nich beantrage die Weiterbewilligung meines Wohngeldes. "
    "Meine Miete ist gleich geblieben.\n\nMit freundlichen Grüßen\nBernd Vogel",
]
URGENT = (
    "Sehr geehrte Damen und Herren,\n\nich beantrage dringend Wohngeld. Der Vermieter hat "
    "die Räumungsklage eingereicht und uns droht die Zwangsräumung. Bitte entscheiden Sie "
    "bis spätestens zum 15.12.2026 über meinen Antrag.\n\nMit freundlichen Grüßen\nCarla Ost"
)


def _document(client: TestClient, keys: TenantKeys, document_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/documents/{document_id}", headers=keys.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _upload_all(client: TestClient, services: Services, keys: TenantKeys) -> list[str]:
    services.settings.review_threshold = 0.0
    now = utcnow()
    ids = [
        upload_one(
            client,
            keys,
            f"wohngeld{i}.txt",
            text.encode(),
            received_at=(now - timedelta(days=10 - i)).isoformat(),
        )
        for i, text in enumerate(ORDINARY)
    ]
    ids.append(upload_one(client, keys, "eilig.txt", URGENT.encode(), received_at=now.isoformat()))
    process_all(services)
    return ids


def _claim_all(client: TestClient, keys: TenantKeys, queue: str) -> list[str]:
    claimed = []
    while True:
        response = client.post(f"/api/v1/queues/{queue}/claim", headers=keys.headers("caseworker"))
        if response.status_code != 200:
            assert response.status_code == 204, response.text
            return claimed
        claimed.append(response.json()["id"])


def test_the_urgent_letter_is_claimed_first_with_its_reasons(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    first, second, urgent = _upload_all(client, services, tenant_a)
    documents = [_document(client, tenant_a, d) for d in (first, second, urgent)]
    queue = documents[2]["queue"]
    assert {d["queue"] for d in documents} == {queue}, "all three are Wohngeld letters"

    reasons = {r["kind"]: r for r in documents[2]["priority_reasons"]}
    assert {"deadline", "hardship", "sla", "waiting"} <= set(reasons)
    assert reasons["deadline"]["reason"].startswith("Frist bis 15.12.2026")
    assert "Räumungsklage" in " ".join(r["reason"] for r in documents[2]["priority_reasons"])
    assert reasons["waiting"]["reason"] == "wartet seit heute"
    older = {r["kind"]: r for r in documents[0]["priority_reasons"]}
    assert set(older) == {"sla", "waiting"} and older["waiting"]["reason"] == "wartet seit 10 Tagen"
    for document in documents:
        total = sum(r["weight"] for r in document["priority_reasons"])
        assert abs(document["priority"] - total) < 0.05
    assert documents[2]["priority"] > documents[0]["priority"] > documents[1]["priority"]

    # Claiming follows the priority: the urgent letter first, then the longest waiting.
    assert _claim_all(client, tenant_a, queue) == [urgent, first, second]


def test_a_policy_change_rescores_the_open_documents(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    first, second, urgent = _upload_all(client, services, tenant_a)
    calm = parse_policy(
        {"weights": {"deadline": 0, "hardship": 0, "waiting_per_day": 5}}, source="test"
    )
    with transaction(services.session_factory) as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
        store_tenant_policy(session, tenant_id=tenant_id, policy=calm, source="test")
        count = recompute_priorities(session, tenant_id=tenant_id, policy=calm)
    assert count == 3

    body = _document(client, tenant_a, urgent)
    assert {r["kind"] for r in body["priority_reasons"]} == {"sla", "waiting"}
    waiting = next(r for r in body["priority_reasons"] if r["kind"] == "waiting")
    older = _document(client, tenant_a, first)
    older_waiting = next(r for r in older["priority_reasons"] if r["kind"] == "waiting")
    assert 49 < older_waiting["weight"] < 51 and waiting["weight"] < 1  # 5 points a day
    queue = body["queue"]
    assert _claim_all(client, tenant_a, queue) == [first, second, urgent]


def test_a_document_stopped_before_routing_waits_with_a_priority_too(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    broken = upload_one(client, tenant_a, "kaputt.pdf", b"%PDF-1.7\nkein echtes PDF")
    process_all(services)

    body = _document(client, tenant_a, broken)
    assert (body["status"], body["queue"]) == ("failed", "review")
    assert [r["kind"] for r in body["priority_reasons"]] == ["waiting"]
    assert body["priority"] is not None
    assert _claim_all(client, tenant_a, "review") == [broken]
