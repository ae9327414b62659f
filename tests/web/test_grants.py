"""Inter-municipal help: an admin of tenant A grants a person of tenant B one of A's queues
for a time. Under the grant the person sees that queue only, every access is in the
document's history, and revocation or expiry ends it at the next request, in the test
client and in a real browser."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select, update

from tests.api.helpers import process_all, upload_one
from tests.conftest import TenantKeys
from tests.figures.history import History
from tests.web.conftest import BrowserPage, WebClient, add_person, sign_in, web_client
from tests.web.test_sign_in import WOHNGELD
from triage.db.models import AdminEvent, Document, DocumentEvent, QueueGrant, Role
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.services import Services
from triage.tenants import require_tenant
from triage.web.admin.grants import _local_input

OpenPage = Callable[[], BrowserPage]


def _letters(services: Services, client: TestClient, keys: TenantKeys) -> dict[str, uuid.UUID]:
    """A Wohngeld letter uploaded and triaged into soziales (with its original), and a
    letter already waiting in ordnung."""
    services.settings.review_threshold = 0.0
    wohngeld = upload_one(client, keys, "wohngeld.txt", WOHNGELD.encode())
    process_all(services)
    with transaction(services.session_factory) as session:
        history = History(session, require_tenant(session, name=keys.name).id)
        ordnung = history.letter(
            received=utcnow() - timedelta(hours=3), case_type="gewerbe", queue="ordnung"
        )
        return {"soziales": uuid.UUID(wohngeld), "ordnung": ordnung.id}


def _grant(admin: WebClient, username: str, *, hours: float = 24) -> str:
    now = utcnow()
    return admin.post(
        "/verwaltung/freigaben",
        {
            "username": username,
            "queue": "soziales",
            "starts_at": _local_input(now - timedelta(minutes=1)),
            "expires_at": _local_input(now + timedelta(hours=hours)),
        },
    ).headers["location"]


def _grant_id(services: Services) -> int:
    with services.session_factory() as session:
        return max(session.scalars(select(QueueGrant.id)))


def _events(services: Services, document_id: uuid.UUID) -> list[DocumentEvent]:
    with services.session_factory() as session:
        return list(
            session.scalars(
                select(DocumentEvent)
                .where(DocumentEvent.document_id == document_id)
                .order_by(DocumentEvent.id)
            )
        )


@pytest.fixture
def people(
    client: TestClient, services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> tuple[WebClient, WebClient]:
    add_person(services, tenant_a, "chefin-a", role=Role.ADMIN, name="Clara Chefin")
    add_person(services, tenant_b, "gast", name="Gerd Gast")
    return web_client(TestClient(client.app), "chefin-a"), web_client(
        TestClient(client.app), "gast"
    )


def test_under_a_grant_only_the_queue_is_visible_and_every_access_recorded(
    client: TestClient,
    services: Services,
    tenant_a: TenantKeys,
    people: tuple[WebClient, WebClient],
) -> None:
    letters = _letters(services, client, tenant_a)
    admin, guest = people
    assert "hinweis=Freigabe" in _grant(admin, "gast")
    grant_id = _grant_id(services)
    # Before switching, the guest is in their own tenant: A's letter is unknown.
    assert guest.get(f"/dokumente/{letters['soziales']}").status_code == 404
    assert f'data-grant="{grant_id}"' in guest.get("/").text
    switched = guest.post(f"/freigaben/{grant_id}/arbeiten")
    assert "Sie arbeiten jetzt für stadt-a" in unquote(switched.headers["location"])
    assert "Sie arbeiten für <strong>stadt-a</strong>" in guest.get("/").text

    claimed = guest.post("/warteschlangen/soziales/uebernehmen")
    assert claimed.headers["location"] == f"/dokumente/{letters['soziales']}"
    assert guest.get(f"/dokumente/{letters['soziales']}").status_code == 200
    assert guest.get(f"/dokumente/{letters['soziales']}/original").status_code == 200
    assert guest.get(f"/dokumente/{letters['ordnung']}").status_code == 404
    assert guest.post("/warteschlangen/ordnung/uebernehmen").status_code == 403
    for refused in ("/suche", "/pruefung", "/zweitpruefung", "/kennzahlen", "/verwaltung"):
        assert guest.get(refused).status_code == 403, refused

    events = [e for e in _events(services, letters["soziales"]) if e.actor_kind == "user"]
    assert [e.action for e in events] == ["claimed", "viewed", "original_viewed"]
    for event in events:
        assert event.actor_name == "Gerd Gast (gemeinde-b)"
        assert event.detail is not None
        assert (event.detail["grant"], event.detail["home_tenant"]) == (grant_id, "gemeinde-b")

    revoked = admin.post(f"/verwaltung/freigaben/{grant_id}/widerrufen")
    assert "widerrufen" in unquote(revoked.headers["location"])
    ended = guest.get(f"/dokumente/{letters['soziales']}", follow_redirects=False)
    assert ended.status_code == 303
    assert "Freigabe ist beendet" in unquote(ended.headers["location"])
    assert guest.get(f"/dokumente/{letters['soziales']}").status_code == 404
    with services.session_factory() as session:
        document = session.get(Document, letters["soziales"])
        assert document is not None and document.claimed_by_id is None  # back in the queue
        actions = list(
            session.scalars(select(AdminEvent.action).where(AdminEvent.action.like("grant.%")))
        )
    assert sorted(actions) == ["grant.created", "grant.revoked"]


def test_an_expired_grant_ends_at_the_next_request(
    client: TestClient,
    services: Services,
    tenant_a: TenantKeys,
    people: tuple[WebClient, WebClient],
) -> None:
    letters = _letters(services, client, tenant_a)
    admin, guest = people
    _grant(admin, "gast")
    grant_id = _grant_id(services)
    guest.post(f"/freigaben/{grant_id}/arbeiten")
    assert guest.get(f"/dokumente/{letters['soziales']}").status_code == 200
    with transaction(services.session_factory) as session:
        session.execute(
            update(QueueGrant)
            .where(QueueGrant.id == grant_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert guest.get("/", follow_redirects=False).status_code == 303
    assert "Sie arbeiten für" not in guest.get("/").text
    assert f'data-grant="{grant_id}"' not in guest.get("/").text
    refused = guest.post(f"/freigaben/{grant_id}/arbeiten")
    assert "gilt nicht" in unquote(refused.headers["location"])


def test_grants_are_refused_for_own_staff_unknown_names_and_bad_periods(
    services: Services, tenant_a: TenantKeys, people: tuple[WebClient, WebClient]
) -> None:
    admin, _ = people
    add_person(services, tenant_a, "kollegin")
    assert "fehler=" in _grant(admin, "kollegin")
    assert "fehler=" in _grant(admin, "niemand")
    assert "fehler=" in _grant(admin, "gast", hours=-2)
    assert "fehler=" in _grant(admin, "gast", hours=24 * 400)
    with services.session_factory() as session:
        assert session.scalars(select(QueueGrant)).all() == []


def test_revocation_and_expiry_in_a_real_browser(
    open_page: OpenPage,
    request: pytest.FixtureRequest,
    client: TestClient,
    services: Services,
    tenant_a: TenantKeys,
    tenant_b: TenantKeys,
) -> None:
    letters = _letters(services, client, tenant_a)
    add_person(services, tenant_a, "chefin-a", role=Role.ADMIN)
    add_person(services, tenant_b, "gast", name="Gerd Gast")
    admin, guest = open_page(), open_page()
    sign_in(admin, "chefin-a")
    admin.goto("/verwaltung/freigaben")
    admin.page.get_by_label("Benutzername der Person").fill("gast")
    admin.page.get_by_label("Warteschlange").select_option("soziales")
    admin.page.get_by_role("button", name="Freigabe erteilen").click()
    expect(admin.page.get_by_role("status")).to_contain_text("Freigabe für gast erteilt")
    admin.screenshot(request, "verwaltung-freigaben")

    sign_in(guest, "gast")
    guest.page.get_by_role("button", name="Für stadt-a arbeiten").click()
    expect(guest.page.locator(".grant-banner")).to_contain_text("Sie arbeiten für stadt-a")
    guest.goto("/warteschlangen/soziales")
    guest.page.get_by_role("button", name="Nächsten Fall übernehmen").click()
    guest.page.wait_for_url(f"**/dokumente/{letters['soziales']}")
    expect(guest.page.locator(".history")).to_contain_text("Freigabe")
    guest.screenshot(request, "dokument-unter-freigabe")

    admin.page.get_by_role("button", name="Widerrufen").click()
    expect(admin.page.get_by_role("status")).to_contain_text("widerrufen")
    guest.page.reload()
    expect(guest.page.get_by_role("status")).to_contain_text("Die Freigabe ist beendet")
    expect(guest.page.locator(".grant-banner")).to_have_count(0)

    # A second grant, then its period runs out while the guest works.
    admin.page.get_by_label("Benutzername der Person").fill("gast")
    admin.page.get_by_label("Warteschlange").select_option("soziales")
    admin.page.get_by_role("button", name="Freigabe erteilen").click()
    expect(admin.page.get_by_role("status")).to_contain_text("erteilt")
    guest.goto("/")
    guest.page.get_by_role("button", name="Für stadt-a arbeiten").click()
    guest.goto(f"/dokumente/{letters['soziales']}")
    expect(guest.page.locator("h1")).to_contain_text("wohngeld.txt")
    with transaction(services.session_factory) as session:
        session.execute(update(QueueGrant).values(expires_at=utcnow() - timedelta(seconds=1)))
    guest.page.reload()
    expect(guest.page.get_by_role("status")).to_contain_text("Die Freigabe ist beendet")
    guest.screenshot(request, "freigabe-abgelaufen")
