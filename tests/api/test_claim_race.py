"""Two people claim from a small queue at the same moment on PostgreSQL: the first claim
locks its page of candidates; the second must wait for those rows, not report the queue
empty while a document is still free."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.conftest import TenantKeys
from tests.figures.history import History
from triage.actors import Actor, ActorKind
from triage.db.models import Document, Role
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.queues.claim import claim_next
from triage.services import Services
from triage.tenants import require_tenant


def test_a_claim_waits_for_rows_another_claim_has_locked(
    services: Services, tenant_a: TenantKeys
) -> None:
    if services.engine.dialect.name != "postgresql":
        pytest.skip("row locks with SKIP LOCKED: PostgreSQL (SQLite serialises writers)")
    with transaction(services.session_factory) as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
        history = History(session, tenant_id)
        received = utcnow() - timedelta(hours=1)
        first, second = (history.letter(received=received, queue="soziales") for _ in range(2))
        first_id, second_id = first.id, second.id
    other = services.session_factory()
    # The other claim: both rows locked as its candidate page, the first one taken.
    other.execute(
        select(Document.id).where(Document.id.in_([first_id, second_id])).with_for_update()
    )

    def finish_other_claim() -> None:
        other.execute(
            update(Document)
            .where(Document.id == first_id)
            .values(claimed_by_kind="user", claimed_by_id="other", claimed_by_name="Other",
                    lease_expires_at=utcnow() + timedelta(minutes=30))
        )  # fmt: skip
        other.commit()

    timer = threading.Timer(0.5, finish_other_claim)
    timer.start()
    actor = Actor(
        kind=ActorKind.USER, id="me", name="Me", tenant_id=tenant_id, role=Role.CASEWORKER
    )
    try:
        with transaction(services.session_factory) as session:
            claimed = claim_next(session, actor=actor, queue="soziales", lease_seconds=60)
            claimed_id = claimed.id if claimed is not None else None
    finally:
        timer.join()
        other.close()
    assert claimed_id == second_id
