"""Browser sessions of signed-in people: started at sign-in, checked on every request,
ended by logout, by idle time or by the absolute limit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.db.models import User, WebSession
from triage.db.types import utcnow


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=60)
    longest: timedelta = timedelta(hours=10)


@dataclass(frozen=True)
class StartedSession:
    token: str  # for the cookie; only its hash is stored
    csrf_token: str


@dataclass(frozen=True)
class ActiveSession:
    user: User
    record: WebSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, *, user: User, policy: SessionPolicy) -> StartedSession:
    now = utcnow()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_hash(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.longest,
        )
    )
    return StartedSession(token, csrf)


def resolve_session(
    session: Session, *, token: str, policy: SessionPolicy, now: datetime | None = None
) -> ActiveSession | None:
    """The session's user when the session is live and the account usable; marks the
    session as seen (the caller commits)."""
    now = now or utcnow()
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == _hash(token))
    ).one_or_none()
    if row is None:
        return None
    record, user = row
    idle_over = record.last_seen_at + policy.idle <= now
    if record.ended_at is not None or record.expires_at <= now or idle_over:
        return None
    if user.disabled_at is not None:
        return None
    # A minute is precise enough, and spares a write on most requests.
    if now - record.last_seen_at > timedelta(minutes=1):
        record.last_seen_at = now
    return ActiveSession(user, record)


def end_session(session: Session, *, token: str) -> None:
    record = session.scalar(select(WebSession).where(WebSession.token_hash == _hash(token)))
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()
