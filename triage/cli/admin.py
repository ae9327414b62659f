"""Administration on the server: tenants, API keys, reprocessing, migrations."""

from __future__ import annotations

import getpass
import uuid
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from triage.actors import Actor, ActorKind
from triage.administration.audit import record_admin_change
from triage.cli.output import console, err, fail
from triage.config import Settings
from triage.db.models import ApiKey, Document, DocumentStatus, Role, Tenant
from triage.db.session import transaction
from triage.documents.service import request_reprocessing
from triage.services import Services, build_services
from triage.tenants import (
    TenantError,
    create_api_key,
    create_tenant,
    list_api_keys,
    list_tenants,
    require_tenant,
    revoke_api_key,
)

tenants_app = typer.Typer(help="Municipalities sharing this installation.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for machines (intake, integrations).", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)

CLI_ACTOR = Actor(kind=ActorKind.SYSTEM, id="cli", name="command line", tenant_id=None, role=None)


def cli_admin(tenant: Tenant) -> Actor:
    """Who makes an admin change from the command line, as the record shows it: the
    operating-system user running the command."""
    try:
        who = getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the passwd file
        who = "unbekannt"
    return Actor(
        kind=ActorKind.SYSTEM, id=None, name=f"CLI ({who})", tenant_id=tenant.id, role=Role.ADMIN
    )


def _services() -> Services:
    return build_services(Settings())


@tenants_app.command("create")
def tenants_create(
    name: Annotated[str, typer.Argument(help="Short name, e.g. 'musterstadt'.")],
    display_name: Annotated[str | None, typer.Option(help="Full name of the municipality.")] = None,
) -> None:
    services = _services()
    try:
        with transaction(services.session_factory) as session:
            tenant = create_tenant(session, name=name, display_name=display_name)
            console.print(f"created tenant {tenant.name} ({tenant.id})")
    except TenantError as exc:
        raise fail(str(exc)) from exc


@tenants_app.command("list")
def tenants_list() -> None:
    services = _services()
    table = Table("name", "display name", "id", "created")
    with services.session_factory() as session:
        for t in list_tenants(session):
            table.add_row(
                t.name, t.display_name, str(t.id), t.created_at.isoformat(timespec="seconds")
            )
    console.print(table)


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant name.")],
    role: Annotated[Role, typer.Option(help="intake, caseworker or admin.")],
    name: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
) -> None:
    """Prints the new key once on stdout; only its hash is stored."""
    services = _services()
    try:
        with transaction(services.session_factory) as session:
            record = require_tenant(session, name=tenant)
            key = create_api_key(session, tenant=record, role=role, name=name)
            record_admin_change(
                session,
                tenant_id=record.id,
                actor=cli_admin(record),
                action="api_key.created",
                target=key.record.name,
                detail={"role": role.value, "prefix": key.record.prefix},
            )
    except TenantError as exc:
        raise fail(str(exc)) from exc
    finally:
        services.close()
    err.print(f"created {role.value} key {key.record.id} for tenant {tenant}; store it now:")
    print(key.plaintext)


@keys_app.command("list")
def keys_list(tenant: Annotated[str, typer.Option(help="Tenant name.")]) -> None:
    services = _services()
    table = Table("id", "name", "role", "prefix", "last used", "revoked")
    try:
        with services.session_factory() as session:
            for k in list_api_keys(session, tenant=require_tenant(session, name=tenant)):
                table.add_row(
                    str(k.id),
                    k.name,
                    k.role,
                    k.prefix + "…",
                    k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "-",
                    "yes" if k.revoked_at else "",
                )
    except TenantError as exc:
        raise fail(str(exc)) from exc
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[uuid.UUID, typer.Argument(help="The key's id (see 'keys list').")],
    tenant: Annotated[str, typer.Option(help="Tenant name.")],
) -> None:
    services = _services()
    try:
        with transaction(services.session_factory) as session:
            record = require_tenant(session, name=tenant)
            was_revoked = session.scalar(
                select(ApiKey.revoked_at).where(ApiKey.id == key_id, ApiKey.tenant_id == record.id)
            )
            key = revoke_api_key(session, tenant=record, key_id=key_id)
            if was_revoked is None:
                record_admin_change(
                    session,
                    tenant_id=record.id,
                    actor=cli_admin(record),
                    action="api_key.revoked",
                    target=key.name,
                    detail={"role": key.role, "prefix": key.prefix},
                )
    except TenantError as exc:
        raise fail(str(exc)) from exc
    finally:
        services.close()
    console.print(f"revoked {key_id}")


def reprocess(
    ids: Annotated[list[uuid.UUID] | None, typer.Argument(help="Document ids.")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="All failed documents.")] = False,
    tenant: Annotated[str | None, typer.Option(help="Limit --failed to one tenant.")] = None,
) -> None:
    """Send documents through the pipeline again (the worker picks them up)."""
    if not ids and not failed:
        raise fail("name document ids or use --failed")
    services = _services()
    with transaction(services.session_factory) as session:
        query = select(Document)
        if ids:
            query = query.where(Document.id.in_(ids))
        if failed:
            query = query.where(Document.status == DocumentStatus.FAILED)
        if tenant:
            try:
                query = query.where(Document.tenant_id == require_tenant(session, name=tenant).id)
            except TenantError as exc:
                raise fail(str(exc)) from exc
        documents = list(session.scalars(query))
        missing = set(ids or []) - {d.id for d in documents}
        if missing:
            raise fail("unknown document ids: " + ", ".join(sorted(map(str, missing))))
        for document in documents:
            request_reprocessing(session, actor=CLI_ACTOR, document=document)
    console.print(f"queued {len(documents)} document(s) for processing")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (the service also does this at start)."""
    services = _services()
    services.close()
    console.print("database is up to date")


def register(app: typer.Typer) -> None:
    app.add_typer(tenants_app, name="tenants")
    app.add_typer(keys_app, name="keys")
    app.add_typer(db_app, name="db")
    app.command()(reprocess)
