"""Die Kennzahlen-Seite: baseline vs. today with charts, the forecast with its assumptions
and the form to change them, maturity per case type, the CSV; team leads and admins only."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.conftest import TenantKeys
from tests.figures.test_analysis import TODAY, _case_types, _queues
from tests.web.conftest import add_person, web_client
from triage.db.models import Role
from triage.services import Services


def test_team_leads_see_baseline_today_forecast_and_maturity(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    _queues(services, tenant_a)
    _case_types(services, tenant_a)
    baseline = TODAY - timedelta(days=50)
    client.post(
        "/api/v1/admin/baseline",
        json={"day": baseline.isoformat(), "label": "Start Soforthilfe"},
        headers=tenant_a.headers("admin"),
    )
    add_person(services, tenant_a, "leitung", role=Role.TEAMLEAD)
    web = web_client(client, "leitung")
    page = web.get("/kennzahlen", params={"aushilfen": 2, "faelle": 14})
    assert page.status_code == 200
    html = page.text
    assert "Start Soforthilfe" in html and baseline.strftime("%d.%m.%Y") in html
    # Baseline 500 + 100 open, today 300 + 170: the tenant row says so, and better.
    assert re.search(r"Offen</th>\s*<td class=\"num\">600</td><td class=\"num\">470</td>", html)
    assert "−130 (besser)" in html
    # Five charts (queues as bars, four lines over time) and the forecast's.
    assert html.count("<svg") == 6
    assert "Prognose: offene Dokumente insgesamt" in html
    forecast_row = re.search(r'data-forecast="leistungen">(.*?)</tr>', html, re.S)
    assert forecast_row is not None
    assert "60 Tage" in forecast_row.group(1) and "12 Tage" in forecast_row.group(1)
    ordnung = re.search(r'data-forecast="ordnung">(.*?)</tr>', html, re.S)
    assert ordnung is not None and "nicht absehbar" in ordnung.group(1)
    assert "Jede Aushilfe erledigt 14 Fälle an 5 Arbeitstagen" in html
    gewerbe = re.search(r'data-case-type="gewerbe">(.*?)</tr>', html, re.S)
    assert gewerbe is not None and "Beschreibung und Beispiele schärfen" in gewerbe.group(1)

    exported = web.get("/kennzahlen/kennzahlen.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["scope"] for r in rows} == {"tenant", "queue", "case_type"}


def test_without_snapshots_the_page_says_so(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    add_person(services, tenant_a, "chefin", role=Role.ADMIN)
    html = web_client(client, "chefin").get("/kennzahlen").text
    assert "Noch keine Kennzahlen" in html
    assert "<svg" not in html


def test_caseworkers_do_not_see_the_figures(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    add_person(services, tenant_a, "berger")
    web = web_client(client, "berger")
    assert web.get("/kennzahlen").status_code == 403
    assert web.get("/kennzahlen/kennzahlen.csv").status_code == 403
    assert "Kennzahlen" not in web.get("/").text
