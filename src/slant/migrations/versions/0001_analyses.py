"""Create the analyses table.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyses",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("genre", sa.String(32), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("techniques", sa.Text, nullable=False),
        sa.Column("technique_count", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("analysis", sa.Text, nullable=False),
    )
    op.create_index("ix_analyses_created_at", "analyses", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_analyses_created_at", table_name="analyses")
    op.drop_table("analyses")
