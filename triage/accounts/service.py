"""People's accounts: creating them, signing in with lockout, the actor they act as, and
an admin's changes to them (each recorded with its actor, in the change's transaction)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from triage.accounts.passwords import hash_password, needs_rehash, verify_password
from triage.actors import Actor, ActorKind
from triage.administration.audit import record_admin_change
from triage.db.models import Role, Tenant, User, WebSession
from triage.db.types import utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# People sign in to work cases; intake is a machine's job and keeps its API keys.
PERSON_ROLES = (Role.CASEWORKER, Role.TEAMLEAD, Role.ADMIN, Role.RELIEF)


class AccountError(ValueError):
    """The account cannot be created or changed; the message says why, ``code`` for the
    pages' own wording (invalid_username, role_for_keys, taken, own_account, own_admin_role,
    empty_name)."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


class LoginError(Exception):
    """Signing in failed: ``code`` is refused (the same for an unknown name and a wrong
    password), locked (with ``locked_until``) or disabled."""

    def __init__(
        self, message: str, *, code: str = "refused", locked_until: datetime | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.locked_until = locked_until


@dataclass(frozen=True)
class LoginResult:
    """The signed-in user, or the failure: returned, not raised, so that the caller's
    transaction commits the failure count that the lockout depends on."""

    user: User | None
    error: LoginError | None = None

    def signed_in(self) -> User:
        if self.user is None:
            raise self.error or LoginError("not signed in")
        return self.user


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)


def create_user(
    session: Session,
    *,
    tenant: Tenant,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    queues: Sequence[str] | None = None,
    actor: Actor | None = None,
) -> User:
    """``actor``: who creates the account, recorded as an admin change (none: not
    recorded, as for the demo data)."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError(
            f"invalid user name {username!r}: 2–64 lower-case letters, digits, '.', '-', '_'",
            code="invalid_username",
        )
    if role not in PERSON_ROLES:
        raise AccountError(
            f"role {role.value!r} is for API keys; people are "
            + ", ".join(r.value for r in PERSON_ROLES),
            code="role_for_keys",
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"the user name {username!r} is taken", code="taken")
    user = User(
        tenant_id=tenant.id,
        username=username,
        display_name=(display_name or username).strip(),
        role=role.value,
        password_hash=hash_password(password),
        queues=sorted(set(queues)) if queues else None,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    if actor is not None:
        _record(session, actor, user, "user.created", _profile(user))
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None


def find_user(session: Session, *, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def user_actor(user: User) -> Actor:
    return Actor(
        kind=ActorKind.USER,
        id=str(user.id),
        name=user.display_name,
        tenant_id=user.tenant_id,
        role=Role(user.role),
        queues=frozenset(user.queues) if user.queues else None,
    )


def authenticate_password(
    session: Session,
    *,
    username: str,
    password: str,
    policy: LoginPolicy,
    now: datetime | None = None,
) -> LoginResult:
    """The user when the password is right and the account usable. A wrong password
    counts towards the lockout: the caller commits the session whatever the result."""
    now = now or utcnow()
    user = find_user(session, username=username)
    refused = "user name or password is wrong"
    if user is None:
        verify_password(None, password)  # as slow as a wrong password
        return LoginResult(None, LoginError(refused))
    if user.locked_until is not None and user.locked_until > now:
        locked = "the account is locked after too many failed attempts"
        return LoginResult(None, LoginError(locked, code="locked", locked_until=user.locked_until))
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + policy.lockout
            user.failed_logins = 0
        code = "locked" if user.locked_until is not None else "refused"
        return LoginResult(None, LoginError(refused, code=code, locked_until=user.locked_until))
    if user.disabled_at is not None:
        return LoginResult(None, LoginError("the account is disabled", code="disabled"))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(user)


def list_users(session: Session, *, tenant: Tenant) -> list[User]:
    return list(
        session.scalars(select(User).where(User.tenant_id == tenant.id).order_by(User.username))
    )


# An admin's changes to accounts. Each records itself (``triage.administration.audit``)
# in the caller's transaction; details carry before and after, never a password.


def tenant_user(session: Session, *, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    """The user with this id if it belongs to this tenant: another tenant's is none."""
    return session.scalar(select(User).where(User.id == user_id, User.tenant_id == tenant_id))


def account_state(user: User, *, now: datetime | None = None) -> str:
    """active, disabled, or locked (too many failed sign-ins, for a while)."""
    now = now or utcnow()
    if user.disabled_at is not None:
        return "disabled"
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    return "active"


def update_user(
    session: Session,
    *,
    user: User,
    actor: Actor,
    role: Role | None = None,
    queues: Sequence[str] | None = None,
    display_name: str | None = None,
) -> list[str]:
    """Changes what is given (``queues``: empty for every queue; ``None`` leaves each
    alone) and returns the recorded actions. Admins cannot take their own admin role."""
    if display_name is not None and not display_name.strip():
        raise AccountError("the display name is empty", code="empty_name")
    done: list[str] = []
    if role is not None and role.value != user.role:
        if role not in PERSON_ROLES:
            raise AccountError(f"role {role.value!r} is for API keys", code="role_for_keys")
        if _is_self(actor, user) and user.role == Role.ADMIN:
            raise AccountError("you cannot take away your own admin role", code="own_admin_role")
        change = {"role": _change(user.role, role.value)}
        _record(session, actor, user, "user.role_changed", change)
        user.role = role.value
        done.append("user.role_changed")
    if queues is not None:
        wanted = sorted(set(queues)) or None
        if wanted != user.queues:
            change = {"queues": _change(user.queues, wanted)}
            _record(session, actor, user, "user.queues_changed", change)
            user.queues = wanted
            done.append("user.queues_changed")
    if display_name is not None and display_name.strip() != user.display_name:
        change = {"display_name": _change(user.display_name, display_name.strip())}
        _record(session, actor, user, "user.renamed", change)
        user.display_name = display_name.strip()
        done.append("user.renamed")
    return done


def disable_user(session: Session, *, user: User, actor: Actor) -> bool:
    """The account can no longer sign in and its open sessions end; its history stays.
    False when it was disabled already."""
    if _is_self(actor, user):
        raise AccountError("you cannot disable your own account", code="own_account")
    if user.disabled_at is not None:
        return False
    user.disabled_at = utcnow()
    ended = end_user_sessions(session, user=user)
    _record(session, actor, user, "user.disabled", {"sessions_ended": ended})
    return True


def enable_user(session: Session, *, user: User, actor: Actor) -> bool:
    """Lets a disabled or locked-out account sign in again; False when it could already."""
    if account_state(user) == "active":
        return False
    detail = {"state": _change(account_state(user), "active")}
    user.disabled_at = None
    user.locked_until = None
    user.failed_logins = 0
    _record(session, actor, user, "user.enabled", detail)
    return True


def reset_password(session: Session, *, user: User, password: str, actor: Actor) -> int:
    """Sets a new password (lifting a lockout) and ends the user's open sessions, whose
    browsers must sign in again; returns how many ended. Raises WeakPasswordError."""
    set_password(session, user=user, password=password)
    ended = end_user_sessions(session, user=user)
    _record(session, actor, user, "user.password_reset", {"sessions_ended": ended})
    return ended


def end_user_sessions(session: Session, *, user: User) -> int:
    """Ends every open web session of the user (effective at their next request)."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _is_self(actor: Actor, user: User) -> bool:
    return actor.kind == ActorKind.USER and actor.id == str(user.id)


def _profile(user: User) -> dict[str, Any]:
    return {"display_name": user.display_name, "role": user.role, "queues": user.queues}


def _change(before: Any, after: Any) -> dict[str, Any]:
    return {"before": before, "after": after}


def _record(
    session: Session, actor: Actor, user: User, action: str, detail: dict[str, Any]
) -> None:
    record_admin_change(
        session,
        tenant_id=user.tenant_id,
        actor=actor,
        action=action,
        target=user.username,
        detail=detail,
    )
