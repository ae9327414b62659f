"""Migrations upgrade a database that holds data, on both engines, and end where the
models are."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from tests.conftest import postgres_admin_url
from triage.db.migrate import upgrade
from triage.db.models import Base
from triage.db.session import create_db_engine
from triage.db.types import UTCDateTime

# Before the priority migration: every later one alters the documents table, which other
# tables reference (on SQLite that means copying the table while they point at it).
OLD_REVISION = "0004"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        yield engine
        engine.dispose()
        return
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip("PostgreSQL not configured; scripts/test.sh starts one")
    name = f"triage_migrate_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = create_db_engine(make_url(admin_url).set(database=name).render_as_string(False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _table(table: str, **types: sa.types.TypeEngine[object]) -> sa.TableClause:
    """The old table as far as the test writes it, with the types the models bind with."""
    return sa.table(table, *(sa.column(column, kind) for column, kind in types.items()))


ID, TIME, TEXT, INT, BOOL = sa.Uuid(), UTCDateTime(), sa.String(), sa.Integer(), sa.Boolean()


def _old_rows(engine: sa.Engine) -> uuid.UUID:
    """A tenant with a queued document, its event, its job and its label, as an
    installation at the old revision holds them."""
    now = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    tenant_id, document_id = uuid.uuid4(), uuid.uuid4()
    owned = {"tenant_id": tenant_id, "document_id": document_id}
    with engine.begin() as conn:
        conn.execute(
            _table("tenants", id=ID, name=TEXT, display_name=TEXT, created_at=TIME).insert(),
            {"id": tenant_id, "name": "alt", "display_name": "Alt", "created_at": now},
        )
        document = {
            "id": document_id,
            "tenant_id": tenant_id,
            "sha256": "a" * 64,
            "filename": "brief.pdf",
            "media_type": "application/pdf",
            "size_bytes": 1234,
            "channel": "post",
            "received_at": now,
            "created_at": now,
            "updated_at": now,
            "status": "routed",
            "ocr": False,
            "queue": "buergerbuero",
            "case_type": "ummeldung",
        }
        types = {"id": ID, "tenant_id": ID, "ocr": BOOL, "size_bytes": INT}
        times = ("received_at", "created_at", "updated_at")
        conn.execute(
            _table(
                "documents", **{k: types.get(k, TIME if k in times else TEXT) for k in document}
            ).insert(),
            document,
        )
        conn.execute(
            _table(
                "document_events",
                tenant_id=ID,
                document_id=ID,
                at=TIME,
                actor_kind=TEXT,
                actor_name=TEXT,
                action=TEXT,
            ).insert(),
            {**owned, "at": now, "actor_kind": "system", "actor_name": "worker", "action": "x"},
        )
        conn.execute(
            _table(
                "jobs",
                tenant_id=ID,
                document_id=ID,
                kind=TEXT,
                priority=INT,
                status=TEXT,
                attempts=INT,
                available_at=TIME,
                created_at=TIME,
                updated_at=TIME,
            ).insert(),
            {
                **owned,
                "kind": "triage",
                "priority": 0,
                "status": "done",
                "attempts": 1,
                "available_at": now,
                "created_at": now,
                "updated_at": now,
            },
        )
        conn.execute(
            _table(
                "labelled_examples",
                tenant_id=ID,
                document_id=ID,
                case_type=TEXT,
                source=TEXT,
                actor_kind=TEXT,
                actor_name=TEXT,
                created_at=TIME,
            ).insert(),
            {
                **owned,
                "case_type": "ummeldung",
                "source": "completed",
                "actor_kind": "user",
                "actor_name": "Frau Berger",
                "created_at": now,
            },
        )
    return document_id


def test_an_installation_with_documents_upgrades_to_the_latest_schema(
    empty_database: sa.Engine,
) -> None:
    upgrade(empty_database, OLD_REVISION)
    document_id = _old_rows(empty_database)

    upgrade(empty_database)

    with empty_database.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT status, queue, priority_key, follow_up_of_id, duplicate_of_id "
                "FROM documents"
            )
        ).one()
        counts = [
            conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("document_events", "jobs", "labelled_examples")
        ]
        event_document = conn.execute(
            sa.select(sa.column("document_id", ID)).select_from(sa.table("document_events"))
        ).scalar()
    # The queued document got its waiting-time sort key (migration 0006); nothing was lost.
    assert (row[0], row[1], row[3], row[4]) == ("routed", "buergerbuero", None, None)
    assert row[2] is not None
    assert counts == [1, 1, 1]
    assert event_document == document_id


def test_the_migrations_end_where_the_models_are(empty_database: sa.Engine) -> None:
    upgrade(empty_database)
    with empty_database.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    if empty_database.dialect.name == "sqlite":
        # SQLite's reflection cannot read the DESC expression of the claim-order index, so
        # alembic sees it as removed and added; PostgreSQL compares it in full.
        differences = [
            d for d in differences if getattr(d[1], "name", None) != "ix_documents_claim_order"
        ]
    assert differences == []
