"""``triage users``: accounts for people, created, listed, locked out of and disabled."""

from __future__ import annotations

import pytest

from tests.cli.conftest import run_triage, services_env
from tests.conftest import TenantKeys
from triage.accounts.service import LoginPolicy, authenticate_password
from triage.db.session import transaction
from triage.services import Services

PASSWORD = "Lindenblüte-2026!\n"


@pytest.mark.sqlite_only
def test_an_admin_creates_a_caseworker_who_can_sign_in(
    services: Services, tenant_a: TenantKeys
) -> None:
    env = services_env(services)
    created = run_triage(
        env,
        "users", "create", "berger", "--tenant", tenant_a.name, "--role", "caseworker",
        "--name", "Frau Berger", "--queue", "soziales", "--password-stdin",
        stdin=PASSWORD,
    )  # fmt: skip
    assert "created caseworker berger (Frau Berger)" in created.stdout
    assert "soziales" in created.stdout
    listed = run_triage(env, "users", "list", "--tenant", tenant_a.name).stdout
    assert "berger" in listed and "Frau Berger" in listed

    with transaction(services.session_factory) as session:
        result = authenticate_password(
            session, username="berger", password=PASSWORD.strip(), policy=LoginPolicy()
        )
        assert result.user is not None and result.user.queues == ["soziales"]

    run_triage(env, "users", "disable", "berger", "--tenant", tenant_a.name)
    with transaction(services.session_factory) as session:
        result = authenticate_password(
            session, username="berger", password=PASSWORD.strip(), policy=LoginPolicy()
        )
        assert result.user is None and "disabled" in str(result.error)


@pytest.mark.sqlite_only
def test_bad_input_is_refused_with_the_reason(services: Services, tenant_a: TenantKeys) -> None:
    env = services_env(services)
    args = ["users", "create", "berger", "--tenant", tenant_a.name, "--password-stdin"]
    weak = run_triage(env, *args, "--role", "admin", check=False, stdin="kurz\n")
    assert weak.returncode == 2 and "at least 12 characters" in weak.stderr
    intake = run_triage(env, *args, "--role", "intake", check=False, stdin=PASSWORD)
    assert intake.returncode == 2 and "for API keys" in intake.stderr
    other = run_triage(
        env, "users", "create", "x1", "--tenant", "niemand", "--role", "admin",
        "--password-stdin", check=False, stdin=PASSWORD,
    )  # fmt: skip
    assert other.returncode == 2 and "no tenant named 'niemand'" in other.stderr
