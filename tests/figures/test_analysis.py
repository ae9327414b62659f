"""Baseline vs. today, the burn-down forecast and process maturity from stored snapshots,
through the services and the API (CSV export and baseline marking included)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import TenantKeys
from tests.figures.snapshots import write_series
from triage.db.models import AdminEvent
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.figures.forecast import forecast, relief_per_calendar_day
from triage.figures.maturity import Verdict, maturity
from triage.figures.snapshot import local_day
from triage.services import Services
from triage.tenants import require_tenant

TODAY = local_day(utcnow())


def _queues(services: Services, keys: TenantKeys) -> None:
    """Two queues over 60 days: for the last 14, leistungen shrinks by 5 a day (300 open
    today), ordnung grows by 3 (170 open); before that both were flat and slow."""
    with transaction(services.session_factory) as session:
        tenant_id = require_tenant(session, name=keys.name).id

        def recent(n: int) -> bool:
            return n >= 60 - 14

        def leistungen(n: int) -> dict[str, int]:
            if not recent(n):
                return {"open_count": 500, "inflow": 3, "outflow": 3}
            return {"open_count": 300 + 5 * (59 - n), "inflow": 10, "outflow": 15}

        def ordnung(n: int) -> dict[str, int]:
            if not recent(n):
                return {"open_count": 100, "inflow": 1, "outflow": 0}
            return {"open_count": 170 - 3 * (59 - n), "inflow": 8, "outflow": 5}

        def tenant(n: int) -> dict[str, int]:
            a, b = leistungen(n), ordnung(n)
            return {k: a[k] + b[k] for k in a}

        for scope, key, figures in (
            ("queue", "leistungen", leistungen),
            ("queue", "ordnung", ordnung),
            ("tenant", "alle", tenant),
        ):
            write_series(
                session,
                tenant_id=tenant_id,
                scope=scope,
                key=key,
                last=TODAY,
                days=60,
                day_figures=figures,
            )


def test_days_until_each_queue_is_empty_with_and_without_relief(
    services: Services, tenant_a: TenantKeys
) -> None:
    _queues(services, tenant_a)
    with services.session_factory() as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
        result = forecast(session, tenant_id=tenant_id, relief_staff=2, cases_per_person_day=14)
    relief = relief_per_calendar_day(2, 14)
    assert relief == pytest.approx(20.0)  # 2 people × 14 on 5 of 7 days
    by_queue = {q.key: q for q in result.queues}
    leistungen, ordnung = by_queue["leistungen"], by_queue["ordnung"]
    assert (leistungen.inflow_per_day, leistungen.outflow_per_day) == (10, 15)
    assert leistungen.days_to_empty == pytest.approx(300 / 5)
    assert leistungen.days_with_relief == pytest.approx(300 / 25)
    assert ordnung.days_to_empty is None  # it grows
    assert ordnung.days_with_relief == pytest.approx(170 / 17)
    assert result.tenant is not None
    assert result.tenant.days_to_empty == pytest.approx(470 / 2)
    projection = result.projection(leistungen)
    assert projection[0] == (TODAY, 300, 300)
    assert projection[12][2] == pytest.approx(0.0)
    assert projection[12][1] == pytest.approx(240)


def _case_types(services: Services, keys: TenantKeys) -> None:
    with transaction(services.session_factory) as session:
        tenant_id = require_tenant(session, name=keys.name).id
        kinds = {
            # auto share 90 %, no misroutes; the 30 days before: 60 % auto.
            "wohngeld": lambda n: (
                {"triaged": 10, "auto_routed": 9, "to_review": 1}
                if n >= 30
                else {"triaged": 10, "auto_routed": 6, "to_review": 4}
            ),
            "gewerbe": lambda n: {"triaged": 10, "auto_routed": 10, "misrouted": 2},
            "meldewesen": lambda n: {"triaged": 10, "auto_routed": 5, "to_review": 5},
            "hundesteuer": lambda n: {"triaged": 1 if n % 3 == 0 else 0},
        }
        for key, figures in kinds.items():
            write_series(
                session,
                tenant_id=tenant_id,
                scope="case_type",
                key=key,
                last=TODAY,
                days=60,
                day_figures=figures,
            )


def test_process_maturity_says_which_case_types_are_ready(
    services: Services, tenant_a: TenantKeys
) -> None:
    _case_types(services, tenant_a)
    with services.session_factory() as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
        today, found = maturity(session, tenant_id=tenant_id)
    assert today == TODAY
    by_type = {m.case_type: m for m in found}
    assert by_type["wohngeld"].verdict is Verdict.READY
    assert by_type["wohngeld"].current.auto_routed_share == pytest.approx(0.9)
    assert by_type["wohngeld"].trend("auto_routed_share") == pytest.approx(0.3)
    assert by_type["gewerbe"].verdict is Verdict.SHARPEN
    assert by_type["gewerbe"].current.misroute_rate == pytest.approx(0.2)
    assert by_type["meldewesen"].verdict is Verdict.MORE_EXAMPLES
    assert by_type["hundesteuer"].verdict is Verdict.TOO_LITTLE_DATA


def test_the_api_compares_forecasts_and_exports(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    _queues(services, tenant_a)
    admin = tenant_a.headers("admin")
    baseline_day = TODAY - timedelta(days=50)
    marked = client.post(
        "/api/v1/admin/baseline",
        json={"day": baseline_day.isoformat(), "label": "Start Soforthilfe"},
        headers=admin,
    )
    assert marked.status_code == 201, marked.text
    figures = client.get("/api/v1/figures", headers=admin).json()
    assert figures["baseline_day"] == baseline_day.isoformat()
    assert figures["baseline_label"] == "Start Soforthilfe"
    leistungen = next(q for q in figures["queues"] if q["key"] == "leistungen")
    assert leistungen["baseline"]["open_count"] == 500
    assert leistungen["today"]["open_count"] == 300
    assert leistungen["today"]["week"]["outflow_per_day"] == 15
    assert leistungen["baseline"]["week"]["inflow_per_day"] == 3
    assert figures["tenant"]["today"]["open_count"] == 470

    burn_down = client.get(
        "/api/v1/figures/forecast",
        params={"relief_staff": 2, "cases_per_person_day": 14},
        headers=admin,
    ).json()
    assert {q["key"]: q["days_with_relief"] for q in burn_down["queues"]} == {
        "leistungen": pytest.approx(12),
        "ordnung": pytest.approx(10),
    }
    exported = client.get("/api/v1/figures/snapshots.csv?scope=queue", headers=admin)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 120 and {r["scope"] for r in rows} == {"queue"}
    last = [r for r in rows if r["key"] == "leistungen" and r["day"] == TODAY.isoformat()]
    assert last[0]["open_count"] == "300" and last[0]["age_p50_days"] == ""

    with services.session_factory() as session:
        recorded = session.scalars(select(AdminEvent).where(AdminEvent.action == "baseline.marked"))
        [event] = list(recorded)
    assert event.detail == {"day": baseline_day.isoformat()}
    assert event.target == "Start Soforthilfe"


def test_figures_need_a_team_lead_or_admin_and_valid_input(
    client: TestClient, tenant_a: TenantKeys
) -> None:
    caseworker = tenant_a.headers("caseworker")
    admin = tenant_a.headers("admin")
    assert client.get("/api/v1/figures", headers=caseworker).status_code == 403
    assert client.get("/api/v1/figures/snapshots.csv", headers=caseworker).status_code == 403
    future = date.today() + timedelta(days=3)
    refused = client.post("/api/v1/admin/baseline", json={"day": future.isoformat()}, headers=admin)
    assert refused.status_code == 422
    assert "Zukunft" in refused.json()["detail"]
    assert client.get("/api/v1/figures/snapshots.csv?scope=x", headers=admin).status_code == 422
    empty = client.get("/api/v1/figures", headers=admin).json()
    assert empty["today"] is None and empty["queues"] == []
