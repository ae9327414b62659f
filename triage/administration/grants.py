"""Inter-municipal help: an admin of tenant A grants a named person of tenant B access to
one of A's queues for a time. The grant is checked on every request of that person, so a
revocation or the end of the period takes effect at the next one; every document event
under it names the grant (``triage.documents.service.record_event``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage.actors import Actor, ActorKind
from triage.administration.audit import record_admin_change
from triage.db.models import Document, QueueGrant, Role, Tenant, User
from triage.queues.common import as_utc

LONGEST_GRANT = timedelta(days=366)


class GrantError(ValueError):
    """The grant cannot be made or changed; the message (German) says why."""


@dataclass(frozen=True)
class GrantView:
    """A grant with the names a page shows."""

    grant: QueueGrant
    username: str
    display_name: str
    user_tenant: str
    granting_tenant: str

    def active(self, now: datetime) -> bool:
        return is_active(self.grant, now)


def is_active(grant: QueueGrant, now: datetime) -> bool:
    starts, expires = as_utc(grant.starts_at), as_utc(grant.expires_at)
    assert starts is not None and expires is not None
    return grant.revoked_at is None and starts <= now < expires


def create_grant(
    session: Session,
    *,
    tenant: Tenant,
    queue: str,
    queues: list[str],
    username: str,
    starts_at: datetime,
    expires_at: datetime,
    actor: Actor,
) -> QueueGrant:
    """``queues``: the tenant's queues, one of which is granted."""
    if queue not in queues:
        raise GrantError(f"Unbekannte Warteschlange „{queue}“.")
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or user.disabled_at is not None:
        raise GrantError(f"Kein aktives Konto „{username}“.")
    if user.tenant_id == tenant.id:
        raise GrantError(
            "Das Konto gehört zu dieser Kommune: Warteschlangen dort unter Benutzer zuweisen."
        )
    if user.role not in (Role.CASEWORKER, Role.TEAMLEAD, Role.ADMIN):
        raise GrantError("Freigaben gibt es nur für Sachbearbeitung, Teamleitung und Verwaltung.")
    if expires_at <= starts_at:
        raise GrantError("Das Ende der Freigabe muss nach ihrem Beginn liegen.")
    if expires_at - starts_at > LONGEST_GRANT:
        raise GrantError("Eine Freigabe gilt höchstens ein Jahr.")
    grant = QueueGrant(
        tenant_id=tenant.id,
        queue=queue,
        user_id=user.id,
        starts_at=starts_at,
        expires_at=expires_at,
        granted_by=actor.name,
    )
    session.add(grant)
    session.flush()
    record_admin_change(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="grant.created",
        target=user.username,
        detail={
            "grant": grant.id,
            "queue": queue,
            "starts_at": starts_at.isoformat(),
            "expires_at": expires_at.isoformat(),
        },
    )
    return grant


def revoke_grant(
    session: Session, *, tenant_id: uuid.UUID, grant_id: int, actor: Actor, now: datetime
) -> QueueGrant:
    """Ends the grant now; what the person holds in the queue goes back to it."""
    grant = session.scalar(
        select(QueueGrant).where(QueueGrant.id == grant_id, QueueGrant.tenant_id == tenant_id)
    )
    if grant is None:
        raise GrantError("Freigabe nicht gefunden.")
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = now
    grant.revoked_by = actor.name
    session.execute(
        update(Document)
        .where(
            Document.tenant_id == tenant_id,
            Document.queue == grant.queue,
            Document.claimed_by_kind == ActorKind.USER.value,
            Document.claimed_by_id == str(grant.user_id),
        )
        .values(
            claimed_by_kind=None,
            claimed_by_id=None,
            claimed_by_name=None,
            claimed_at=None,
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    user = session.get(User, grant.user_id)
    record_admin_change(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="grant.revoked",
        target=user.username if user is not None else str(grant.user_id),
        detail={"grant": grant.id, "queue": grant.queue},
    )
    return grant


def _views(session: Session, query: object) -> list[GrantView]:
    granting = Tenant.__table__.alias("granting")
    home = Tenant.__table__.alias("home")
    rows = session.execute(
        select(
            QueueGrant,
            User.username,
            User.display_name,
            home.c.display_name,
            granting.c.display_name,
        )
        .join(User, User.id == QueueGrant.user_id)
        .join(home, home.c.id == User.tenant_id)
        .join(granting, granting.c.id == QueueGrant.tenant_id)
        .where(query)  # type: ignore[arg-type]
        .order_by(QueueGrant.expires_at.desc(), QueueGrant.id.desc())
    ).all()
    return [GrantView(*row) for row in rows]


def grants_of_tenant(session: Session, *, tenant_id: uuid.UUID) -> list[GrantView]:
    """What the tenant has granted, newest end first."""
    return _views(session, QueueGrant.tenant_id == tenant_id)


def grants_for_user(session: Session, *, user_id: uuid.UUID, now: datetime) -> list[GrantView]:
    """The grants a person may use now."""
    return [v for v in _views(session, QueueGrant.user_id == user_id) if v.active(now)]


def usable_grant(
    session: Session, *, grant_id: int, user_id: uuid.UUID, now: datetime
) -> GrantView | None:
    """The grant if it is this person's and active now; None otherwise."""
    found = _views(session, QueueGrant.id == grant_id)
    if not found or found[0].grant.user_id != user_id or not found[0].active(now):
        return None
    return found[0]


def grant_actor(user: User, view: GrantView) -> Actor:
    """The person as they act in the granting tenant: a caseworker of the one queue."""
    return Actor(
        kind=ActorKind.USER,
        id=str(user.id),
        name=f"{user.display_name} ({view.user_tenant})",
        tenant_id=view.grant.tenant_id,
        role=Role.CASEWORKER,
        queues=frozenset({view.grant.queue}),
        grant_id=view.grant.id,
        home_tenant=view.user_tenant,
    )
