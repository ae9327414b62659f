"""Working a queue in Chromium: claim, correct, complete, the next case offered; two
people never get the same document; another tenant's document stays closed; keyboard."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.api.helpers import process_all, read_document, upload_one
from tests.conftest import TenantKeys
from tests.web.conftest import BrowserPage, add_person, sign_in
from tests.web.test_sign_in import WOHNGELD
from triage.services import Services

OpenPage = Callable[[], BrowserPage]
DOGS = [
    "Sehr geehrte Damen und Herren,\n\nich melde meinen Hund Bello zur Hundesteuer an. "
    "Er lebt seit dem 1. Oktober bei uns.\n\nMit freundlichen Grüßen\nKarl Jung",
    "Guten Tag,\n\nunser Dackel ist verstorben. Bitte melden Sie ihn von der Hundesteuer "
    "ab.\n\nViele Grüße\nErika Sommer",
]


def _routed(
    client: TestClient, services: Services, keys: TenantKeys, texts: list[str]
) -> list[str]:
    services.settings.review_threshold = 0.0
    ids = [upload_one(client, keys, f"brief{i}.txt", t.encode()) for i, t in enumerate(texts)]
    process_all(services)
    return ids


def test_claim_correct_complete_and_the_history_shows_who(
    open_page: OpenPage,
    services: Services,
    tenant_a: TenantKeys,
    client: TestClient,
    request: pytest.FixtureRequest,
) -> None:
    [document_id] = _routed(client, services, tenant_a, [WOHNGELD])
    queue = read_document(client, tenant_a, document_id)["queue"]
    add_person(services, tenant_a, "berger", name="Frau Berger")
    page = open_page()
    sign_in(page, "berger")

    page.page.get_by_role("link", name=queue).click()
    page.screenshot(request, "warteschlange")
    page.page.get_by_role("button", name="Nächsten Fall übernehmen").click()
    assert page.page.url.endswith(f"/dokumente/{document_id}")
    assert page.page.locator("#lease").is_visible()  # the claim shows when it ends
    assert "keine Zusammenfassung" in page.page.content()
    assert page.page.get_by_role("heading", name="Ähnliche frühere Dokumente").is_visible()
    page.screenshot(request, "dokument")

    page.page.get_by_label("Fallart korrigieren").select_option("grundsicherung")
    page.page.get_by_role("button", name="Korrigieren").click()
    # Re-routed to the new case type's queue: the next case of the old one is offered.
    assert "Fallart korrigiert" in page.page.get_by_role("status").inner_text()
    body = read_document(client, tenant_a, document_id)
    assert body["case_type"] == "grundsicherung" and body["claimed_by"] is None

    page.goto(f"/warteschlangen/{body['queue']}")
    page.page.get_by_role("button", name="Nächsten Fall übernehmen").click()
    page.page.get_by_role("button", name="Bestätigen und erledigen").click()
    assert page.page.get_by_role("status").inner_text() == "Erledigt."
    page.screenshot(request, "naechster-fall")
    page.page.get_by_role("button", name="Nächsten Fall übernehmen").click()
    assert page.page.get_by_role("status").inner_text() == "Keine offenen Fälle."

    body = read_document(client, tenant_a, document_id)
    assert body["status"] == "done"
    history = [(e["actor_name"], e["action"]) for e in body["events"]]
    assert ("Frau Berger", "viewed") in history
    assert ("Frau Berger", "corrected") in history and ("Frau Berger", "completed") in history
    assert page.errors == []


def test_two_people_claiming_at_once_get_different_documents(
    open_page: OpenPage, services: Services, tenant_a: TenantKeys, client: TestClient
) -> None:
    ids = _routed(client, services, tenant_a, DOGS)
    queue = read_document(client, tenant_a, ids[0])["queue"]
    assert read_document(client, tenant_a, ids[1])["queue"] == queue
    add_person(services, tenant_a, "berger")
    add_person(services, tenant_a, "yilmaz")
    first, second = open_page(), open_page()
    for page, name in ((first, "berger"), (second, "yilmaz")):
        sign_in(page, name)
        page.goto(f"/warteschlangen/{queue}")
    # Both clicks are sent before either answer arrives.
    for page in (first, second):
        page.page.get_by_role("button", name="Nächsten Fall übernehmen").click(no_wait_after=True)
    for page in (first, second):
        page.page.wait_for_url("**/dokumente/*")
    got = {first.page.url.rsplit("/", 1)[1], second.page.url.rsplit("/", 1)[1]}
    assert got == set(ids)


def test_another_tenants_document_cannot_be_opened_by_url(
    open_page: OpenPage,
    services: Services,
    tenant_a: TenantKeys,
    tenant_b: TenantKeys,
    client: TestClient,
) -> None:
    [document_id] = _routed(client, services, tenant_a, [WOHNGELD])
    add_person(services, tenant_b, "nachbar")
    page = open_page()
    page.expect_errors = True  # the refused pages
    sign_in(page, "nachbar")
    for path in (f"/dokumente/{document_id}", f"/dokumente/{document_id}/original"):
        response = page.page.goto(page.base + path)
        assert response is not None and response.status == 404
    events = read_document(client, tenant_a, document_id)["events"]
    assert "viewed" not in [e["action"] for e in events]


def test_claim_and_complete_with_the_keyboard_only(
    open_page: OpenPage, services: Services, tenant_a: TenantKeys, client: TestClient
) -> None:
    [document_id] = _routed(client, services, tenant_a, [DOGS[0]])
    queue = read_document(client, tenant_a, document_id)["queue"]
    add_person(services, tenant_a, "berger")
    page = open_page()
    page.goto("/anmelden")
    keyboard = page.page.keyboard
    # The user name field takes the focus by itself (autofocus); typing before it has
    # would lose the first letters.
    expect(page.page.locator("#username")).to_be_focused()
    keyboard.type("berger")
    keyboard.press("Tab")
    keyboard.type("Lindenblüte-2026!")
    keyboard.press("Enter")
    page.page.wait_for_url(page.base + "/")
    # From the overview: Tab to the queue's link, Enter; Tab to the claim button, Enter.
    _tab_to(page, queue)
    keyboard.press("Enter")
    page.page.wait_for_url(f"**/warteschlangen/{queue}")
    _tab_to(page, "Nächsten Fall übernehmen")
    keyboard.press("Enter")
    page.page.wait_for_url(f"**/dokumente/{document_id}")
    keyboard.press("e")
    page.page.wait_for_url(f"**/warteschlangen/{queue}*")
    assert read_document(client, tenant_a, document_id)["status"] == "done"
    keyboard.press("n")  # the next case: none left
    page.page.wait_for_url("**hinweis=Keine*")


def _tab_to(page: BrowserPage, text: str, *, most: int = 40) -> None:
    """Presses Tab until the focused element is the one with this text (never the mouse)."""
    for _ in range(most):
        page.page.keyboard.press("Tab")
        focused = page.page.evaluate("document.activeElement.textContent.trim()")
        if focused == text:
            return
    raise AssertionError(f"{text!r} cannot be reached with the Tab key")


def test_the_open_document_page_renews_the_claim(
    open_page: OpenPage, services: Services, tenant_a: TenantKeys, client: TestClient
) -> None:
    [document_id] = _routed(client, services, tenant_a, [DOGS[0]])
    queue = read_document(client, tenant_a, document_id)["queue"]
    add_person(services, tenant_a, "berger")
    page = open_page()
    sign_in(page, "berger")
    page.goto(f"/warteschlangen/{queue}")
    page.page.get_by_role("button", name="Nächsten Fall übernehmen").click()
    before = read_document(client, tenant_a, document_id)["lease_expires_at"]
    # What the page's script sends every half lease, with the page's own CSRF token.
    answer = page.page.evaluate(
        """async () => {
            const renew = document.getElementById("renew");
            const body = new URLSearchParams({ csrf_token: renew.dataset.csrf });
            const response = await fetch(renew.dataset.url, { method: "POST", body });
            return [response.status, await response.text()];
        }"""
    )
    assert answer[0] == 200
    after = read_document(client, tenant_a, document_id)["lease_expires_at"]
    assert after > before
