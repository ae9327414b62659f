"""Follow-ups and duplicates: links to an earlier document, who completed a document, and
an index of the reference numbers documents carry; when a tenant's priority policy last
re-scored its documents

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from triage.db.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("completed_by_kind", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("completed_by_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("completed_by_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("follow_up_of_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("duplicate_of_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("link_detail", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            "fk_documents_follow_up_of_id_documents", "documents", ["follow_up_of_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_documents_duplicate_of_id_documents", "documents", ["duplicate_of_id"], ["id"]
        )
        batch.create_index("ix_documents_claimed_by", ["tenant_id", "claimed_by_id"])
        batch.create_index(
            "ix_documents_completed_by", ["tenant_id", "completed_by_id", "completed_at"]
        )
        batch.create_index("ix_documents_follow_up_of", ["follow_up_of_id"])
        batch.create_index("ix_documents_duplicate_of", ["duplicate_of_id"])
    op.create_table(
        "document_references",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_document_references_lookup", "document_references", ["tenant_id", "value"])
    op.add_column(
        "tenant_priority_policies", sa.Column("rescored_at", UTCDateTime(), nullable=True)
    )
    op.create_index("ix_document_references_document_id", "document_references", ["document_id"])


def downgrade() -> None:
    with op.batch_alter_table("tenant_priority_policies") as batch:
        batch.drop_column("rescored_at")
    op.drop_table("document_references")
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_duplicate_of")
        batch.drop_index("ix_documents_follow_up_of")
        batch.drop_index("ix_documents_completed_by")
        batch.drop_index("ix_documents_claimed_by")
        batch.drop_constraint("fk_documents_duplicate_of_id_documents", type_="foreignkey")
        batch.drop_constraint("fk_documents_follow_up_of_id_documents", type_="foreignkey")
        for column in (
            "link_detail",
            "duplicate_of_id",
            "follow_up_of_id",
            "completed_by_name",
            "completed_by_id",
            "completed_by_kind",
        ):
            batch.drop_column(column)
