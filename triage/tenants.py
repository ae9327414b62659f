"""Tenants (municipalities) and their API keys."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.actors import Actor, ActorKind
from triage.db.models import ApiKey, Role, Tenant
from triage.db.types import utcnow

TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
KEY_PREFIX = "ptk_"
# Writing last_used_at on every request would turn each read into a write; a minute is
# precise enough for "last used".
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TenantError(ValueError):
    pass


def hash_api_key(key: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is as safe as a slow one and keeps
    # authentication cheap; passwords (chosen by people) get a slow hash elsewhere.
    return hashlib.sha256(key.encode()).hexdigest()


def create_tenant(session: Session, *, name: str, display_name: str | None = None) -> Tenant:
    if not TENANT_NAME.match(name):
        raise TenantError(
            f"invalid tenant name {name!r}: use lower-case letters, digits, '-' and '_' "
            "(at most 63 characters)"
        )
    if get_tenant(session, name=name) is not None:
        raise TenantError(f"tenant {name!r} exists already")
    tenant = Tenant(name=name, display_name=display_name or name)
    session.add(tenant)
    session.flush()
    return tenant


def get_tenant(session: Session, *, name: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.name == name))


def require_tenant(session: Session, *, name: str) -> Tenant:
    tenant = get_tenant(session, name=name)
    if tenant is None:
        raise TenantError(f"no tenant named {name!r}")
    return tenant


def list_tenants(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.name)))


@dataclass(frozen=True)
class NewApiKey:
    record: ApiKey
    plaintext: str


def create_api_key(
    session: Session,
    *,
    tenant: Tenant,
    role: Role,
    name: str | None = None,
    plaintext: str | None = None,
) -> NewApiKey:
    key = plaintext or KEY_PREFIX + secrets.token_urlsafe(32)
    if len(key) < 24:
        raise TenantError("an API key must have at least 24 characters")
    record = ApiKey(
        tenant_id=tenant.id,
        name=name or f"{role.value} key",
        role=role.value,
        key_hash=hash_api_key(key),
        prefix=key[:12],
    )
    session.add(record)
    session.flush()
    return NewApiKey(record=record, plaintext=key)


def find_api_key(session: Session, *, plaintext: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(plaintext)))


def authenticate_api_key(session: Session, *, plaintext: str) -> Actor | None:
    record = find_api_key(session, plaintext=plaintext)
    if record is None or record.revoked_at is not None:
        return None
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_GRANULARITY:
        record.last_used_at = now
    return Actor(
        kind=ActorKind.API_KEY,
        id=str(record.id),
        name=record.name,
        tenant_id=record.tenant_id,
        role=Role(record.role),
    )


def list_api_keys(session: Session, *, tenant: Tenant) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.tenant_id == tenant.id).order_by(ApiKey.created_at)
        )
    )


def revoke_api_key(session: Session, *, tenant: Tenant, key_id: uuid.UUID) -> ApiKey:
    record = session.scalar(
        select(ApiKey).where(ApiKey.tenant_id == tenant.id, ApiKey.id == key_id)
    )
    if record is None:
        raise TenantError(f"no API key {key_id} in tenant {tenant.name!r}")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
    return record
