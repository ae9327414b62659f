"""One tenant's database session for a command: the services, the session and the tenant,
with an unknown tenant reported as a command-line error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session

from triage.cli.output import fail
from triage.config import Settings
from triage.db.models import Tenant
from triage.db.session import transaction
from triage.services import Services, build_services
from triage.tenants import TenantError, require_tenant


@dataclass(frozen=True)
class TenantSession:
    services: Services
    session: Session
    tenant: Tenant


@contextmanager
def tenant_session(name: str, *, write: bool = False) -> Iterator[TenantSession]:
    """``write``: one transaction, committed when the block ends without an error."""
    services = build_services(Settings())
    try:
        factory = services.session_factory
        with transaction(factory) if write else factory() as session:
            try:
                tenant = require_tenant(session, name=name)
            except TenantError as exc:
                raise fail(str(exc)) from exc
            yield TenantSession(services, session, tenant)
    finally:
        services.close()
