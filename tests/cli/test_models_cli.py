"""`triage taxonomy …` and `triage evaluate loo` as an administrator runs them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.cli.conftest import run_triage, services_env
from tests.conftest import TenantKeys
from triage.services import Services

OWN_TAXONOMY = """
version: 1
name: Amt Kleinstadt
case_types:
  - key: hund
    name: Hundeangelegenheiten
    description: Hundesteuer, Anmeldung und Abmeldung von Hunden, Hundemarken.
    queue: kasse
    sla_days: 20
    examples: ["Ich melde meinen Hund an."]
  - key: bauen
    name: Bauen und Wohnen
    description: Bauanträge, Baugenehmigungen, Nutzungsänderungen und Abrissanzeigen.
    queue: bau
    sla_days: 40
  - key: rest
    name: Sonstiges
    description: Alles, was keinem anderen Anliegen zugeordnet werden kann.
    queue: zentrale
    sla_days: 10
"""


@pytest.mark.sqlite_only
def test_a_tenant_gets_its_own_taxonomy(
    tmp_path: Path,
    client: TestClient,
    services: Services,
    tenant_a: TenantKeys,
    tenant_b: TenantKeys,
) -> None:
    env = services_env(services)
    path = tmp_path / "kleinstadt.yaml"
    path.write_text(OWN_TAXONOMY, encoding="utf-8")
    loaded = run_triage(env, "taxonomy", "load", str(path), "--tenant", tenant_a.name)
    assert "3 case types in 3 queues" in loaded.stdout

    own = client.get("/api/v1/case-types", headers=tenant_a.headers()).json()
    assert own["taxonomy"] == "Amt Kleinstadt"
    assert [c["key"] for c in own["case_types"]] == ["hund", "bauen", "rest"]
    other = client.get("/api/v1/case-types", headers=tenant_b.headers()).json()
    assert len(other["case_types"]) >= 15
    queues = client.get("/api/v1/queues", headers=tenant_a.headers("caseworker")).json()
    assert [q["name"] for q in queues] == ["bau", "kasse", "zentrale", "review"]

    shown = run_triage(env, "taxonomy", "show", "--tenant", tenant_a.name)
    assert "Amt Kleinstadt (its own)" in shown.stdout
    assert "Hundeangelegenheiten" in shown.stdout

    broken = tmp_path / "kaputt.yaml"
    broken.write_text(OWN_TAXONOMY.replace("queue: bau", "queue: Bau Amt!"), encoding="utf-8")
    failed = run_triage(
        env, "taxonomy", "load", str(broken), "--tenant", tenant_a.name, check=False
    )
    assert failed.returncode == 2
    assert "case_types.1.queue" in failed.stderr
    missing = run_triage(env, "taxonomy", "load", str(path), "--tenant", "niemand", check=False)
    assert missing.returncode == 2


def test_documents_of_a_tenant_are_classified_with_its_own_taxonomy(
    tmp_path: Path, client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    from tests.api.helpers import process_all, upload_one
    from triage.db.session import transaction
    from triage.taxonomy import Taxonomy
    from triage.taxonomy.store import store_tenant_taxonomy
    from triage.tenants import require_tenant

    with transaction(services.session_factory) as session:
        tenant = require_tenant(session, name=tenant_a.name)
        store_tenant_taxonomy(
            session, tenant_id=tenant.id, taxonomy=Taxonomy.from_yaml(OWN_TAXONOMY), source="t"
        )
    services.settings.review_threshold = 0.0
    doc = upload_one(client, tenant_a, "hund.txt", "Ich möchte meinen Hund abmelden.".encode())
    process_all(services)
    detail = client.get(f"/api/v1/documents/{doc}", headers=tenant_a.headers()).json()
    assert (detail["case_type"], detail["queue"]) == ("hund", "kasse")


def test_evaluate_loo_prints_zero_shot_and_leave_one_out(tmp_path: Path) -> None:
    # No database is involved: the command reads the demo letters and the model only.
    env = {**os.environ, "TRIAGE_DATA_DIR": str(tmp_path)}
    result = run_triage(env, "evaluate", "loo", "--per-class")
    assert "zero-shot" in result.stdout
    assert "leave-one-out" in result.stdout
    assert "macro-F1" in result.stdout
    assert "wohngeld" in result.stdout
