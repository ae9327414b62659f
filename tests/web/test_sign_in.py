"""Signing in and out of the caseworker pages, and the overview, in Chromium."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import process_all, upload_one
from tests.conftest import TenantKeys
from tests.web.conftest import PASSWORD, BrowserPage, add_person, sign_in
from triage.services import Services

OpenPage = Callable[[], BrowserPage]
WOHNGELD = (
    "Sehr geehrte Damen und Herren,\n\nhiermit beantrage ich Wohngeld für meine Mietwohnung. "
    "Die Unterlagen zu meinem Einkommen liegen bei.\n\nMit freundlichen Grüßen\nAnna Roth"
)


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_overview(
    open_page: OpenPage,
    services: Services,
    tenant_a: TenantKeys,
    client: TestClient,
    request: pytest.FixtureRequest,
) -> None:
    services.settings.review_threshold = 0.0
    upload_one(client, tenant_a, "antrag.txt", WOHNGELD.encode())
    process_all(services)
    add_person(services, tenant_a, "berger", name="Frau Berger")
    page = open_page()

    sign_in(page, "berger", "ganz-falsches-passwort")
    assert page.page.get_by_role("alert").inner_text() == "Benutzername oder Passwort ist falsch."
    assert page.page.url.endswith("/anmelden")
    page.screenshot(request, "anmelden-fehler")

    sign_in(page, "berger")
    assert page.page.get_by_role("heading", name="Übersicht").is_visible()
    assert page.page.get_by_text("Frau Berger").is_visible()
    rows = page.page.locator("table.queues tbody tr")
    open_counts = {
        rows.nth(i).get_attribute("data-queue"): rows.nth(i).locator("td").first.inner_text()
        for i in range(rows.count())
    }
    assert sum(int(v) for v in open_counts.values()) == 1
    page.screenshot(request, "uebersicht")
    cookie = next(c for c in page.page.context.cookies() if c["name"] == "triage_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    page.page.get_by_role("button", name="Abmelden").click()
    assert page.page.get_by_role("heading", name="Anmelden").is_visible()
    page.goto("/")  # the session is over on the server, not just in the browser
    assert page.page.url.endswith("/anmelden")
    assert page.errors == []


def test_repeated_failures_lock_the_account(
    open_page: OpenPage, services: Services, tenant_a: TenantKeys
) -> None:
    services.settings.login_max_failures = 2
    add_person(services, tenant_a, "berger")
    page = open_page()
    for _ in range(2):
        sign_in(page, "berger", "ganz-falsches-passwort")
    sign_in(page, "berger", PASSWORD)
    assert "Das Konto ist bis" in page.page.get_by_role("alert").inner_text()
    assert page.page.url.endswith("/anmelden")


def test_forms_without_the_csrf_token_are_refused(
    open_page: OpenPage, services: Services, tenant_a: TenantKeys
) -> None:
    add_person(services, tenant_a, "berger")
    page = open_page()
    sign_in(page, "berger")
    # The session cookie alone (as a forged cross-site form would send it) is not enough.
    forged = page.page.request.post(page.base + "/abmelden", form={"csrf_token": "geraten"})
    assert forged.status == 403
    page.goto("/")
    assert page.page.get_by_role("heading", name="Übersicht").is_visible()
    no_token = page.page.request.post(
        page.base + "/anmelden", form={"username": "berger", "password": PASSWORD}
    )
    assert "abgelaufen" in no_token.text() and "Übersicht" not in no_token.text()


def test_a_caseworker_limited_to_queues_sees_only_those(
    open_page: OpenPage, services: Services, tenant_a: TenantKeys
) -> None:
    add_person(services, tenant_a, "berger", queues=["soziales", "steuern"])
    page = open_page()
    sign_in(page, "berger")
    shown = page.page.locator("table.queues tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.queue)"
    )
    assert sorted(shown) == ["soziales", "steuern"]
    assert page.page.locator("[data-queue=review]").is_visible()
