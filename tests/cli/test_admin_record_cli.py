"""Admin changes made on the command line are in the tenant's record, with the operating-
system user as the actor. In-process (Typer's runner): a subprocess per command would
cost seconds each."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from tests.cli.conftest import services_env
from tests.conftest import TenantKeys
from triage.accounts.service import LoginPolicy, authenticate_password
from triage.administration.audit import admin_changes
from triage.cli import app
from triage.db.models import ApiKey
from triage.db.session import transaction
from triage.services import Services
from triage.tenants import require_tenant

PASSWORD = "Lindenblüte-2026!"


def test_users_and_keys_changed_on_the_command_line_are_recorded(
    services: Services, tenant_a: TenantKeys
) -> None:
    env = {**services_env(services), "LOGNAME": "betrieb"}
    runner = CliRunner()

    def triage(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(app, list(args), env=env, input=stdin)
        assert result.exit_code == 0, f"{args}: {result.output}"
        return result.stdout

    tenant = ["--tenant", tenant_a.name]
    created = triage(
        "users", "create", "aushilfe", *tenant, "--role", "relief", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert "created relief aushilfe" in created
    triage("users", "set-password", "aushilfe", *tenant, "--password-stdin", stdin="x" * 14)
    triage("users", "disable", "aushilfe", *tenant)
    key = triage("keys", "create", *tenant, "--role", "intake", "--name", "Scanner").strip()
    with services.session_factory() as session:
        key_id = session.scalar(select(ApiKey.id).where(ApiKey.name == "Scanner"))
    triage("keys", "revoke", str(key_id), *tenant)
    triage("keys", "revoke", str(key_id), *tenant)  # again: nothing more to record

    with transaction(services.session_factory) as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
        events = admin_changes(session, tenant_id=tenant_id)
        signed_in = authenticate_password(
            session, username="aushilfe", password="x" * 14, policy=LoginPolicy()
        )
    assert [(e.action, e.target) for e in reversed(events)] == [
        ("user.created", "aushilfe"),
        ("user.password_reset", "aushilfe"),
        ("user.disabled", "aushilfe"),
        ("api_key.created", "Scanner"),
        ("api_key.revoked", "Scanner"),
    ]
    assert {(e.actor_kind, e.actor_name) for e in events} == {("system", "CLI (betrieb)")}
    assert events[-1].detail == {"display_name": "aushilfe", "role": "relief", "queues": None}
    assert all(key not in str(e.detail) and PASSWORD not in str(e.detail) for e in events)
    assert signed_in.error is not None and signed_in.error.code == "disabled"
