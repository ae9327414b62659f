"""``triage priority show|load|recompute``: a tenant's own policy re-scores its documents."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.api.helpers import process_all, upload_one
from tests.cli.conftest import run_triage, services_env
from tests.conftest import TenantKeys
from triage.services import Services

LETTER = (
    "Sehr geehrte Damen und Herren,\n\nich beantrage Wohngeld. Uns droht die Zwangsräumung."
    "\n\nMit freundlichen Grüßen\nCarla Ost"
)


@pytest.mark.sqlite_only
def test_a_tenant_policy_is_shown_loaded_and_applied(
    tmp_path: Path, client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    env = services_env(services)
    document_id = upload_one(client, tenant_a, "brief.txt", LETTER.encode())
    process_all(services)

    shown = yaml.safe_load(run_triage(env, "priority", "show", "--tenant", tenant_a.name).stdout)
    assert shown["land"] == "BY" and shown["weights"]["hardship"] == 50

    shown["weights"]["hardship"] = 7
    shown["land"] = "NW"
    own = tmp_path / "policy.yaml"
    own.write_text(yaml.safe_dump(shown, allow_unicode=True), encoding="utf-8")
    loaded = run_triage(env, "priority", "load", str(own), "--tenant", tenant_a.name)
    assert "1 open documents re-scored" in loaded.stdout

    body = client.get(f"/api/v1/documents/{document_id}", headers=tenant_a.headers()).json()
    hardship = [r for r in body["priority_reasons"] if r["kind"] == "hardship"]
    assert [r["weight"] for r in hardship] == [7]
    again = yaml.safe_load(run_triage(env, "priority", "show", "--tenant", tenant_a.name).stdout)
    assert (again["land"], again["weights"]["hardship"]) == ("NW", 7)
    assert (
        "1 open documents"
        in run_triage(env, "priority", "recompute", "--tenant", tenant_a.name).stdout
    )

    broken = tmp_path / "broken.yaml"
    broken.write_text("land: XX\n", encoding="utf-8")
    failed = run_triage(
        env, "priority", "load", str(broken), "--tenant", tenant_a.name, check=False
    )
    assert failed.returncode == 2 and "unknown Land 'XX'" in failed.stderr
