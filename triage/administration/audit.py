"""Every administrative change, with who made it: users, API keys, case types, rules,
baselines, grants. Written in the same transaction as the change itself, so neither is
kept without the other."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.actors import Actor
from triage.db.models import AdminEvent


def record_admin_change(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    actor: Actor,
    action: str,
    target: str,
    detail: dict[str, Any] | None = None,
) -> AdminEvent:
    """``action`` is a dotted name such as ``user.created``; ``target`` names what was
    changed (a user name, a key's name, a case type). Never put secrets in ``detail``."""
    event = AdminEvent(
        tenant_id=tenant_id,
        actor_kind=actor.kind.value,
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        target=target[:200],
        detail=detail,
    )
    session.add(event)
    return event


def admin_changes(
    session: Session, *, tenant_id: uuid.UUID, limit: int = 200, before: int | None = None
) -> list[AdminEvent]:
    """The tenant's changes, newest first; ``before`` (an event id) pages further back."""
    query = select(AdminEvent).where(AdminEvent.tenant_id == tenant_id)
    if before is not None:
        query = query.where(AdminEvent.id < before)
    return list(session.scalars(query.order_by(AdminEvent.id.desc()).limit(limit)))
