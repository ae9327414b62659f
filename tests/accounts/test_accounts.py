"""People's accounts: creation rules, signing in with lockout, the actor and its queues.

Real database (SQLite and PostgreSQL) and real Argon2 hashes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import TenantKeys
from triage.accounts.passwords import WeakPasswordError, needs_rehash
from triage.accounts.service import (
    AccountError,
    LoginError,
    LoginPolicy,
    authenticate_password,
    create_user,
    user_actor,
)
from triage.actors import ActorKind
from triage.db.models import Role, User
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.queues.service import QueueNotAllowedError, claim_next
from triage.services import Services
from triage.tenants import require_tenant

PASSWORD = "Lindenblüte-2026!"
POLICY = LoginPolicy(max_failures=3, lockout=timedelta(minutes=15))


def _create(services: Services, keys: TenantKeys, username: str, **options: object) -> None:
    with transaction(services.session_factory) as session:
        tenant = require_tenant(session, name=keys.name)
        create_user(
            session,
            tenant=tenant,
            username=username,
            password=str(options.pop("password", PASSWORD)),
            role=options.pop("role", Role.CASEWORKER),  # type: ignore[arg-type]
            **options,  # type: ignore[arg-type]
        )


def _sign_in(services: Services, username: str, password: str, **options: object) -> User:
    with transaction(services.session_factory) as session:
        result = authenticate_password(
            session,
            username=username,
            password=password,
            policy=POLICY,
            **options,  # type: ignore[arg-type]
        )
        if result.user is not None:
            session.flush()
            session.expunge(result.user)
    # Raised after the commit: a failure is counted, as in the sign-in page.
    return result.signed_in()


def test_a_person_signs_in_with_the_right_password_only(
    services: Services, tenant_a: TenantKeys
) -> None:
    _create(services, tenant_a, "Berger", display_name="Frau Berger", queues=["soziales"])
    user = _sign_in(services, "berger", PASSWORD)  # names are case-insensitive
    actor = user_actor(user)
    assert (actor.kind, actor.name, actor.role) == (ActorKind.USER, "Frau Berger", Role.CASEWORKER)
    assert user.password_hash.startswith("$argon2id$") and not needs_rehash(user.password_hash)
    assert user.last_login_at is not None
    with pytest.raises(LoginError, match="user name or password is wrong"):
        _sign_in(services, "berger", PASSWORD + "x")
    with pytest.raises(LoginError, match="user name or password is wrong"):
        _sign_in(services, "niemand", PASSWORD)


def test_repeated_failures_lock_the_account_for_a_while(
    services: Services, tenant_a: TenantKeys
) -> None:
    _create(services, tenant_a, "berger")
    for _ in range(POLICY.max_failures):
        with pytest.raises(LoginError):
            _sign_in(services, "berger", "falsch-falsch-falsch")
    # Locked: even the right password is refused now …
    with pytest.raises(LoginError, match="locked") as locked:
        _sign_in(services, "berger", PASSWORD)
    assert locked.value.locked_until is not None
    # … and accepted once the lockout is over.
    later = utcnow() + POLICY.lockout + timedelta(seconds=1)
    assert _sign_in(services, "berger", PASSWORD, now=later).failed_logins == 0


def test_a_disabled_account_cannot_sign_in(services: Services, tenant_a: TenantKeys) -> None:
    _create(services, tenant_a, "berger")
    with transaction(services.session_factory) as session:
        user = session.query(User).filter_by(username="berger").one()
        user.disabled_at = utcnow()
    with pytest.raises(LoginError, match="disabled"):
        _sign_in(services, "berger", PASSWORD)


@pytest.mark.parametrize(
    ("username", "options", "message"),
    [
        ("x", {}, "invalid user name"),
        ("poststelle", {"role": Role.INTAKE}, "for API keys"),
        ("kurz", {"password": "zu-kurz"}, "at least 12 characters"),
    ],
)
def test_bad_accounts_are_refused_with_the_reason(
    services: Services,
    tenant_a: TenantKeys,
    username: str,
    options: dict[str, object],
    message: str,
) -> None:
    with pytest.raises((AccountError, WeakPasswordError), match=message):
        _create(services, tenant_a, username, **options)


def test_user_names_are_unique_across_tenants(
    services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    _create(services, tenant_a, "berger")
    with pytest.raises(AccountError, match="taken"):
        _create(services, tenant_b, "Berger")


def test_a_person_limited_to_queues_cannot_claim_from_others(
    services: Services, tenant_a: TenantKeys
) -> None:
    _create(services, tenant_a, "berger", queues=["soziales"])
    actor = user_actor(_sign_in(services, "berger", PASSWORD))
    assert actor.may_work("soziales") and not actor.may_work("steuern")
    with transaction(services.session_factory) as session:
        assert claim_next(session, actor=actor, queue="soziales", lease_seconds=60) is None
        with pytest.raises(QueueNotAllowedError):
            claim_next(session, actor=actor, queue="steuern", lease_seconds=60)
