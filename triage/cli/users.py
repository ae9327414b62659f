"""``triage users …``: people's accounts for the caseworker pages."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from triage.accounts.passwords import WeakPasswordError
from triage.accounts.service import (
    AccountError,
    create_user,
    disable_user,
    find_user,
    list_users,
    reset_password,
)
from triage.cli.admin import cli_admin
from triage.cli.output import console, err, fail
from triage.cli.tenant_session import TenantSession, tenant_session
from triage.db.models import Role, User

users_app = typer.Typer(help="People's accounts (caseworkers, team leads, admins, relief).")
TenantOption = Annotated[str, typer.Option(help="The tenant (municipality) of the user.")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin (scripts).")
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Sign-in name, unique in the installation.")],
    tenant: TenantOption,
    role: Annotated[Role, typer.Option(help="caseworker, teamlead, admin or relief.")],
    name: Annotated[str | None, typer.Option(help="Display name, e.g. 'Frau Berger'.")] = None,
    queue: Annotated[
        list[str] | None,
        typer.Option(help="A queue the person may work (repeat it); none: every queue."),
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a person's account; the password is asked for (never an argument)."""
    password = _password(password_stdin)
    with tenant_session(tenant, write=True) as scope:
        try:
            user = create_user(
                scope.session,
                tenant=scope.tenant,
                username=username,
                password=password,
                role=role,
                display_name=name,
                queues=queue,
                actor=cli_admin(scope.tenant),
            )
        except (AccountError, WeakPasswordError) as exc:
            raise fail(str(exc)) from exc
        queues = ", ".join(user.queues) if user.queues else "all queues"
        console.print(
            f"created {user.role} {user.username} ({user.display_name}) in {tenant}: {queues}"
        )


@users_app.command("list")
def users_list(tenant: TenantOption) -> None:
    table = Table("user", "name", "role", "queues", "last sign-in", "state")
    with tenant_session(tenant) as scope:
        for user in list_users(scope.session, tenant=scope.tenant):
            state = "disabled" if user.disabled_at else ("locked" if user.locked_until else "")
            table.add_row(
                user.username,
                user.display_name,
                user.role,
                ", ".join(user.queues) if user.queues else "all",
                user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "-",
                state,
            )
    console.print(table)


def _tenant_user(scope: TenantSession, username: str) -> User:
    user = find_user(scope.session, username=username)
    if user is None or user.tenant_id != scope.tenant.id:
        raise fail(f"no user {username!r} in tenant {scope.tenant.name}")
    return user


@users_app.command("set-password")
def users_set_password(
    username: str, tenant: TenantOption, password_stdin: PasswordStdin = False
) -> None:
    """Set a new password (also lifts a lockout and ends the user's open sessions)."""
    password = _password(password_stdin)
    with tenant_session(tenant, write=True) as scope:
        user = _tenant_user(scope, username)
        try:
            reset_password(
                scope.session, user=user, password=password, actor=cli_admin(scope.tenant)
            )
        except WeakPasswordError as exc:
            raise fail(str(exc)) from exc
    err.print(f"password of {username} changed")


@users_app.command("disable")
def users_disable(username: str, tenant: TenantOption) -> None:
    """Disable an account: it can no longer sign in; its history stays."""
    with tenant_session(tenant, write=True) as scope:
        user = _tenant_user(scope, username)
        disable_user(scope.session, user=user, actor=cli_admin(scope.tenant))
    console.print(f"{username} disabled")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users", no_args_is_help=True)
