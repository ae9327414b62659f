"""Case types, queues, claims with leases, and a caseworker's actions, through the API."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.helpers import process_all, upload_one
from tests.conftest import TenantKeys
from triage.db.models import LabelledExample
from triage.db.session import transaction
from triage.queues.service import claim_next
from triage.services import Services
from triage.taxonomy import load_default_taxonomy
from triage.tenants import authenticate_api_key

DOG_LETTERS = [
    "Sehr geehrte Damen und Herren, ich melde meinen Hund Bello zur Hundesteuer an.",
    "Hiermit melde ich unseren Labrador zur Hundesteuer an. Er lebt seit Mai bei uns.",
    "Unser Hund ist verstorben. Bitte melden Sie ihn von der Hundesteuer ab.",
]


@pytest.fixture
def routed(client: TestClient, services: Services, tenant_a: TenantKeys) -> list[str]:
    """Three dog-tax letters, triaged by the real model into the tax queue, oldest first."""
    services.settings.review_threshold = 0.0
    ids = [
        upload_one(
            client,
            tenant_a,
            f"hund{i}.txt",
            text.encode(),
            received_at=f"2026-11-0{i + 1}T09:00:00+01:00",
        )
        for i, text in enumerate(DOG_LETTERS)
    ]
    process_all(services)
    return ids


def _post(client: TestClient, keys: TenantKeys, path: str, **kwargs: object) -> object:
    return client.post(f"/api/v1{path}", headers=keys.headers("caseworker"), **kwargs)  # type: ignore[arg-type]


def test_case_types_of_the_default_taxonomy(client: TestClient, tenant_a: TenantKeys) -> None:
    response = client.get("/api/v1/case-types", headers=tenant_a.headers())
    assert response.status_code == 200
    body = response.json()
    keys = {c["key"] for c in body["case_types"]}
    assert len(keys) >= 15
    assert {"wohngeld", "hundesteuer", "widerspruch", "sonstiges"} <= keys
    dog = next(c for c in body["case_types"] if c["key"] == "hundesteuer")
    assert dog["queue"] == "steuern"
    assert dog["sla_days"] > 0
    assert dog["examples"]


def test_routed_documents_show_up_in_their_queue(
    client: TestClient, tenant_a: TenantKeys, routed: list[str]
) -> None:
    detail = client.get(f"/api/v1/documents/{routed[0]}", headers=tenant_a.headers()).json()
    assert detail["case_type"] == "hundesteuer"
    assert detail["queue"] == "steuern"
    assert detail["status"] == "routed"
    queues = client.get("/api/v1/queues", headers=tenant_a.headers("caseworker")).json()
    by_name = {q["name"]: q for q in queues}
    assert by_name["steuern"]["open"] == 3
    assert by_name["steuern"]["in_progress"] == 0
    assert by_name["steuern"]["oldest_received_at"] == "2026-11-01T09:00:00+01:00"
    # Received on 1 November with the dog tax's SLA of 21 days: all past due by now.
    assert (by_name["steuern"]["overdue"], by_name["steuern"]["due_soon"]) == (3, 0)
    assert by_name["review"]["open"] == 0
    assert by_name["soziales"]["open"] == 0


def test_claim_oldest_first_with_a_lease_then_empty(
    client: TestClient, tenant_a: TenantKeys, routed: list[str]
) -> None:
    claimed = []
    for _ in range(3):
        response = _post(client, tenant_a, "/queues/steuern/claim")
        assert response.status_code == 200  # type: ignore[attr-defined]
        claimed.append(response.json())  # type: ignore[attr-defined]
    assert [c["id"] for c in claimed] == routed
    assert all(c["claimed_by"] and c["lease_expires_at"] for c in claimed)
    empty = _post(client, tenant_a, "/queues/steuern/claim")
    assert empty.status_code == 204  # type: ignore[attr-defined]
    queues = client.get("/api/v1/queues", headers=tenant_a.headers("caseworker")).json()
    steuern = next(q for q in queues if q["name"] == "steuern")
    assert (steuern["open"], steuern["in_progress"]) == (0, 3)
    unknown = _post(client, tenant_a, "/queues/nirgendwo/claim")
    assert unknown.status_code == 404  # type: ignore[attr-defined]


def test_complete_release_renew_need_the_holder(
    client: TestClient, services: Services, tenant_a: TenantKeys, routed: list[str]
) -> None:
    first = _post(client, tenant_a, "/queues/steuern/claim").json()  # type: ignore[attr-defined]
    doc = first["id"]
    # The admin key is another actor: it does not hold the document.
    other = client.post(f"/api/v1/documents/{doc}/complete", headers=tenant_a.headers("admin"))
    assert other.status_code == 409
    renewed = _post(client, tenant_a, f"/documents/{doc}/renew").json()  # type: ignore[attr-defined]
    assert renewed["lease_expires_at"] >= first["lease_expires_at"]
    released = _post(client, tenant_a, f"/documents/{doc}/release").json()  # type: ignore[attr-defined]
    assert released["claimed_by"] is None
    assert _post(client, tenant_a, f"/documents/{doc}/complete").status_code == 409  # type: ignore[attr-defined]
    again = _post(client, tenant_a, "/queues/steuern/claim").json()  # type: ignore[attr-defined]
    assert again["id"] == doc
    done = _post(client, tenant_a, f"/documents/{doc}/complete").json()  # type: ignore[attr-defined]
    assert done["status"] == "done"
    assert done["completed_at"]
    actions = [e["action"] for e in done["events"]]
    assert actions[-5:] == ["claimed", "lease_renewed", "released", "claimed", "completed"]
    assert {e["actor_kind"] for e in done["events"][-5:]} == {"api_key"}
    with services.session_factory() as session:
        label = session.scalars(select(LabelledExample)).one()
    assert (label.case_type, label.source) == ("hundesteuer", "completed")


def test_an_expired_lease_returns_the_document_to_its_queue(
    client: TestClient, services: Services, tenant_a: TenantKeys, routed: list[str]
) -> None:
    services.settings.claim_lease_seconds = 1
    first = _post(client, tenant_a, "/queues/steuern/claim").json()  # type: ignore[attr-defined]
    time.sleep(1.2)
    queues = client.get("/api/v1/queues", headers=tenant_a.headers("caseworker")).json()
    steuern = next(q for q in queues if q["name"] == "steuern")
    assert (steuern["open"], steuern["in_progress"]) == (3, 0)
    # The admin (another actor) now gets the oldest document, the one whose lease ran out.
    taken = client.post("/api/v1/queues/steuern/claim", headers=tenant_a.headers("admin"))
    assert taken.json()["id"] == first["id"]
    late = _post(client, tenant_a, f"/documents/{first['id']}/complete")
    assert late.status_code == 409  # type: ignore[attr-defined]


def test_correct_reroutes_and_keeps_a_labelled_example(
    client: TestClient, services: Services, tenant_a: TenantKeys, routed: list[str]
) -> None:
    doc = _post(client, tenant_a, "/queues/steuern/claim").json()["id"]  # type: ignore[attr-defined]
    bad = _post(client, tenant_a, f"/documents/{doc}/correct", json={"case_type": "quatsch"})
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert "wohngeld" in bad.json()["detail"]  # type: ignore[attr-defined]
    fixed = _post(client, tenant_a, f"/documents/{doc}/correct", json={"case_type": "widerspruch"})
    body = fixed.json()  # type: ignore[attr-defined]
    assert (body["case_type"], body["queue"], body["status"]) == (
        "widerspruch",
        "rechtsstelle",
        "routed",
    )
    assert body["claimed_by"] is None
    # Priority and due date follow the new case type's SLA.
    widerspruch = load_default_taxonomy().get("widerspruch")
    sla = [r for r in body["priority_reasons"] if r["kind"] == "sla"]
    assert [r["reason"] for r in sla] == [
        f"Bearbeitungsziel der Fallart: {widerspruch.sla_days} Tage"
    ]
    total = sum(r["weight"] for r in body["priority_reasons"])
    assert body["priority"] == pytest.approx(total, abs=0.05)
    assert body["due_at"] == "2026-12-01T09:00:00+01:00"
    corrected = next(e for e in body["events"] if e["action"] == "corrected")
    assert corrected["detail"]["from"]["case_type"] == "hundesteuer"
    with services.session_factory() as session:
        label = session.scalars(select(LabelledExample)).one()
    assert (label.case_type, label.predicted_case_type, label.source) == (
        "widerspruch",
        "hundesteuer",
        "correction",
    )
    assert label.actor_kind == "api_key"


def test_move_to_another_queue(client: TestClient, tenant_a: TenantKeys, routed: list[str]) -> None:
    moved = _post(client, tenant_a, f"/documents/{routed[0]}/move", json={"queue": "review"})
    assert moved.json()["queue"] == "review"  # type: ignore[attr-defined]
    unknown = _post(client, tenant_a, f"/documents/{routed[0]}/move", json={"queue": "mond"})
    assert unknown.status_code == 422  # type: ignore[attr-defined]
    claimed = _post(client, tenant_a, "/queues/review/claim").json()  # type: ignore[attr-defined]
    assert claimed["id"] == routed[0]


def test_queue_actions_need_a_caseworker_and_stay_in_the_tenant(
    client: TestClient, tenant_a: TenantKeys, tenant_b: TenantKeys, routed: list[str]
) -> None:
    intake = client.post("/api/v1/queues/steuern/claim", headers=tenant_a.headers("intake"))
    assert intake.status_code == 403
    assert _post(client, tenant_b, "/queues/steuern/claim").status_code == 204  # type: ignore[attr-defined]
    b_queues = client.get("/api/v1/queues", headers=tenant_b.headers("caseworker")).json()
    assert all(q["open"] == 0 for q in b_queues)
    for action in ("complete", "release", "renew"):
        response = _post(client, tenant_b, f"/documents/{routed[0]}/{action}")
        assert response.status_code == 404  # type: ignore[attr-defined]
    for action, body in (("move", {"queue": "review"}), ("correct", {"case_type": "kita"})):
        response = _post(client, tenant_b, f"/documents/{routed[0]}/{action}", json=body)
        assert response.status_code == 404  # type: ignore[attr-defined]


def test_concurrent_claimers_never_get_the_same_document(
    services: Services, tenant_a: TenantKeys, routed: list[str], client: TestClient
) -> None:
    # Nine letters that differ in a number only: separate letters here, not duplicates.
    services.settings.duplicate_new_words = 0
    more = [
        upload_one(client, tenant_a, f"mehr{i}.txt", f"{DOG_LETTERS[0]} Nr. {i}".encode())
        for i in range(9)
    ]
    process_all(services)
    with services.session_factory() as session:
        actor = authenticate_api_key(session, plaintext=tenant_a.caseworker)
    assert actor is not None
    total = len(routed) + len(more)
    got: list[uuid.UUID] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def claimer(index: int) -> None:
        me = type(actor)(
            kind=actor.kind,
            id=f"caseworker-{index}",
            name=f"Sachbearbeitung {index}",
            tenant_id=actor.tenant_id,
            role=actor.role,
        )
        barrier.wait()
        while True:
            with transaction(services.session_factory) as session:
                document = claim_next(session, actor=me, queue="steuern", lease_seconds=60)
                if document is None:
                    return
                with lock:
                    got.append(document.id)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == total
    assert len(set(got)) == total
