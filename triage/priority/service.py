"""A tenant's priority policy in the database, and priorities applied to documents."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from triage.db.models import Document, DocumentStatus, TenantPriorityPolicy
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.priority.policy import PriorityPolicy, parse_policy
from triage.priority.score import (
    Priority,
    PriorityFacts,
    prioritise,
    priority_now,
    waiting_component,
)

log = logging.getLogger(__name__)
OPEN_STATES = (DocumentStatus.ROUTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED)
RECOMPUTE_CHUNK = 5000


def tenant_policy(
    session: Session, *, tenant_id: uuid.UUID, default: PriorityPolicy
) -> PriorityPolicy:
    stored = stored_tenant_policy(session, tenant_id=tenant_id)
    if stored is None:
        return default
    return parse_policy(stored.content, source=f"policy of tenant {tenant_id}")


def stored_tenant_policy(session: Session, *, tenant_id: uuid.UUID) -> TenantPriorityPolicy | None:
    """The tenant's own policy row (with when it was loaded and applied), if any."""
    return session.scalar(
        select(TenantPriorityPolicy).where(TenantPriorityPolicy.tenant_id == tenant_id)
    )


def store_tenant_policy(
    session: Session, *, tenant_id: uuid.UUID, policy: PriorityPolicy, source: str
) -> None:
    stored = stored_tenant_policy(session, tenant_id=tenant_id)
    if stored is None:
        stored = TenantPriorityPolicy(tenant_id=tenant_id)
        session.add(stored)
    stored.content = policy.model_dump(mode="json")
    stored.source = source[:500]
    stored.loaded_at = utcnow()
    stored.rescored_at = None


def _stored(priority: Priority) -> dict[str, Any]:
    return {
        "components": [c.to_json() for c in priority.components],
        "waiting_per_day": priority.rate,
    }


def apply_priority(document: Document, priority: Priority | None) -> None:
    if priority is None:
        document.priority_facts = document.priority_components = None
        document.priority_base = document.priority_key = None
        return
    document.priority_facts = priority.facts.to_json()
    document.priority_components = _stored(priority)
    document.priority_base = priority.base
    document.priority_key = priority.key


def current_priority(
    *, key: float | None, components: dict[str, Any] | None, received_at: datetime, now: datetime
) -> tuple[float | None, list[dict[str, Any]]]:
    """The priority now and its reasons: the stored components plus waiting time at the
    rate they were stored with, so reading needs no policy and never goes stale."""
    if key is None or components is None:
        return None, []
    rate = float(components.get("waiting_per_day", 0.0))
    waiting = waiting_component(received_at, now, rate)
    reasons = [*components.get("components", []), waiting.to_json()]
    return round(priority_now(key, now, rate), 2), reasons


def _open_rows(session: Session, tenant_id: uuid.UUID) -> Iterator[list[tuple[object, ...]]]:
    last: uuid.UUID | None = None
    while True:
        query = (
            select(Document.id, Document.received_at, Document.priority_facts)
            .where(
                Document.tenant_id == tenant_id,
                Document.status.in_([s.value for s in OPEN_STATES]),
                Document.completed_at.is_(None),
                Document.priority_facts.is_not(None),
            )
            .order_by(Document.id)
            .limit(RECOMPUTE_CHUNK)
        )
        if last is not None:
            query = query.where(Document.id > last)
        rows = [tuple(row) for row in session.execute(query).all()]
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def recompute_priorities(session: Session, *, tenant_id: uuid.UUID, policy: PriorityPolicy) -> int:
    """Re-scores every open document of the tenant from its stored facts (after a policy
    change); the letters are not read again. Returns the number of documents. Marks the
    tenant's stored policy as applied, unless it was stored again meanwhile."""
    started = utcnow()
    count = 0
    for rows in _open_rows(session, tenant_id):
        changes = []
        for document_id, received_at, facts in rows:
            priority = prioritise(
                PriorityFacts.from_json(facts),  # type: ignore[arg-type]
                received_at=received_at,  # type: ignore[arg-type]
                policy=policy,
            )
            changes.append(
                {
                    "id": document_id,
                    "priority_components": _stored(priority),
                    "priority_base": priority.base,
                    "priority_key": priority.key,
                }
            )
        session.execute(update(Document), changes)
        count += len(changes)
    session.execute(
        update(TenantPriorityPolicy)
        .where(
            TenantPriorityPolicy.tenant_id == tenant_id,
            TenantPriorityPolicy.loaded_at <= started,
        )
        .values(rescored_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return count


class PriorityPolicies:
    """Each tenant's policy: its own when loaded, else the installation's default."""

    def __init__(self, *, session_factory: sessionmaker[Session], default: PriorityPolicy) -> None:
        self._factory = session_factory
        self.default = default

    def for_tenant(self, tenant_id: uuid.UUID) -> PriorityPolicy:
        with self._factory() as session:
            return tenant_policy(session, tenant_id=tenant_id, default=self.default)

    def land_for(self, tenant_id: uuid.UUID) -> str | None:
        """The tenant's Land: whose public holidays end its deadlines."""
        return self.for_tenant(tenant_id).land


class PolicyRescorer:
    """The worker's idle task: re-scores the open documents of each tenant whose policy
    was stored without re-scoring (through the API), so the request stays short."""

    def __init__(self, *, session_factory: sessionmaker[Session], default: PriorityPolicy) -> None:
        self._factory = session_factory
        self._default = default

    def run_due(self, now: datetime, *, alive: Callable[[], None] = lambda: None) -> int:
        with self._factory() as session:
            pending = session.scalars(
                select(TenantPriorityPolicy.tenant_id).where(
                    TenantPriorityPolicy.rescored_at.is_(None)
                )
            ).all()
        for tenant_id in pending:
            with transaction(self._factory) as session:
                policy = tenant_policy(session, tenant_id=tenant_id, default=self._default)
                count = recompute_priorities(session, tenant_id=tenant_id, policy=policy)
            log.info(
                "tenant %s: %d open documents re-scored under its new policy", tenant_id, count
            )
            alive()
        return len(pending)
