"""``triage taxonomy …`` and ``triage vectors …``: case types and the vector index."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from triage.administration.audit import record_admin_change
from triage.cli.admin import cli_admin
from triage.cli.output import console, fail
from triage.cli.tenant_session import tenant_session
from triage.config import Settings
from triage.indexing import reindex_vectors
from triage.services import build_services
from triage.taxonomy import Taxonomy, TaxonomyError
from triage.taxonomy.store import has_own_taxonomy, store_tenant_taxonomy
from triage.tenants import TenantError, require_tenant

taxonomy_app = typer.Typer(
    help="Case types: the default and each tenant's own.", no_args_is_help=True
)
vectors_app = typer.Typer(help="The vector index of document embeddings.", no_args_is_help=True)


@taxonomy_app.command("load")
def taxonomy_load(
    file: Annotated[Path, typer.Argument(help="Taxonomy YAML file.")],
    tenant: Annotated[str, typer.Option(help="Tenant that gets these case types.")],
) -> None:
    """Give a tenant its own case types (replacing any it had)."""
    try:
        taxonomy = Taxonomy.load(file)
    except TaxonomyError as exc:
        raise fail(str(exc)) from exc
    with tenant_session(tenant, write=True) as scope:
        store_tenant_taxonomy(
            scope.session, tenant_id=scope.tenant.id, taxonomy=taxonomy, source=str(file.resolve())
        )
        record_admin_change(
            scope.session,
            tenant_id=scope.tenant.id,
            actor=cli_admin(scope.tenant),
            action="taxonomy.loaded",
            target=taxonomy.name,
            detail={"file": str(file.resolve()), "case_types": len(taxonomy.case_types)},
        )
    console.print(
        f"tenant {tenant} now uses taxonomy {taxonomy.name!r}: "
        f"{len(taxonomy.case_types)} case types in {len(taxonomy.queues)} queues"
    )


@taxonomy_app.command("show")
def taxonomy_show(
    tenant: Annotated[str | None, typer.Option(help="Tenant (default: the default).")] = None,
) -> None:
    """List the case types a tenant's documents are classified into."""
    services = build_services(Settings())
    try:
        with services.session_factory() as session:
            if tenant is None:
                taxonomy, origin = services.classifiers.default_taxonomy, "default"
            else:
                record = require_tenant(session, name=tenant)
                taxonomy = services.classifiers.taxonomy_for(record.id)
                own = has_own_taxonomy(session, tenant_id=record.id)
                origin = "its own" if own else "default"
    except TenantError as exc:
        raise fail(str(exc)) from exc
    finally:
        services.close()
    table = Table(
        "key", "name", "queue", "SLA days", "examples", title=f"{taxonomy.name} ({origin})"
    )
    for case_type in taxonomy.case_types:
        table.add_row(
            case_type.key,
            case_type.name,
            case_type.queue,
            str(case_type.sla_days),
            str(len(case_type.examples)),
        )
    console.print(table)


@vectors_app.command("reindex")
def vectors_reindex() -> None:
    """Rebuild the collection with the configured model (stop the service first when the
    vectors are embedded: the embedded store is single-process)."""
    services = build_services(Settings())
    try:
        count = reindex_vectors(services)
    finally:
        services.close()
    console.print(f"re-indexed {count} documents with {services.embedder().model_name}")


def register(app: typer.Typer) -> None:
    app.add_typer(taxonomy_app, name="taxonomy")
    app.add_typer(vectors_app, name="vectors")
