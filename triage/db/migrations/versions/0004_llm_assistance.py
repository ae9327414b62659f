"""LLM assistance: fields, summary and second opinion per document, result cache, usage

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-11
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from triage.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DOCUMENT_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("fields", sa.JSON(), nullable=True),
    sa.Column("summary", sa.Text(), nullable=True),
    sa.Column("second_opinion", sa.JSON(), nullable=True),
    sa.Column("assist_status", sa.String(length=16), nullable=True),
    sa.Column("assist_reason", sa.Text(), nullable=True),
    sa.Column("assist_detail", sa.JSON(), nullable=True),
]


def upgrade() -> None:
    for column in DOCUMENT_COLUMNS:
        op.add_column("documents", column)
    op.create_table(
        "llm_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("prompt", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=500), nullable=False),
        sa.Column("variant", sa.String(length=200), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("dropped_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "text_sha256", "task", "prompt", "model", "variant", name="uq_llm_results_key"
        ),
    )
    op.create_table(
        "llm_usage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("task", sa.String(length=64), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("failed_calls", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "day", "task", name="uq_llm_usage_tenant_day_task"),
    )


def downgrade() -> None:
    op.drop_table("llm_usage")
    op.drop_table("llm_results")
    with op.batch_alter_table("documents") as batch:
        for column in reversed(DOCUMENT_COLUMNS):
            batch.drop_column(column.name)
