"""Caseworkers' decisions as database rows, made from the demo letters, for the tests of
training from feedback (the service, the scheduler and ``triage train --from-feedback``)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from triage.db.models import Document, DocumentStatus, LabelledExample
from triage.db.session import transaction
from triage.demo import load_demo_letters
from triage.taxonomy import CaseType, Taxonomy
from triage.taxonomy.store import store_tenant_taxonomy
from triage.tenants import get_tenant

CASE_TYPES = ("hundesteuer", "kita", "abfall", "standesamt")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def vague_taxonomy() -> Taxonomy:
    """Four case types whose descriptions say nothing about their letters: zero-shot from
    them is guesswork, so the caseworkers' decisions must teach the model."""
    return Taxonomy(
        name="vage",
        case_types=[
            CaseType(
                key=key,
                name=f"Vorgang {number}",
                description=f"Vorgang der Gruppe {number} im Bürgerservice.",
                queue=f"team-{number}",
                sla_days=10,
            )
            for number, key in enumerate(CASE_TYPES, start=1)
        ],
    )


def letters_round_robin() -> list[tuple[str, str]]:
    """(case type, text) of the demo letters of ``CASE_TYPES``, classes interleaved, so
    both the older and the newest decisions hold every case type."""
    by_type: dict[str, list[str]] = {key: [] for key in CASE_TYPES}
    for letter in load_demo_letters():
        if letter.case_type in by_type:
            by_type[letter.case_type].append(letter.text)
    rows: list[tuple[str, str]] = []
    for i in range(max(len(texts) for texts in by_type.values())):
        rows.extend((key, texts[i]) for key, texts in by_type.items() if i < len(texts))
    return rows


def use_vague_taxonomy(factory: sessionmaker[Session], *, tenant: str) -> Taxonomy:
    taxonomy = vague_taxonomy()
    with transaction(factory) as session:
        record = get_tenant(session, name=tenant)
        assert record is not None
        store_tenant_taxonomy(session, tenant_id=record.id, taxonomy=taxonomy, source="test")
    return taxonomy


def add_decisions(
    factory: sessionmaker[Session],
    *,
    tenant: str,
    decisions: list[tuple[str, str]],
    start: datetime = START,
) -> list[uuid.UUID]:
    """One routed document per (case type, text) with a caseworker's decision on it, an
    hour apart from ``start`` on; returns the document ids."""
    ids = []
    with transaction(factory) as session:
        record = get_tenant(session, name=tenant)
        assert record is not None
        for i, (case_type, text) in enumerate(decisions):
            at = start + timedelta(hours=i)
            document = Document(
                tenant_id=record.id,
                sha256=hashlib.sha256(f"{tenant}:{start}:{i}:{text}".encode()).hexdigest(),
                filename=f"brief-{i}.txt",
                media_type="text/plain",
                size_bytes=len(text.encode()),
                channel="upload",
                received_at=at,
                status=DocumentStatus.DONE,
                text=text,
                text_chars=len(text),
                case_type=case_type,
            )
            session.add(document)
            session.flush()
            session.add(
                LabelledExample(
                    tenant_id=record.id,
                    document_id=document.id,
                    case_type=case_type,
                    predicted_case_type=case_type,
                    source="completed",
                    actor_kind="api_key",
                    actor_id=None,
                    actor_name="Sachbearbeitung",
                    created_at=at,
                )
            )
            ids.append(document.id)
    return ids
