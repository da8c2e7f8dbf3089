"""The first schema: cases (JSON payload + content hash) and a meta key/value table.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Exactly the DDL zhili created with `metadata.create_all` before migrations existed, so such a
database is stamped at 0001 and upgraded from there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("payload", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("content_hash", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(id) BETWEEN 1 AND 64", name="ck_cases_id_length"),
        sa.CheckConstraint("length(content_hash) = 16", name="ck_cases_hash_length"),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_table("cases")
