"""``triage models …``: a tenant's trained classifier versions, and rolling back."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from triage.classify.artefact import ArtefactError, ModelRegistry, read_manifest
from triage.cli.output import console, fail
from triage.config import Settings
from triage.services import build_services
from triage.tenants import TenantError, require_tenant

models_app = typer.Typer(
    help="Trained classifier versions per tenant (triage train makes them).",
    no_args_is_help=True,
)

TenantOption = Annotated[str | None, typer.Option(help="Tenant (default: TRIAGE_DEFAULT_TENANT).")]


def _tenant_name(tenant: str | None) -> tuple[Settings, str]:
    """The settings and the name of an existing tenant (models are kept by name)."""
    settings = Settings()
    services = build_services(settings)
    try:
        with services.session_factory() as session:
            return settings, require_tenant(session, name=tenant or settings.default_tenant).name
    except TenantError as exc:
        raise fail(str(exc)) from exc
    finally:
        services.close()


def _held_out(manifest: dict[str, Any], key: str) -> str:
    value = manifest.get("metrics", {}).get("held_out", {}).get(key)
    return "-" if value is None else f"{value:.3f}"


@models_app.command("list")
def models_list(tenant: TenantOption = None) -> None:
    """The tenant's versions, oldest first; the one in service is marked."""
    settings, name = _tenant_name(tenant)
    registry = ModelRegistry(settings.models_dir)
    current = registry.current_version(name)
    table = Table(title=f"classifier versions of tenant {name}")
    for column in ("", "version", "created", "letters", "held-out macro-F1", "routed share"):
        table.add_column(column)
    for version in registry.versions(name):
        try:
            manifest = read_manifest(registry.tenant_dir(name) / version)
        except ArtefactError as exc:
            table.add_row("", version, f"unreadable: {exc}", "", "", "")
            continue
        table.add_row(
            "*" if version == current else "",
            version,
            str(manifest.get("created_at", "-")),
            str(manifest.get("training", {}).get("examples", "-")),
            _held_out(manifest, "macro_f1"),
            _held_out(manifest, "routed_share"),
        )
    console.print(table)
    if current is None:
        console.print("no trained model in service: the zero-shot classifier serves")


@models_app.command("use")
def models_use(
    version: Annotated[str, typer.Argument(help="A version from `triage models list`.")],
    tenant: TenantOption = None,
) -> None:
    """Put an earlier (or later) version in service; workers switch with their next batch."""
    settings, name = _tenant_name(tenant)
    registry = ModelRegistry(settings.models_dir)
    if version not in registry.versions(name):
        raise fail(f"tenant {name} has no model version {version!r}; see `triage models list`")
    try:
        registry.use(tenant=name, version=version)
    except ArtefactError as exc:
        raise fail(str(exc)) from exc
    console.print(f"model {version} is in service for tenant {name}")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
