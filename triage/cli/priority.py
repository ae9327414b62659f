"""``triage priority …``: a tenant's priority policy and recomputing its open documents."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
import yaml

from triage.administration.audit import record_admin_change
from triage.cli.admin import cli_admin
from triage.cli.output import console, fail
from triage.cli.tenant_session import tenant_session
from triage.priority.policy import PolicyError, load_policy_file
from triage.priority.service import recompute_priorities, store_tenant_policy, tenant_policy

priority_app = typer.Typer(
    help="Priority: weights, hardship signals and the Land, per tenant.", no_args_is_help=True
)
TenantOption = Annotated[str, typer.Option(help="The tenant (municipality).")]


def _recompute(tenant: str) -> tuple[int, float]:
    with tenant_session(tenant, write=True) as scope:
        policy = tenant_policy(
            scope.session, tenant_id=scope.tenant.id, default=scope.services.priorities.default
        )
        started = time.perf_counter()
        count = recompute_priorities(scope.session, tenant_id=scope.tenant.id, policy=policy)
        return count, time.perf_counter() - started


@priority_app.command("load")
def policy_load(
    file: Annotated[Path, typer.Argument(help="Priority policy YAML file.")],
    tenant: TenantOption,
) -> None:
    """Give a tenant its own policy and re-score its open documents with it."""
    try:
        policy = load_policy_file(file)
    except PolicyError as exc:
        raise fail(str(exc)) from exc
    with tenant_session(tenant, write=True) as scope:
        store_tenant_policy(
            scope.session, tenant_id=scope.tenant.id, policy=policy, source=str(file.resolve())
        )
        record_admin_change(
            scope.session,
            tenant_id=scope.tenant.id,
            actor=cli_admin(scope.tenant),
            action="priority_policy.loaded",
            target=file.name,
            detail={"file": str(file.resolve())},
        )
    count, seconds = _recompute(tenant)
    console.print(
        f"tenant {tenant} now uses the policy from {file}; "
        f"{count} open documents re-scored in {seconds:.1f} s"
    )


@priority_app.command("show")
def policy_show(tenant: TenantOption) -> None:
    """The policy a tenant's documents are scored with, as YAML."""
    with tenant_session(tenant) as scope:
        policy = tenant_policy(
            scope.session, tenant_id=scope.tenant.id, default=scope.services.priorities.default
        )
    console.print(yaml.safe_dump(policy.model_dump(mode="json"), allow_unicode=True), end="")


@priority_app.command("recompute")
def recompute(tenant: TenantOption) -> None:
    """Re-score the tenant's open documents from their stored facts."""
    count, seconds = _recompute(tenant)
    console.print(f"{count} open documents of {tenant} re-scored in {seconds:.1f} s")


def register(app: typer.Typer) -> None:
    app.add_typer(priority_app, name="priority")
