"""People's accounts: creating them, signing in with lockout, and the actor they act as."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.accounts.passwords import hash_password, needs_rehash, verify_password
from triage.actors import Actor, ActorKind
from triage.db.models import Role, Tenant, User
from triage.db.types import utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# People sign in to work cases; intake is a machine's job and keeps its API keys.
PERSON_ROLES = (Role.CASEWORKER, Role.TEAMLEAD, Role.ADMIN)


class AccountError(ValueError):
    """The account cannot be created or changed; the message says why."""


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
) -> User:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError(
            f"invalid user name {username!r}: 2–64 lower-case letters, digits, '.', '-', '_'"
        )
    if role not in PERSON_ROLES:
        raise AccountError(
            f"role {role.value!r} is for API keys; people are "
            + ", ".join(r.value for r in PERSON_ROLES)
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"the user name {username!r} is taken")
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
