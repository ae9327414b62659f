"""Priority with reasons through the API: urgent letters are claimed first, the reasons are
shown, waiting time keeps counting, and a policy change re-scores the open documents.

Real worker, embedding model and database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.helpers import claim_all, process_all, read_document, upload_one
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


def test_the_urgent_letter_is_claimed_first_with_its_reasons(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    first, second, urgent = _upload_all(client, services, tenant_a)
    documents = [read_document(client, tenant_a, d) for d in (first, second, urgent)]
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
    assert claim_all(client, tenant_a, queue) == [urgent, first, second]


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

    body = read_document(client, tenant_a, urgent)
    assert {r["kind"] for r in body["priority_reasons"]} == {"sla", "waiting"}
    waiting = next(r for r in body["priority_reasons"] if r["kind"] == "waiting")
    older = read_document(client, tenant_a, first)
    older_waiting = next(r for r in older["priority_reasons"] if r["kind"] == "waiting")
    assert 49 < older_waiting["weight"] < 51 and waiting["weight"] < 1  # 5 points a day
    queue = body["queue"]
    assert claim_all(client, tenant_a, queue) == [first, second, urgent]


def test_a_document_stopped_before_routing_waits_with_a_priority_too(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    broken = upload_one(client, tenant_a, "kaputt.pdf", b"%PDF-1.7\nkein echtes PDF")
    process_all(services)

    body = read_document(client, tenant_a, broken)
    assert (body["status"], body["queue"]) == ("failed", "review")
    assert [r["kind"] for r in body["priority_reasons"]] == ["waiting"]
    assert body["priority"] is not None
    assert claim_all(client, tenant_a, "review") == [broken]


def test_periods_end_on_a_working_day_of_the_tenants_land(
    client: TestClient, services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    # Two weeks from Monday 18.10.2027 end on 01.11.2027, All Saints' Day: a holiday in
    # Bavaria (the default policy's Land), a working day in Berlin.
    with transaction(services.session_factory) as session:
        berlin = parse_policy({"land": "BE"}, source="test")
        tenant_id = require_tenant(session, name=tenant_b.name).id
        store_tenant_policy(session, tenant_id=tenant_id, policy=berlin, source="test")
    letter = (
        "Sehr geehrte Damen und Herren,\n\nbitte teilen Sie mir innerhalb von zwei Wochen "
        "mit, ob mein Antrag vollständig ist.\n\nMit freundlichen Grüßen\nIda Kern"
    ).encode()
    received = "2027-10-18T10:00:00+02:00"
    in_bavaria = upload_one(client, tenant_a, "frist.txt", letter, received_at=received)
    in_berlin = upload_one(client, tenant_b, "frist.txt", letter, received_at=received)
    process_all(services)

    [bavarian] = read_document(client, tenant_a, in_bavaria)["fields"]["deadlines"]
    [berliner] = read_document(client, tenant_b, in_berlin)["fields"]["deadlines"]
    assert (bavarian["due"], berliner["due"]) == ("2027-11-02", "2027-11-01")


def test_an_admin_changes_the_policy_through_the_api_and_the_worker_rescores(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    *_, urgent = _upload_all(client, services, tenant_a)
    admin = tenant_a.headers("admin")
    current = client.get("/api/v1/admin/priority-policy", headers=admin).json()
    assert current["own"] is False and current["policy"]["weights"]["hardship"] == 50

    calm = {**current["policy"], "weights": {**current["policy"]["weights"], "hardship": 0}}
    stored = client.put("/api/v1/admin/priority-policy", json=calm, headers=admin)
    assert stored.status_code == 200, stored.text
    assert stored.json()["own"] is True and stored.json()["rescored_at"] is None
    assert "hardship" in {
        r["kind"] for r in read_document(client, tenant_a, urgent)["priority_reasons"]
    }

    services.new_worker().run_idle_tasks()  # the worker re-scores when it has nothing else
    assert client.get("/api/v1/admin/priority-policy", headers=admin).json()["rescored_at"]
    reasons = {r["kind"] for r in read_document(client, tenant_a, urgent)["priority_reasons"]}
    assert "hardship" not in reasons and "deadline" in reasons


def test_a_bad_policy_is_refused_with_the_reason(client: TestClient, tenant_a: TenantKeys) -> None:
    admin = tenant_a.headers("admin")
    policy = client.get("/api/v1/admin/priority-policy", headers=admin).json()["policy"]
    refused = client.put(
        "/api/v1/admin/priority-policy", json={**policy, "land": "XX"}, headers=admin
    )
    assert refused.status_code == 422 and "unknown Land" in refused.text
    caseworker = client.put(
        "/api/v1/admin/priority-policy", json=policy, headers=tenant_a.headers("caseworker")
    )
    assert caseworker.status_code == 403
    assert client.get("/api/v1/admin/priority-policy", headers=admin).json()["own"] is False
