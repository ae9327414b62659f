"""Reading documents back: detail with events, original, text, list filters, reprocess."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers import process_all, upload, upload_one
from tests.conftest import TenantKeys
from tests.fixtures.documents import GERMAN_LETTER, pdf_with_text, truncated_pdf
from triage.services import Services


def test_detail_shows_status_text_facts_and_history_in_berlin_time(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    data = pdf_with_text(GERMAN_LETTER)
    document_id = upload_one(
        client, tenant_a, "brief.pdf", data, received_at="2026-07-01T10:00:00Z"
    )
    before = client.get(f"/api/v1/documents/{document_id}", headers=tenant_a.headers()).json()
    assert before["status"] == "received"
    assert before["text_chars"] is None
    # Summer time in Berlin: UTC+2.
    assert before["received_at"] == "2026-07-01T12:00:00+02:00"
    assert [e["action"] for e in before["events"]] == ["received"]
    assert before["events"][0]["actor_kind"] == "api_key"

    process_all(services)
    after = client.get(f"/api/v1/documents/{document_id}", headers=tenant_a.headers()).json()
    # A clear Wohngeld application is classified and routed to its queue.
    assert after["status"] == "routed", after
    assert after["case_type"] == "wohngeld"
    assert after["queue"] == "soziales"
    assert 0.5 <= after["confidence"] <= 1
    assert len(after["alternatives"]) == 3
    assert after["alternatives"][0]["confidence"] <= after["confidence"]
    assert after["due_at"] is not None
    assert after["language"] == "de"
    assert after["text_chars"] > 100
    assert after["parser"] == "pdf"
    actions = [e["action"] for e in after["events"]]
    assert actions[0] == "received"
    assert "processing" in actions
    assert actions[-1] == "routed"
    assert {e["actor_kind"] for e in after["events"][1:]} == {"system"}
    assert {e["actor_name"] for e in after["events"][1:]} == {"worker"}

    text = client.get(f"/api/v1/documents/{document_id}/text", headers=tenant_a.headers())
    assert text.status_code == 200
    assert "Wohngeld" in text.text or "Straße" in text.text
    assert len(text.text) == after["text_chars"]
    original = client.get(f"/api/v1/documents/{document_id}/original", headers=tenant_a.headers())
    assert original.content == data
    assert original.headers["content-type"] == "application/pdf"


def test_text_before_parsing_is_a_clear_409(client: TestClient, tenant_a: TenantKeys) -> None:
    document_id = upload_one(client, tenant_a, "a.txt", b"Noch nicht verarbeitet")
    response = client.get(f"/api/v1/documents/{document_id}/text", headers=tenant_a.headers())
    assert response.status_code == 409
    assert "received" in response.json()["detail"]


def test_list_filters_by_status_ref_and_received_range_with_paging(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    ids = [
        upload_one(
            client,
            tenant_a,
            f"brief{i}.txt",
            f"Brief Nummer {i}: Bitte um Rückruf.".encode(),
            external_ref=f"REF-{i % 2}",
            received_at=f"2026-05-0{i + 1}T09:00:00+02:00",
        )
        for i in range(5)
    ]
    bad = upload(client, tenant_a, [("kaputt.pdf", truncated_pdf("Abgeschnitten"))])
    bad_id = bad.json()["documents"][0]["id"]
    process_all(services)

    def listing(**params: str | int) -> dict[str, object]:
        response = client.get("/api/v1/documents", headers=tenant_a.headers(), params=params)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    def item_ids(page: dict[str, object]) -> list[str]:
        items = page["items"]
        assert isinstance(items, list)
        return [item["id"] for item in items]

    failed = listing(status="failed")
    assert item_ids(failed) == [bad_id]
    triaged = listing(status="routed")["total"], listing(status="needs_review")["total"]
    assert sum(triaged) == 5
    assert set(item_ids(listing(external_ref="REF-1"))) == {ids[1], ids[3]}
    ranged = listing(received_from="2026-05-02T00:00:00+02:00", received_to="2026-05-04")
    assert set(item_ids(ranged)) == {ids[1], ids[2]}
    first = listing(limit=2, offset=0)
    second = listing(limit=2, offset=2)
    assert first["total"] == 6
    assert len(item_ids(first)) == 2
    assert not set(item_ids(first)) & set(item_ids(second))
    response = client.get(
        "/api/v1/documents", headers=tenant_a.headers(), params={"status": "nonsense"}
    )
    assert response.status_code == 422


def test_reprocess_runs_a_document_again_and_records_the_admin(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    document_id = upload_one(client, tenant_a, "a.txt", b"Anmeldung eines Hundes")
    process_all(services)
    response = client.post(
        f"/api/v1/documents/{document_id}/reprocess", headers=tenant_a.headers("admin")
    )
    assert response.status_code == 200
    assert response.json()["status"] == "received"
    assert process_all(services) == 1
    detail = client.get(f"/api/v1/documents/{document_id}", headers=tenant_a.headers()).json()
    actions = [e["action"] for e in detail["events"]]
    assert detail["status"] in ("routed", "needs_review")
    assert actions.count(detail["status"]) == 2
    reprocess_event = next(e for e in detail["events"] if e["action"] == "reprocess")
    assert reprocess_event["actor_kind"] == "api_key"
