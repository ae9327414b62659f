"""``triage figures``: snapshots taken from the command line, exported as CSV, the
baseline marked (and recorded as an admin change); ``taxonomy load`` and ``priority
load`` recorded too. In-process, as in test_admin_record_cli."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from tests.cli.conftest import services_env
from tests.conftest import TenantKeys
from tests.figures.history import History
from triage.administration.audit import admin_changes
from triage.cli import app
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.figures.snapshot import local_day
from triage.services import Services
from triage.taxonomy import load_default_taxonomy
from triage.tenants import require_tenant


def test_snapshots_export_and_baseline_from_the_command_line(
    services: Services, tenant_a: TenantKeys, tmp_path: Path
) -> None:
    today = local_day(utcnow())
    with transaction(services.session_factory) as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
        history = History(session, tenant_id)
        history.letter(received=utcnow() - timedelta(days=2), queue="soziales")
        history.letter(received=utcnow() - timedelta(minutes=5), queue="soziales")
    env = {**services_env(services), "LOGNAME": "betrieb"}
    runner = CliRunner()

    def triage(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, f"{args}: {result.output}"
        return result.output

    tenant = ["--tenant", tenant_a.name]
    since = (today - timedelta(days=3)).isoformat()
    assert "4 day(s)" in triage("figures", "snapshot", *tenant, "--since", since)
    rows = list(
        csv.DictReader(io.StringIO(triage("figures", "export", *tenant, "--scope", "queue")))
    )
    by_day = {r["day"]: r for r in rows if r["key"] == "soziales"}
    assert by_day[today.isoformat()]["open_count"] == "2"
    assert by_day[(today - timedelta(days=1)).isoformat()]["open_count"] == "1"

    triage("figures", "baseline", *tenant, "--day", since, "--label", "Start")
    assert "future" in triage("figures", "snapshot", *tenant, "--since", "2999-01-01", code=2)
    assert "Zukunft" in triage("figures", "baseline", *tenant, "--day", "2999-01-01", code=2)

    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(load_default_taxonomy().to_yaml(), encoding="utf-8")
    triage("taxonomy", "load", str(taxonomy), *tenant)
    with services.session_factory() as session:
        changes = admin_changes(session, tenant_id=tenant_id)
    assert [(c.action, c.actor_name) for c in reversed(changes)] == [
        ("baseline.marked", "CLI (betrieb)"),
        ("taxonomy.loaded", "CLI (betrieb)"),
    ]
