"""``triage figures …``: a tenant's daily backlog figures taken now (the worker does it
when idle), exported as CSV, and the baseline they are compared with."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from typing import Annotated

import typer

from triage.cli.admin import cli_admin
from triage.cli.output import console, fail
from triage.cli.tenant_session import tenant_session
from triage.db.types import utcnow
from triage.figures.export import snapshots_csv
from triage.figures.snapshot import Scope, local_day
from triage.figures.store import BaselineError, mark_baseline, snapshots, take_snapshot

figures_app = typer.Typer(
    help="Backlog figures: daily snapshots, CSV export, the baseline.", no_args_is_help=True
)
TenantOption = Annotated[str, typer.Option(help="The tenant (municipality).")]


@figures_app.command("snapshot")
def snapshot(
    tenant: TenantOption,
    since: Annotated[
        str | None, typer.Option(help="First day (YYYY-MM-DD) to (re)compute; default today.")
    ] = None,
) -> None:
    """Compute the daily figures from ``--since`` to today (today: the state now),
    replacing what was stored for those days."""
    now = utcnow()
    today = local_day(now)
    try:
        first = date.fromisoformat(since) if since else today
    except ValueError as exc:
        raise fail(f"--since: {exc}") from exc
    if first > today:
        raise fail("--since lies in the future")
    days = 0
    with tenant_session(tenant, write=True) as scope:
        day = first
        while day <= today:
            take_snapshot(scope.session, tenant_id=scope.tenant.id, day=day, now=now)
            day += timedelta(days=1)
            days += 1
    console.print(f"figures of {tenant}: {days} day(s) from {first.isoformat()} taken")


@figures_app.command("export")
def export(
    tenant: TenantOption,
    scope: Annotated[
        list[str] | None, typer.Option(help="tenant, queue, case_type (repeatable); default all.")
    ] = None,
) -> None:
    """Every stored snapshot as CSV on standard output."""
    chosen = scope or [Scope.TENANT, Scope.QUEUE, Scope.CASE_TYPE]
    with tenant_session(tenant) as found:
        rows = snapshots(found.session, tenant_id=found.tenant.id, scopes=chosen)
        sys.stdout.write(snapshots_csv(rows))


@figures_app.command("baseline")
def baseline(
    tenant: TenantOption,
    day: Annotated[str, typer.Option(help="The day (YYYY-MM-DD) to compare with.")],
    label: Annotated[str, typer.Option(help="What it marks.")] = "Basislinie",
) -> None:
    """Mark the day the figures are compared with (recorded as an admin change)."""
    try:
        marked = date.fromisoformat(day)
    except ValueError as exc:
        raise fail(f"--day: {exc}") from exc
    try:
        with tenant_session(tenant, write=True) as scope:
            mark_baseline(
                scope.session,
                tenant_id=scope.tenant.id,
                day=marked,
                label=label,
                actor=cli_admin(scope.tenant),
                now=utcnow(),
            )
    except BaselineError as exc:
        raise fail(str(exc)) from exc
    console.print(f"baseline of {tenant}: {marked.isoformat()} ({label})")


def register(app: typer.Typer) -> None:
    app.add_typer(figures_app, name="figures")
