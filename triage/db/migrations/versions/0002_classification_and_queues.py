"""classification, routing, queue leases, tenant taxonomies, labelled examples

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from triage.db.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DOCUMENT_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("case_type", sa.String(length=64), nullable=True),
    sa.Column("confidence", sa.Float(), nullable=True),
    sa.Column("alternatives", sa.JSON(), nullable=True),
    sa.Column("classifier", sa.String(length=200), nullable=True),
    sa.Column("queue", sa.String(length=64), nullable=True),
    sa.Column("priority", sa.Integer(), nullable=True),
    sa.Column("due_at", UTCDateTime(), nullable=True),
    sa.Column("routed_at", UTCDateTime(), nullable=True),
    sa.Column("claimed_by_kind", sa.String(length=16), nullable=True),
    sa.Column("claimed_by_id", sa.String(length=64), nullable=True),
    sa.Column("claimed_by_name", sa.String(length=200), nullable=True),
    sa.Column("claimed_at", UTCDateTime(), nullable=True),
    sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
    sa.Column("completed_at", UTCDateTime(), nullable=True),
]


def upgrade() -> None:
    for column in DOCUMENT_COLUMNS:
        op.add_column("documents", column)
    op.create_index(
        "ix_documents_tenant_queue_status", "documents", ["tenant_id", "queue", "status"]
    )
    op.create_table(
        "tenant_taxonomies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id"),
    )
    op.create_table(
        "labelled_examples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("case_type", sa.String(length=64), nullable=False),
        sa.Column("predicted_case_type", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id"),
    )
    op.create_index("ix_labelled_examples_tenant", "labelled_examples", ["tenant_id", "case_type"])


def downgrade() -> None:
    op.drop_index("ix_labelled_examples_tenant", table_name="labelled_examples")
    op.drop_table("labelled_examples")
    op.drop_table("tenant_taxonomies")
    op.drop_index("ix_documents_tenant_queue_status", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        for column in reversed(DOCUMENT_COLUMNS):
            batch.drop_column(column.name)
