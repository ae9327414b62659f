"""Backlog relief: daily figure snapshots and baselines, the tenant's working rules,
grants of a queue to another tenant's user, second reviews of relief work, and the
record of administrative changes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from triage.db.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_queue_grants_tenant_id", "queue_grants", ["tenant_id"])
    op.create_index("ix_queue_grants_user_id", "queue_grants", ["user_id"])
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("grant_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_web_sessions_grant_id_queue_grants", "queue_grants", ["grant_id"], ["id"]
        )
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("second_review", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("second_review_at", UTCDateTime(), nullable=True))
        batch.create_index("ix_documents_second_review", ["tenant_id", "second_review"])
    op.create_index("ix_document_events_tenant_at", "document_events", ["tenant_id", "at"])
    op.create_table(
        "tenant_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id"),
    )
    op.create_table(
        "admin_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_admin_events_tenant", "admin_events", ["tenant_id", "id"])
    op.create_table(
        "figure_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("open_count", "inflow", "outflow", "overdue")
        ),
        sa.Column("age_p50_days", sa.Float(), nullable=True),
        sa.Column("age_p90_days", sa.Float(), nullable=True),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("triaged", "auto_routed", "to_review", "misrouted")
        ),
        sa.Column("handling_median_minutes", sa.Float(), nullable=True),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("relief_completed", "second_reviewed", "second_review_corrected")
        ),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "day", "scope", "key", name="uq_figure_snapshots_day"),
    )
    op.create_index(
        "ix_figure_snapshots_scope_day", "figure_snapshots", ["tenant_id", "scope", "day"]
    )
    op.create_table(
        "figure_baselines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("marked_at", UTCDateTime(), nullable=False),
        sa.Column("marked_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_figure_baselines_tenant_id", "figure_baselines", ["tenant_id"])


def downgrade() -> None:
    op.drop_table("figure_baselines")
    op.drop_table("figure_snapshots")
    op.drop_table("admin_events")
    op.drop_table("tenant_rules")
    op.drop_index("ix_document_events_tenant_at", table_name="document_events")
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_second_review")
        batch.drop_column("second_review_at")
        batch.drop_column("second_review")
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_constraint("fk_web_sessions_grant_id_queue_grants", type_="foreignkey")
        batch.drop_column("grant_id")
    op.drop_table("queue_grants")
