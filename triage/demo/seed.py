"""Loads the demo letters into the demo tenant through the normal intake path.

Used by ``triage serve --demo`` (the README's first command) and never in production
(``TRIAGE_DEMO=false`` is the default). The letters get received dates spread over the
last four weeks, so the queues show realistic ages.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from triage.actors import Actor, ActorKind
from triage.db.models import Document, Role
from triage.db.types import utcnow
from triage.demo.letters import load_demo_letters
from triage.intake.service import DocumentCreate, IntakeService, spool_bytes
from triage.services import Services

DEMO_WINDOW_HOURS = 28 * 24


@dataclass(frozen=True)
class DemoSeedResult:
    loaded: int
    skipped: bool


def demo_loader(tenant_id: uuid.UUID) -> Actor:
    return Actor(
        kind=ActorKind.SYSTEM,
        id="demo-loader",
        name="Demo-Daten",
        tenant_id=tenant_id,
        role=Role.INTAKE,
    )


def seed_demo_letters(services: Services, *, tenant_id: uuid.UUID) -> DemoSeedResult:
    """Uploads every demo letter once; does nothing when the tenant already has documents."""
    with services.session_factory() as session:
        existing = session.scalar(
            select(func.count()).select_from(Document).where(Document.tenant_id == tenant_id)
        )
    if existing:
        return DemoSeedResult(loaded=0, skipped=True)
    letters = load_demo_letters()
    now = utcnow()
    actor = demo_loader(tenant_id)
    intake: IntakeService = services.intake
    loaded = 0
    with tempfile.TemporaryDirectory(dir=services.settings.data_dir) as spool:
        for index, letter in enumerate(letters):
            # Deterministic spread over the window, in German office hours (07–16 UTC).
            age = timedelta(hours=DEMO_WINDOW_HOURS * (len(letters) - index) / len(letters))
            received = (now - age).replace(
                hour=7 + index % 9, minute=(index * 7) % 60, second=0, microsecond=0
            )
            received = min(received, now)
            spooled = spool_bytes(Path(spool), filename=letter.filename, data=letter.data)
            outcomes = intake.accept_files(
                actor=actor,
                files=[spooled],
                metadata=DocumentCreate(channel=letter.channel, received_at=received),
            )
            loaded += sum(o.document_id is not None for o in outcomes)
    return DemoSeedResult(loaded=loaded, skipped=False)
