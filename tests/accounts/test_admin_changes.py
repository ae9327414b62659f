"""An admin's changes to accounts (``triage.accounts.service``): each recorded with its
actor and before/after, the admin's own account protected, sessions ended."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import TenantKeys
from triage.accounts.service import (
    AccountError,
    account_state,
    create_user,
    disable_user,
    enable_user,
    reset_password,
    tenant_user,
    update_user,
    user_actor,
)
from triage.accounts.sessions import SessionPolicy, resolve_session, start_session
from triage.administration.audit import admin_changes
from triage.db.models import Role, User
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.services import Services
from triage.tenants import require_tenant

PASSWORD = "Lindenblüte-2026!"


def _users(services: Services, keys: TenantKeys) -> tuple[User, User]:
    with transaction(services.session_factory) as session:
        tenant = require_tenant(session, name=keys.name)
        admin = create_user(
            session, tenant=tenant, username="chefin", password=PASSWORD, role=Role.ADMIN
        )
        worker = create_user(
            session,
            tenant=tenant,
            username="berger",
            password=PASSWORD,
            role=Role.CASEWORKER,
            queues=["soziales"],
            actor=user_actor(admin),
        )
        session.flush()
        session.expunge_all()
    return admin, worker


def test_changes_are_recorded_with_before_and_after(
    services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    admin, worker = _users(services, tenant_a)
    with transaction(services.session_factory) as session:
        other = require_tenant(session, name=tenant_b.name).id
        assert tenant_user(session, tenant_id=other, user_id=worker.id) is None
        user = tenant_user(session, tenant_id=worker.tenant_id, user_id=worker.id)
        assert user is not None
        token = start_session(session, user=user, policy=SessionPolicy()).token
        actor = user_actor(admin)
        done = update_user(
            session, user=user, actor=actor, role=Role.RELIEF, queues=[], display_name="Berger"
        )
        assert done == ["user.role_changed", "user.queues_changed", "user.renamed"]
        assert update_user(session, user=user, actor=actor, role=Role.RELIEF, queues=[]) == []
        assert reset_password(session, user=user, password="ein-neues-Passwort", actor=actor) == 1
        assert resolve_session(session, token=token, policy=SessionPolicy()) is None
        assert disable_user(session, user=user, actor=actor) is True
        assert disable_user(session, user=user, actor=actor) is False
        assert account_state(user) == "disabled"
        assert enable_user(session, user=user, actor=actor) is True
        user.locked_until = utcnow() + timedelta(minutes=5)
        assert account_state(user) == "locked"
        assert enable_user(session, user=user, actor=actor) is True
        assert enable_user(session, user=user, actor=actor) is False
    with services.session_factory() as session:
        events = admin_changes(session, tenant_id=worker.tenant_id)
    assert [e.action for e in reversed(events)] == [
        "user.created",
        "user.role_changed",
        "user.queues_changed",
        "user.renamed",
        "user.password_reset",
        "user.disabled",
        "user.enabled",
        "user.enabled",
    ]
    by_action = {e.action: e.detail for e in events}
    assert by_action["user.role_changed"] == {"role": {"before": "caseworker", "after": "relief"}}
    assert by_action["user.queues_changed"] == {"queues": {"before": ["soziales"], "after": None}}
    assert by_action["user.password_reset"] == {"sessions_ended": 1}
    assert {e.actor_name for e in events} == {"chefin"} and {e.target for e in events} == {"berger"}


def test_an_admin_keeps_their_own_account_and_role(
    services: Services, tenant_a: TenantKeys
) -> None:
    admin, _ = _users(services, tenant_a)
    with transaction(services.session_factory) as session:
        me = session.get(User, admin.id)
        assert me is not None
        with pytest.raises(AccountError) as own:
            disable_user(session, user=me, actor=user_actor(admin))
        assert own.value.code == "own_account"
        with pytest.raises(AccountError) as role:
            update_user(session, user=me, actor=user_actor(admin), role=Role.TEAMLEAD)
        assert role.value.code == "own_admin_role"
        with pytest.raises(AccountError, match="display name is empty"):
            update_user(session, user=me, actor=user_actor(admin), display_name="  ")
        assert (me.role, me.disabled_at) == ("admin", None)
