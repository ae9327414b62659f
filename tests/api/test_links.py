"""Follow-ups and duplicates through the API: a letter quoting an earlier document's
reference number, or from the same sender about the same matter, is linked to it and goes
to its queue, first to the caseworker who has the matter; the same letter received twice
waits in review beside its original and is counted once.

Real worker, embedding model and database (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.helpers import claim, process_all, read_document, upload_one
from tests.conftest import TenantKeys
from tests.fixtures.documents import eml_with_attachments, pdf_with_text
from triage.db.models import Document
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.services import Services

WOHNGELD = (
    "Petra Klein\nGartenweg 7\n28195 Bremen\n\nAmt für Soziale Dienste – Wohngeldstelle\n\n"
    "Weiterbewilligungsantrag Wohngeld\nAktenzeichen: WG-2024-018734\n\n"
    "Sehr geehrte Damen und Herren,\n\nmein Wohngeld ist bis zum 31.03.2025 bewilligt. "
    "Hiermit beantrage ich die Weiterbewilligung ab dem 01.04.2025. Meine Miete und mein "
    "Einkommen sind unverändert.\n\nMit freundlichen Grüßen\nPetra Klein"
)
WOHNGELD_FOLLOW_UP = (
    "Petra Klein\nGartenweg 7\n28195 Bremen\n\nIhr Zeichen: WG-2024-018734\n\n"
    "Sehr geehrte Damen und Herren,\n\nanbei reiche ich die fehlenden Lohnabrechnungen "
    "für Januar bis März nach.\n\nMit freundlichen Grüßen\nPetra Klein"
)
NOISE = (
    "Gisela Braun\nTalstraße 22\n79102 Freiburg\n\nBeschwerde über nächtlichen Lärm\n\n"
    "Sehr geehrte Damen und Herren,\n\nseit mehreren Wochen wird in der Gaststätte gegenüber "
    "meiner Wohnung bis nach 2 Uhr nachts laute Musik gespielt. Ich bitte Sie, die "
    "Einhaltung der Sperrzeit zu kontrollieren.\n\nMit freundlichen Grüßen\nGisela Braun"
)
NOISE_AGAIN = (
    "Gisela Braun\nTalstraße 22\n79102 Freiburg\n\nErneute Beschwerde über Lärm\n\n"
    "Sehr geehrte Damen und Herren,\n\nvor drei Wochen hatte ich mich über die laute Musik "
    "in der Gaststätte gegenüber meiner Wohnung beschwert. Seitdem hat sich nichts "
    "geändert: Auch am Wochenende lief bis nach 2 Uhr nachts laute Musik. Bitte "
    "kontrollieren Sie die Sperrzeit.\n\nMit freundlichen Grüßen\nGisela Braun"
)
OTHER_WOHNGELD = [
    "Sehr geehrte Damen und Herren,\n\nhiermit beantrage ich Wohngeld für meine "
    "Mietwohnung. Die Unterlagen zu meinem Einkommen liegen bei.\n\n"
    "Mit freundlichen Grüßen\nAnna Roth",
    "Guten Tag,\n\nseit meiner Verrentung reicht mein Geld kaum für die Miete. Ich bitte "
    "um einen Zuschuss zu den Wohnkosten.\n\nViele Grüße\nBernd Vogel",
]
OTHER_MATTER = (
    "Gisela Braun\nTalstraße 22\n79102 Freiburg\n\nAnmeldung meines Hundes\n\n"
    "Sehr geehrte Damen und Herren,\n\nseit dem 01.05. halte ich einen Dackel. Ich melde "
    "ihn hiermit zur Hundesteuer an.\n\nMit freundlichen Grüßen\nGisela Braun"
)


def _upload(
    client: TestClient, keys: TenantKeys, name: str, data: bytes, *, days_ago: float
) -> str:
    received = (utcnow() - timedelta(days=days_ago)).isoformat()
    return upload_one(client, keys, name, data, received_at=received)


def _route_everything(services: Services) -> None:
    services.settings.review_threshold = 0.0


def _claimed_matter(client: TestClient, services: Services, keys: TenantKeys) -> tuple[str, str]:
    """A Wohngeld letter routed and claimed by the tenant's caseworker key: its matter."""
    _route_everything(services)
    earlier = _upload(client, keys, "antrag.txt", WOHNGELD.encode(), days_ago=30)
    process_all(services)
    queue: str = read_document(client, keys, earlier)["queue"]
    assert claim(client, keys, queue) == earlier
    return earlier, queue


def _complete(client: TestClient, keys: TenantKeys, document_id: str) -> None:
    done = client.post(
        f"/api/v1/documents/{document_id}/complete", headers=keys.headers("caseworker")
    )
    assert done.status_code == 200, done.text


def test_a_letter_quoting_a_reference_number_follows_its_document_to_its_queue(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    _route_everything(services)
    earlier = _upload(client, tenant_a, "antrag.pdf", pdf_with_text(WOHNGELD), days_ago=20)
    process_all(services)
    # A caseworker decided the matter belongs to the front office: follow-ups go there too,
    # which the classifier would never choose for a Wohngeld letter.
    moved = client.post(
        f"/api/v1/documents/{earlier}/move",
        json={"queue": "poststelle"},
        headers=tenant_a.headers("caseworker"),
    )
    assert moved.status_code == 200, moved.text

    later = _upload(client, tenant_a, "nachtrag.txt", WOHNGELD_FOLLOW_UP.encode(), days_ago=1)
    process_all(services)

    body = read_document(client, tenant_a, later)
    assert body["follow_up_of"] == earlier and body["duplicate_of"] is None
    assert body["queue"] == "poststelle"
    assert body["link_detail"]["own_route"]["queue"] not in ("poststelle", "review")
    [related] = body["related"]
    assert (related["id"], related["relation"]) == (earlier, "follow_up_of")
    assert "WG2024018734" in related["reason"]
    # The earlier document shows its follow-up too.
    [back] = read_document(client, tenant_a, earlier)["related"]
    assert (back["id"], back["relation"]) == (later, "follow_up")


def test_a_letter_of_the_same_sender_about_the_same_matter_is_a_follow_up(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    _route_everything(services)
    first = _upload(client, tenant_a, "laerm.txt", NOISE.encode(), days_ago=21)
    process_all(services)
    again = _upload(client, tenant_a, "laerm2.txt", NOISE_AGAIN.encode(), days_ago=1)
    other = _upload(client, tenant_a, "hund.txt", OTHER_MATTER.encode(), days_ago=1)
    process_all(services)

    body = read_document(client, tenant_a, again)
    assert body["follow_up_of"] == first
    assert body["link_detail"]["basis"] == "sender"
    assert "Gleicher Absender (gisela braun)" in body["related"][0]["reason"]
    # The same sender about another matter stays on its own.
    unrelated = read_document(client, tenant_a, other)
    assert unrelated["follow_up_of"] is None and unrelated["related"] == []


def test_a_follow_up_is_offered_first_to_the_caseworker_who_has_the_matter(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    earlier, queue = _claimed_matter(client, services, tenant_a)
    # Older letters in the same queue: without the link they would be claimed first.
    older = [
        _upload(client, tenant_a, f"wohngeld{i}.txt", text.encode(), days_ago=25 - i)
        for i, text in enumerate(OTHER_WOHNGELD)
    ]
    follow_up = _upload(client, tenant_a, "nachtrag.txt", WOHNGELD_FOLLOW_UP.encode(), days_ago=1)
    process_all(services)
    assert {read_document(client, tenant_a, d)["queue"] for d in older} == {queue}

    # Someone else in the queue gets the older letters, not the follow-up.
    assert claim(client, tenant_a, queue, role="admin") == older[0]
    assert claim(client, tenant_a, queue, role="admin") == older[1]
    assert claim(client, tenant_a, queue, role="admin") is None
    # The caseworker completes the matter and, next, gets its follow-up.
    _complete(client, tenant_a, earlier)
    assert claim(client, tenant_a, queue) == follow_up


def test_the_reservation_ends_when_the_hold_is_over(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    earlier, queue = _claimed_matter(client, services, tenant_a)
    _complete(client, tenant_a, earlier)
    follow_up = _upload(client, tenant_a, "nachtrag.txt", WOHNGELD_FOLLOW_UP.encode(), days_ago=1)
    process_all(services)
    assert read_document(client, tenant_a, follow_up)["follow_up_of"] == earlier
    assert claim(client, tenant_a, queue, role="admin") is None  # held for the caseworker

    services.settings.follow_up_hold_days = 0.5
    with transaction(services.session_factory) as session:
        document = session.get(Document, uuid.UUID(earlier))
        assert document is not None
        document.completed_at = utcnow() - timedelta(days=1)
    assert claim(client, tenant_a, queue, role="admin") == follow_up


def test_the_same_letter_by_post_and_by_e_mail_is_a_duplicate_counted_once(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    _route_everything(services)
    scan = _upload(client, tenant_a, "brief.pdf", pdf_with_text(WOHNGELD), days_ago=2)
    process_all(services)
    mail = _upload(
        client,
        tenant_a,
        "brief.eml",
        eml_with_attachments(
            subject="Weiterbewilligungsantrag Wohngeld",
            body_text=WOHNGELD,
            attachments=[],
            sender="Petra Klein <petra.klein@example.org>",
        ),
        days_ago=1,
    )
    process_all(services)

    body = read_document(client, tenant_a, mail)
    assert body["duplicate_of"] == scan
    assert (body["status"], body["queue"]) == ("needs_review", "review")
    assert body["review_reason"].startswith(f"duplicate of document {scan}")
    assert [r["relation"] for r in body["related"]] == ["duplicate_of"]
    original = read_document(client, tenant_a, scan)
    assert [(r["id"], r["relation"]) for r in original["related"]] == [(mail, "duplicate")]

    metrics = client.get("/metrics", headers=tenant_a.headers("admin")).text
    assert 'triage_documents{status="routed",tenant="stadt-a"} 1.0' in metrics
    assert 'triage_documents{status="needs_review",tenant="stadt-a"} 0.0' in metrics

    confirmed = client.post(
        f"/api/v1/documents/{mail}/duplicate",
        json={"is_duplicate": True},
        headers=tenant_a.headers("caseworker"),
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "done"
    assert confirmed.json()["events"][-1]["action"] == "duplicate_confirmed"


def test_a_reviewer_who_finds_no_duplicate_sends_the_letter_its_own_way(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    _route_everything(services)
    # Scan and e-mail arrive in one batch: the e-mail is compared with the scan before
    # either is in the vector index.
    scan = _upload(client, tenant_a, "brief.pdf", pdf_with_text(WOHNGELD), days_ago=2)
    mail = _upload(
        client,
        tenant_a,
        "brief.eml",
        eml_with_attachments(body_text=WOHNGELD, attachments=[]),
        days_ago=1,
    )
    process_all(services)
    flagged = read_document(client, tenant_a, mail)
    assert flagged["duplicate_of"] == scan
    own_queue = flagged["link_detail"]["own_route"]["queue"]

    rejected = client.post(
        f"/api/v1/documents/{mail}/duplicate",
        json={"is_duplicate": False},
        headers=tenant_a.headers("caseworker"),
    )
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert body["duplicate_of"] is None and body["related"] == []
    assert (body["status"], body["queue"]) == ("routed", own_queue)
    again = client.post(
        f"/api/v1/documents/{mail}/duplicate",
        json={"is_duplicate": True},
        headers=tenant_a.headers("caseworker"),
    )
    assert again.status_code == 409
