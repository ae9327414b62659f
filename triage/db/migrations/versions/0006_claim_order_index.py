"""Claim order served by an index on PostgreSQL too: priority_key descending, and a key for
every queued document

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
QUEUED = ("routed", "needs_review", "failed")


def _waiting_only_keys() -> None:
    # Documents queued before every document got a priority: waiting time alone at the
    # default rate of 1 point a day (the key of a priority with no other component).
    documents = sa.table(
        "documents",
        sa.column("id", sa.Uuid()),
        sa.column("received_at", sa.DateTime(timezone=True)),
        sa.column("status", sa.String()),
        sa.column("priority_key", sa.Float()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(documents.c.id, documents.c.received_at).where(
            documents.c.priority_key.is_(None), documents.c.status.in_(QUEUED)
        )
    ).all()
    for document_id, received_at in rows:
        if isinstance(received_at, str):  # SQLite hands back the stored text
            received_at = dt.datetime.fromisoformat(received_at)
        if received_at.tzinfo is None:
            received_at = received_at.replace(tzinfo=dt.UTC)
        key = -(received_at - EPOCH).total_seconds() / 86_400.0
        bind.execute(
            documents.update().where(documents.c.id == document_id).values(priority_key=key)
        )


def upgrade() -> None:
    _waiting_only_keys()
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_claim_order")
        batch.create_index(
            "ix_documents_claim_order",
            ["tenant_id", "queue", sa.text("priority_key DESC"), "received_at"],
        )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_claim_order")
        batch.create_index(
            "ix_documents_claim_order", ["tenant_id", "queue", "priority_key", "received_at"]
        )
