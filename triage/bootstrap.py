"""Start-up provisioning: the default tenant, the bootstrap admin key and the demo tenant."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from triage.accounts.service import create_user
from triage.db.models import Role
from triage.db.session import transaction
from triage.tenants import create_api_key, create_tenant, find_api_key, get_tenant

DEMO_TENANT = "demo"
DEMO_USER = "demo"


def ensure_bootstrap_admin_key(
    factory: sessionmaker[Session], *, tenant_name: str, plaintext: str
) -> bool:
    """Creates the tenant's admin key with the configured value; True when it was new."""
    with transaction(factory) as session:
        if find_api_key(session, plaintext=plaintext) is not None:
            return False
        tenant = get_tenant(session, name=tenant_name) or create_tenant(session, name=tenant_name)
        create_api_key(
            session, tenant=tenant, role=Role.ADMIN, name="bootstrap admin key", plaintext=plaintext
        )
        return True


@dataclass(frozen=True)
class DemoTenant:
    id: uuid.UUID
    name: str
    created: bool
    admin_key: str | None = None
    # The demo caseworker's sign-in for the web pages (user DEMO_USER), shown once.
    caseworker_password: str | None = None


def ensure_demo_tenant(factory: sessionmaker[Session]) -> DemoTenant:
    """The demo tenant with one admin key and a caseworker account; the key's text and
    the password exist only at creation."""
    with transaction(factory) as session:
        existing = get_tenant(session, name=DEMO_TENANT)
        if existing is not None:
            return DemoTenant(id=existing.id, name=DEMO_TENANT, created=False)
        tenant = create_tenant(session, name=DEMO_TENANT, display_name="Demo-Gemeinde")
        key = create_api_key(session, tenant=tenant, role=Role.ADMIN, name="demo admin key")
        password = secrets.token_urlsafe(12)
        create_user(
            session,
            tenant=tenant,
            username=DEMO_USER,
            password=password,
            role=Role.TEAMLEAD,
            display_name="Demo-Sachbearbeitung",
        )
        return DemoTenant(
            id=tenant.id,
            name=DEMO_TENANT,
            created=True,
            admin_key=key.plaintext,
            caseworker_password=password,
        )
