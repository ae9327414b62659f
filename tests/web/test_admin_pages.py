"""Die Verwaltung: users, API keys, case types and the record of admin changes, through
the pages as a signed-in admin would use them (the test client; one browser test)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import TenantKeys
from tests.web.conftest import PASSWORD, BrowserPage, WebClient, add_person, sign_in, web_client
from triage.actors import SYSTEM_ACTOR
from triage.administration.audit import admin_changes, record_admin_change
from triage.db.models import AdminEvent, Role, User
from triage.db.session import transaction
from triage.services import Services
from triage.taxonomy.store import has_own_taxonomy
from triage.tenants import require_tenant

OpenPage = Callable[[], BrowserPage]
NEW_PASSWORD = "Kastanienallee-77!"
PAGES = ["/verwaltung", "/verwaltung/benutzer", "/verwaltung/schluessel"]
PAGES += ["/verwaltung/fallarten", "/verwaltung/fallarten/wohngeld", "/verwaltung/protokoll"]


def _admin(client: TestClient, services: Services, keys: TenantKeys, name: str) -> WebClient:
    add_person(services, keys, name, role=Role.ADMIN, name=f"Admin {name.title()}")
    return web_client(client, name)


def _browser(client: TestClient) -> TestClient:
    """Another browser on the same app: cookies of its own."""
    return TestClient(client.app)


def _user_id(services: Services, username: str) -> uuid.UUID:
    with services.session_factory() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user.id


def _create(admin: WebClient, username: str, **fields: object) -> None:
    data = {"username": username, "display_name": f"Frau {username.title()}"}
    data |= {"role": "caseworker", "password": PASSWORD, **fields}  # type: ignore[dict-item]
    created = admin.post("/verwaltung/benutzer", data)
    assert created.status_code == 303, created.text
    assert "angelegt" in admin.get(created.headers["location"]).text


def _signs_in(client: TestClient, username: str, password: str) -> bool:
    form = client.get("/anmelden").text
    [token] = re.findall(r'name="csrf_token" value="([^"]+)"', form)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/anmelden", data=data, follow_redirects=False).status_code == 303


def _record(services: Services, keys: TenantKeys) -> list[AdminEvent]:
    with services.session_factory() as session:
        tenant = require_tenant(session, name=keys.name)
        return admin_changes(session, tenant_id=tenant.id)


def test_only_admins_reach_the_admin_pages(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    for path in PAGES:
        signed_out = client.get(path, follow_redirects=False)
        assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/anmelden")
    add_person(services, tenant_a, "teamleiter", role=Role.TEAMLEAD)
    add_person(services, tenant_a, "berger")
    lead = web_client(_browser(client), "teamleiter")
    for path in PAGES:
        refused = lead.get(path)
        assert refused.status_code == 403 and "Nur für die Verwaltung" in refused.text, path
    target = _user_id(services, "berger")
    for path in (
        "/verwaltung/benutzer",
        f"/verwaltung/benutzer/{target}/deaktivieren",
        f"/verwaltung/benutzer/{target}/passwort",
        "/verwaltung/schluessel",
        "/verwaltung/fallarten/wohngeld",
    ):
        assert lead.post(path, {"password": NEW_PASSWORD, "name": "x"}).status_code == 403, path
    admin = _admin(client, services, tenant_a, "verwalter")
    forged = admin.client.post(f"/verwaltung/benutzer/{target}/deaktivieren", data={})
    assert forged.status_code == 403
    assert _signs_in(_browser(client), "berger", PASSWORD)
    assert _record(services, tenant_a) == []
    for path in PAGES:
        assert admin.get(path).status_code == 200, path


def test_a_created_user_signs_in_and_a_disabled_one_is_out_at_once(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    admin = _admin(client, services, tenant_a, "verwalter")
    _create(admin, "Berger", role="relief", queues=["soziales", "verkehr"])
    listed = admin.get("/verwaltung/benutzer").text
    row = listed[listed.index('data-user="berger"') :].split("</tr>")[0]
    assert "Frau Berger" in row and "Soforthilfe" in row and "soziales, verkehr" in row
    assert "aktiv" in row

    berger = web_client(_browser(client), "berger")
    assert berger.get("/").status_code == 200
    user_id = _user_id(services, "berger")
    assert "letzte Anmeldung 0" not in admin.get(f"/verwaltung/benutzer/{user_id}").text

    disabled = admin.post(f"/verwaltung/benutzer/{user_id}/deaktivieren")
    assert "deaktiviert" in admin.get(disabled.headers["location"]).text
    ended = berger.get("/", follow_redirects=False)
    assert (ended.status_code, ended.headers["location"]) == (303, "/anmelden")
    assert not _signs_in(_browser(client), "berger", PASSWORD)

    admin.post(f"/verwaltung/benutzer/{user_id}/aktivieren")
    assert _signs_in(_browser(client), "berger", PASSWORD)

    log = admin.get("/verwaltung/protokoll").text
    for action in ("Benutzer angelegt", "Benutzer deaktiviert", "Benutzer aktiviert"):
        assert action in log
    assert log.count("<td>Admin Verwalter</td>") == 3 and "Rolle: Soforthilfe" in log
    assert [e.action for e in _record(services, tenant_a)] == [
        "user.enabled",
        "user.disabled",
        "user.created",
    ]


def test_a_password_reset_ends_the_sessions_and_only_the_new_password_works(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    admin = _admin(client, services, tenant_a, "verwalter")
    add_person(services, tenant_a, "berger")
    berger = web_client(_browser(client), "berger")
    user_id = _user_id(services, "berger")
    page = f"/verwaltung/benutzer/{user_id}"

    weak = admin.post(f"{page}/passwort", {"password": "kurz"})
    assert weak.status_code == 303
    assert "mindestens 12 Zeichen" in admin.get(weak.headers["location"]).text
    assert berger.get("/").status_code == 200  # nothing changed

    reset = admin.post(f"{page}/passwort", {"password": NEW_PASSWORD})
    assert "1 offene Sitzung(en) beendet" in admin.get(reset.headers["location"]).text
    assert berger.get("/", follow_redirects=False).status_code == 303
    assert not _signs_in(_browser(client), "berger", PASSWORD)
    assert _signs_in(_browser(client), "berger", NEW_PASSWORD)
    [event] = _record(services, tenant_a)
    assert (event.action, event.target, event.detail) == (
        "user.password_reset",
        "berger",
        {"sessions_ended": 1},
    )
    assert NEW_PASSWORD not in admin.get("/verwaltung/protokoll").text


def test_role_and_queue_changes_take_effect_on_the_next_request(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    admin = _admin(client, services, tenant_a, "verwalter")
    add_person(services, tenant_a, "berger", name="Frau Berger", queues=["soziales"])
    berger = web_client(_browser(client), "berger")
    assert berger.get("/team").status_code == 403
    assert re.findall(r'data-queue="([^"]+)"', berger.get("/").text) == ["soziales", "review"]

    user_id = _user_id(services, "berger")
    data = {"display_name": "Frau Berger", "role": "teamlead", "queues": ["steuern", "verkehr"]}
    saved = admin.post(f"/verwaltung/benutzer/{user_id}", data)
    assert "Gespeichert: Rolle, Warteschlangen." in admin.get(saved.headers["location"]).text
    assert berger.get("/team").status_code == 200
    assert re.findall(r'data-queue="([^"]+)"', berger.get("/").text) == [
        "steuern",
        "verkehr",
        "review",
    ]
    # No queue ticked: every queue.
    admin.post(f"/verwaltung/benutzer/{user_id}", {**data, "queues": []})
    assert "bauamt" in re.findall(r'data-queue="([^"]+)"', berger.get("/").text)
    unknown = admin.post(f"/verwaltung/benutzer/{user_id}", {**data, "queues": ["mond"]})
    assert "Unbekannte Warteschlange: mond" in admin.get(unknown.headers["location"]).text

    log = admin.get("/verwaltung/protokoll").text
    assert "Rolle: Sachbearbeitung → Teamleitung" in log
    assert "Warteschlangen: soziales → steuern, verkehr" in log
    assert "Warteschlangen: steuern, verkehr → alle" in log


def test_an_admin_cannot_lock_themselves_out(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    admin = _admin(client, services, tenant_a, "verwalter")
    me = f"/verwaltung/benutzer/{_user_id(services, 'verwalter')}"
    refused = admin.post(f"{me}/deaktivieren")
    assert "eigenes Konto nicht deaktivieren" in admin.get(refused.headers["location"]).text
    demoted = admin.post(me, {"display_name": "Admin Verwalter", "role": "caseworker"})
    assert "Rolle Verwaltung nicht selbst nehmen" in admin.get(demoted.headers["location"]).text
    assert admin.get("/verwaltung").status_code == 200
    assert _record(services, tenant_a) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "kurz"}, "mindestens 12 Zeichen"),
        ({"username": "x"}, "Ungültiger Benutzername"),
        ({"username": "verwalter"}, "schon vergeben"),
        ({"role": "intake"}, "angebotenen Rollen"),
    ],
)
def test_a_refused_new_user_keeps_the_form_with_the_reason(
    client: TestClient,
    services: Services,
    tenant_a: TenantKeys,
    fields: dict[str, str],
    message: str,
) -> None:
    admin = _admin(client, services, tenant_a, "verwalter")
    data = {"username": "berger", "display_name": "Frau Berger", "role": "teamlead"}
    page = admin.post("/verwaltung/benutzer", {**data, "password": PASSWORD, **fields})
    assert page.status_code == 200 and message in page.text
    assert 'value="Frau Berger"' in page.text
    chosen = fields.get("role", "teamlead")
    assert f'<option value="{chosen}" selected>' in page.text or chosen == "intake"
    assert [e.action for e in _record(services, tenant_a)] == []


def test_an_api_key_is_shown_once_works_and_stops_when_revoked(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    admin = _admin(client, services, tenant_a, "verwalter")
    created = admin.post("/verwaltung/schluessel", {"name": "Scanner Rathaus", "role": "intake"})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    [key] = re.findall(r'value="(ptk_[^"]+)"', created.text)
    listing = admin.get("/verwaltung/schluessel").text
    assert key not in listing and key[:12] in listing and "Scanner Rathaus" in listing

    bearer = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/case-types", headers=bearer).status_code == 200
    row = admin.get("/verwaltung/schluessel").text.split("Scanner Rathaus")[1].split("</tr>")[0]
    [last_used] = re.findall(r"<td>([^<]*)</td>\s*<td>nein</td>", row)
    assert re.match(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d", last_used)

    with services.session_factory() as session:
        created_detail = session.scalar(select(AdminEvent.detail))
    [key_row] = re.findall(r'data-key="([^"]+)">\s*<th scope="row">Scanner Rathaus', listing)
    revoked = admin.post(f"/verwaltung/schluessel/{key_row}/widerrufen")
    assert "widerrufen" in admin.get(revoked.headers["location"]).text
    assert client.get("/api/v1/case-types", headers=bearer).status_code == 401

    events = _record(services, tenant_a)
    assert [(e.action, e.target) for e in events] == [
        ("api_key.revoked", "Scanner Rathaus"),
        ("api_key.created", "Scanner Rathaus"),
    ]
    assert created_detail == {"role": "intake", "prefix": key[:12]}
    assert all(key not in str(e.detail) for e in events)
    assert key not in admin.get("/verwaltung/protokoll").text
    refused = admin.post("/verwaltung/schluessel", {"name": " ", "role": "intake"})
    assert refused.status_code == 200 and "wofür der Schlüssel ist" in refused.text


def test_a_case_type_edit_changes_the_deadline_and_a_bad_one_is_explained(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    admin = _admin(client, services, tenant_a, "verwalter")
    with services.session_factory() as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
    form = admin.get("/verwaltung/fallarten/wohngeld").text
    [fingerprint] = re.findall(r'name="fingerprint" value="([^"]+)"', form)
    wohngeld = services.classifiers.taxonomy_for(tenant_id).get("wohngeld")
    data = {
        "name": wohngeld.name,
        "description": wohngeld.description,
        "queue": "wohngeldstelle",
        "sla_days": "10",
        "examples": "\n".join([*wohngeld.examples, "Antrag auf Mietzuschuss für unsere Wohnung"]),
        "fingerprint": fingerprint,
    }

    bad = admin.post("/verwaltung/fallarten/wohngeld", {**data, "sla_days": "0", "name": "W"})
    assert bad.status_code == 200
    assert "Name: mindestens 2 Zeichen." in bad.text
    assert "Bearbeitungsfrist (Tage): eine ganze Zahl von 1 bis 365." in bad.text
    assert 'value="wohngeldstelle"' in bad.text and "Mietzuschuss" in bad.text
    bad_queue = admin.post("/verwaltung/fallarten/wohngeld", {**data, "queue": "Wohngeld Stelle"})
    assert "Warteschlange: nur Kleinbuchstaben" in bad_queue.text
    assert not has_own_taxonomy(services.session_factory(), tenant_id=tenant_id)

    saved = admin.post("/verwaltung/fallarten/wohngeld", data)
    assert "gespeichert" in admin.get(saved.headers["location"]).text
    changed = services.classifiers.taxonomy_for(tenant_id).get("wohngeld")
    assert (changed.sla_days, changed.queue, len(changed.examples)) == (10, "wohngeldstelle", 5)
    api = client.get("/api/v1/case-types", headers=tenant_a.headers("caseworker")).json()
    assert {c["key"]: c["sla_days"] for c in api["case_types"]}["wohngeld"] == 10
    listing = admin.get("/verwaltung/fallarten").text
    assert "eigene Fallarten" in listing and "wohngeldstelle" in listing

    stale = admin.post("/verwaltung/fallarten/wohngeld", {**data, "sla_days": "12"})
    assert "inzwischen geändert" in stale.text
    assert admin.get("/verwaltung/fallarten/unbekannt").status_code == 404
    log = admin.get("/verwaltung/protokoll").text
    assert "Fallart geändert" in log and "Frist (Tage): 30 → 10" in log
    assert "Beispiele: 1 hinzugefügt, 0 entfernt" in log and "Admin Verwalter" in log


def test_an_admin_of_another_tenant_sees_and_changes_nothing_of_this_one(
    client: TestClient, services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    admin_a = _admin(client, services, tenant_a, "verwalter-a")
    _create(admin_a, "berger")
    admin_a.post("/verwaltung/schluessel", {"name": "Scanner A", "role": "intake"})
    user_id = _user_id(services, "berger")
    [key_id] = re.findall(
        r'data-key="([^"]+)">\s*<th scope="row">Scanner A',
        admin_a.get("/verwaltung/schluessel").text,
    )

    admin_b = _admin(_browser(client), services, tenant_b, "verwalter-b")
    assert admin_b.get(f"/verwaltung/benutzer/{user_id}").status_code == 404
    for action in ("deaktivieren", "aktivieren"):
        assert admin_b.post(f"/verwaltung/benutzer/{user_id}/{action}").status_code == 404
    reset = admin_b.post(f"/verwaltung/benutzer/{user_id}/passwort", {"password": NEW_PASSWORD})
    assert reset.status_code == 404
    changed = admin_b.post(f"/verwaltung/benutzer/{user_id}", {"role": "admin"})
    assert changed.status_code == 404
    assert admin_b.post(f"/verwaltung/schluessel/{key_id}/widerrufen").status_code == 404
    assert "berger" not in admin_b.get("/verwaltung/benutzer").text
    assert "Scanner A" not in admin_b.get("/verwaltung/schluessel").text
    assert "Benutzer angelegt" not in admin_b.get("/verwaltung/protokoll").text
    assert _signs_in(_browser(client), "berger", PASSWORD)
    assert client.get("/api/v1/case-types", headers=tenant_a.headers()).status_code == 200
    assert _record(services, tenant_b) == []


def test_the_priority_policy_api_and_paging_show_in_the_record(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    headers = tenant_a.headers("admin")
    policy = client.get("/api/v1/admin/priority-policy", headers=headers).json()["policy"]
    calm = {**policy, "weights": {**policy["weights"], "hardship": 0}}
    assert client.put("/api/v1/admin/priority-policy", json=calm, headers=headers).is_success
    [event] = _record(services, tenant_a)
    assert (event.action, event.actor_kind) == ("priority_policy.changed", "api_key")
    assert event.detail == {"weights": {"before": policy["weights"], "after": calm["weights"]}}

    with transaction(services.session_factory) as session:
        tenant = require_tenant(session, name=tenant_a.name)
        for n in range(60):
            record_admin_change(
                session, tenant_id=tenant.id, actor=SYSTEM_ACTOR, action="test.step", target=f"t{n}"
            )
    admin = _admin(client, services, tenant_a, "verwalter")
    first = admin.get("/verwaltung/protokoll").text
    assert first.count('data-change="test.step"') == 50 and ">t59<" in first
    [older] = re.findall(r'href="/verwaltung/protokoll\?vor=(\d+)"', first)
    second = admin.get(f"/verwaltung/protokoll?vor={older}").text
    assert second.count('data-change="test.step"') == 10 and ">t0<" in second
    assert "Prioritätsregeln geändert" in second and "?vor=" not in second
    index = admin.get("/verwaltung").text
    assert index.count('data-change="test.step"') == 20 and 'href="/verwaltung/regeln"' in index


def test_an_admin_creates_a_user_in_the_browser_who_then_signs_in(
    open_page: OpenPage,
    services: Services,
    tenant_a: TenantKeys,
    request: pytest.FixtureRequest,
) -> None:
    add_person(services, tenant_a, "verwalter", role=Role.ADMIN, name="Admin Verwalter")
    page = open_page()
    sign_in(page, "verwalter")
    page.page.get_by_role("link", name="Verwaltung").click()
    page.screenshot(request, "verwaltung")
    page.page.get_by_role("link", name="Benutzer", exact=True).click()
    page.page.get_by_label("Benutzername").fill("berger")
    page.page.get_by_label("Anzeigename").fill("Frau Berger")
    page.page.get_by_label("Rolle").select_option("caseworker")
    page.page.get_by_label("soziales").check()
    page.page.get_by_label("Erstes Passwort").fill(PASSWORD)
    page.page.get_by_role("button", name="Benutzer anlegen").click()
    assert "Benutzer berger angelegt" in page.page.get_by_role("status").inner_text()
    page.screenshot(request, "verwaltung-benutzer")

    other = open_page()
    sign_in(other, "berger")
    assert other.page.locator("[data-queue]").evaluate_all("e => e.map(x => x.dataset.queue)") == [
        "soziales",
        "review",
    ]
    for path, name in (
        ("/verwaltung/schluessel", "verwaltung-schluessel"),
        ("/verwaltung/fallarten/wohngeld", "verwaltung-fallart"),
        ("/verwaltung/protokoll", "verwaltung-protokoll"),
    ):
        page.goto(path)
        unlabelled = page.page.locator("input:not([type=hidden]), select, textarea").evaluate_all(
            "els => els.filter(e => !(e.labels && e.labels.length)).map(e => e.name)"
        )
        assert unlabelled == [], f"{path}: unlabelled {unlabelled}"
        page.screenshot(request, name)
    assert "Frau Berger" in page.page.get_by_role("table").inner_text()
