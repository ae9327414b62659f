"""The review list with one-click decisions, search and the team lead's page, in Chromium."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import process_all, read_document, upload_one
from tests.api.test_links import WOHNGELD as KLEIN_WOHNGELD
from tests.conftest import TenantKeys
from tests.fixtures.documents import eml_with_attachments, pdf_with_text
from tests.web.conftest import BrowserPage, add_person, sign_in
from tests.web.test_sign_in import WOHNGELD
from triage.db.models import Role
from triage.services import Services

OpenPage = Callable[[], BrowserPage]


def test_a_review_decision_takes_one_click(
    open_page: OpenPage,
    services: Services,
    tenant_a: TenantKeys,
    client: TestClient,
    request: pytest.FixtureRequest,
) -> None:
    services.settings.review_threshold = 1.0  # nothing is sure enough: all to review
    document_id = upload_one(client, tenant_a, "antrag.txt", WOHNGELD.encode())
    process_all(services)
    before = read_document(client, tenant_a, document_id)
    assert before["status"] == "needs_review"
    choice = before["alternatives"][0]["case_type"]
    add_person(services, tenant_a, "berger")
    page = open_page()
    sign_in(page, "berger")
    page.page.get_by_role("link", name="Prüfung", exact=True).click()
    page.screenshot(request, "pruefung")
    row = page.page.locator(f"[data-document='{document_id}']")
    row.get_by_role("button").nth(1).click()  # the first alternative to the best guess
    assert page.page.get_by_role("status").inner_text().startswith("Entschieden:")
    after = read_document(client, tenant_a, document_id)
    assert (after["status"], after["case_type"]) == ("routed", choice)
    assert page.page.get_by_text("Nichts zu prüfen.").is_visible()
    assert page.errors == []


def test_a_duplicate_is_decided_beside_its_original(
    open_page: OpenPage, services: Services, tenant_a: TenantKeys, client: TestClient
) -> None:
    services.settings.review_threshold = 0.0
    original = upload_one(client, tenant_a, "brief.pdf", pdf_with_text(KLEIN_WOHNGELD))
    copy = upload_one(
        client,
        tenant_a,
        "brief.eml",
        eml_with_attachments(body_text=KLEIN_WOHNGELD, attachments=[]),
    )
    process_all(services)
    add_person(services, tenant_a, "berger")
    page = open_page()
    sign_in(page, "berger")
    page.goto("/pruefung")
    row = page.page.locator(f"[data-document='{copy}']")
    assert row.get_by_role("link", name="dieses Dokument").get_attribute("href") == (
        f"/dokumente/{original}"
    )
    row.get_by_role("button", name="Dublette bestätigen").click()
    assert page.page.get_by_role("status").inner_text() == "Als Dublette erledigt."
    assert read_document(client, tenant_a, copy)["status"] == "done"


def test_search_finds_by_reference_number_sender_and_id(
    open_page: OpenPage,
    services: Services,
    tenant_a: TenantKeys,
    client: TestClient,
    request: pytest.FixtureRequest,
) -> None:
    services.settings.review_threshold = 0.0
    klein = upload_one(client, tenant_a, "klein.txt", KLEIN_WOHNGELD.encode())
    roth = upload_one(client, tenant_a, "roth.txt", WOHNGELD.encode())
    process_all(services)
    add_person(services, tenant_a, "berger")
    page = open_page()
    sign_in(page, "berger")
    for query, expected in (("WG 2024 018734", klein), ("Anna Roth", roth)):
        page.goto("/suche")
        page.page.get_by_label("Dokument-ID, Aktenzeichen, Absender oder Text").fill(query)
        page.page.keyboard.press("Enter")
        page.page.wait_for_url("**/suche?q=*")
        links = page.page.locator("[data-rows] .row-link")
        assert links.count() == 1
        assert links.first.get_attribute("href") == f"/dokumente/{expected}"
    # j moves to the first hit, Enter opens it: no mouse needed.
    page.page.keyboard.press("j")
    page.page.keyboard.press("Enter")
    page.page.wait_for_url(f"**/dokumente/{roth}")
    page.goto("/suche?q=Wohngeld")
    page.screenshot(request, "suche")
    page.goto(f"/suche?q={klein}")
    assert page.page.locator("[data-rows] .row-link").count() == 1


def test_the_team_page_is_for_team_leads(
    open_page: OpenPage,
    services: Services,
    tenant_a: TenantKeys,
    client: TestClient,
    request: pytest.FixtureRequest,
) -> None:
    services.settings.review_threshold = 0.0
    document_id = upload_one(client, tenant_a, "antrag.txt", WOHNGELD.encode())
    process_all(services)
    queue = read_document(client, tenant_a, document_id)["queue"]
    add_person(services, tenant_a, "chefin", role=Role.TEAMLEAD)
    add_person(services, tenant_a, "berger")
    lead, worker = open_page(), open_page()
    sign_in(lead, "chefin")
    lead.page.get_by_role("link", name="Team").click()
    row = lead.page.locator(f"tr[data-queue='{queue}'] td")
    assert row.nth(0).inner_text() == "1"  # open
    assert row.nth(3).inner_text() == "1"  # waiting under a day
    lead.screenshot(request, "team")
    sign_in(worker, "berger")
    assert worker.page.get_by_role("link", name="Team").count() == 0
    worker.expect_errors = True  # the refused page
    response = worker.page.goto(worker.base + "/team")
    assert response is not None and response.status == 403
