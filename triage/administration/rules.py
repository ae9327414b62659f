"""A tenant's working rules, edited on the admin pages: the review threshold, what relief
staff may work and how much of it gets a second review, and the burn-down forecast's
assumption about a relief worker's daily output."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.config import Settings
from triage.db.models import TenantRules
from triage.db.types import utcnow


class WorkRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # None: the installation's TRIAGE_REVIEW_THRESHOLD. A trained model's per-class
    # thresholds still take precedence, as they did before.
    review_threshold: Annotated[float, Field(ge=0, le=1)] | None = None
    # Relief staff ("Soforthilfe") see and claim only documents of these case types whose
    # confidence reaches relief_min_confidence. Empty: none, until an admin decides.
    relief_case_types: list[str] = Field(default_factory=list)
    relief_min_confidence: Annotated[float, Field(ge=0, le=1)] = 0.8
    # The share of a relief worker's completed documents that a regular caseworker checks.
    second_review_share: Annotated[float, Field(ge=0, le=1)] = 0.1
    # The forecast's assumption: documents one relief worker completes per working day.
    relief_cases_per_day: Annotated[float, Field(gt=0, le=500)] = 25.0


DEFAULT_RULES = WorkRules()


def tenant_rules(session: Session, *, tenant_id: uuid.UUID) -> WorkRules:
    stored = session.scalar(select(TenantRules).where(TenantRules.tenant_id == tenant_id))
    return DEFAULT_RULES if stored is None else WorkRules.model_validate(stored.content)


def store_tenant_rules(
    session: Session, *, tenant_id: uuid.UUID, rules: WorkRules, updated_by: str
) -> None:
    stored = session.scalar(select(TenantRules).where(TenantRules.tenant_id == tenant_id))
    if stored is None:
        stored = TenantRules(tenant_id=tenant_id)
        session.add(stored)
    stored.content = rules.model_dump(mode="json")
    stored.updated_at = utcnow()
    stored.updated_by = updated_by[:200]


class ReviewThresholds:
    """The confidence a tenant's document needs to be routed without review: the tenant's
    rule, else the installation's setting (read at each call: settings may change)."""

    def __init__(self, *, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self._factory = session_factory
        self._settings = settings

    def for_tenant(self, tenant_id: uuid.UUID) -> float:
        with self._factory() as session:
            own = tenant_rules(session, tenant_id=tenant_id).review_threshold
        return self._settings.review_threshold if own is None else own
