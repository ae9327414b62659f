"""the trained model's version and explanation of each prediction

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DOCUMENT_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("model_version", sa.String(length=64), nullable=True),
    sa.Column("explanation", sa.JSON(), nullable=True),
]


def upgrade() -> None:
    for column in DOCUMENT_COLUMNS:
        op.add_column("documents", column)


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        for column in reversed(DOCUMENT_COLUMNS):
            batch.drop_column(column.name)
