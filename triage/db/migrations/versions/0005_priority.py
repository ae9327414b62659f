"""Priority with reasons: stored facts and components, a sort key, per-tenant policies

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from triage.db.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("priority_facts", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("priority_components", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("priority_base", sa.Float(), nullable=True))
        batch.add_column(sa.Column("priority_key", sa.Float(), nullable=True))
        # The interim SLA-only score is replaced by the components above.
        batch.drop_column("priority")
        batch.create_index(
            "ix_documents_claim_order", ["tenant_id", "queue", "priority_key", "received_at"]
        )
    op.create_table(
        "tenant_priority_policies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("tenant_priority_policies")
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_claim_order")
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=True))
        batch.drop_column("priority_key")
        batch.drop_column("priority_base")
        batch.drop_column("priority_components")
        batch.drop_column("priority_facts")
