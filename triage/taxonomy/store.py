"""Which taxonomy a tenant uses: its own (loaded with ``triage taxonomy load``) or the default."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.db.models import TenantTaxonomy
from triage.db.types import utcnow
from triage.taxonomy.model import Taxonomy


def tenant_taxonomy(session: Session, *, tenant_id: uuid.UUID, default: Taxonomy) -> Taxonomy:
    stored = session.scalar(select(TenantTaxonomy).where(TenantTaxonomy.tenant_id == tenant_id))
    if stored is None:
        return default
    return Taxonomy.model_validate(stored.content)


def has_own_taxonomy(session: Session, *, tenant_id: uuid.UUID) -> bool:
    return (
        session.scalar(select(TenantTaxonomy.id).where(TenantTaxonomy.tenant_id == tenant_id))
        is not None
    )


def store_tenant_taxonomy(
    session: Session, *, tenant_id: uuid.UUID, taxonomy: Taxonomy, source: str
) -> None:
    """Gives the tenant its own case types, replacing any it had."""
    stored = session.scalar(select(TenantTaxonomy).where(TenantTaxonomy.tenant_id == tenant_id))
    if stored is None:
        stored = TenantTaxonomy(tenant_id=tenant_id)
        session.add(stored)
    stored.name = taxonomy.name
    stored.content = taxonomy.model_dump(mode="json")
    stored.source = source[:500]
    stored.loaded_at = utcnow()
