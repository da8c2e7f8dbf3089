"""Favourites: a signed-in user's starred cases (我的收藏).

Revision ID: 0004f
Revises: 0003
Create Date: 2027-02-03

One row per (user, case). `user_id` cascades with the account; `case_id` deliberately has no
foreign key — a case withdrawn or deleted after it was starred stays on the user's list, marked
as such, and a later rebuild of `cases` on SQLite cannot cascade into this table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004f"
down_revision = "0004b"  # 0004b (query backlog) and 0004f came in the same release
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "favorites",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("created_at", When, nullable=False),
    )
    op.create_index("ix_favorites_user_created", "favorites", ["user_id", "created_at"])


def downgrade() -> None:
    """Back to 0003: the favourites go."""
    op.drop_index("ix_favorites_user_created", table_name="favorites")
    op.drop_table("favorites")
