"""Rules edited in the product: per-user drafts, and why/how each rule version was published.

Revision ID: 0005c
Revises: 0004f
Create Date: 2027-03-01

* `rule_drafts`: a user's working copy of the rule packs (files as text), its review state.
* `rule_versions` gains `note` (why), `origin` ("folder": a record of the rules folder, which
  keeps serving; "product": published from a draft or restored — this version serves),
  `draft_id`, `approved_by` and `restored_from`. Existing rows are folder records.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005c"
down_revision = "0005d"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("rule_versions") as batch:
        batch.add_column(sa.Column("note", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("origin", sa.String(8), nullable=False, server_default="folder"))
        batch.add_column(sa.Column("draft_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("approved_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("restored_from", sa.Integer, nullable=True))
    op.create_table(
        "rule_drafts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("base_version", sa.Integer, nullable=True),
        sa.Column("files", JSONType, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.CheckConstraint("status IN ('editing', 'submitted', 'approved', 'published', 'discarded')",
                           name="ck_rule_drafts_status"),
    )
    op.create_index("ix_rule_drafts_owner", "rule_drafts", ["owner"])


def downgrade() -> None:
    """Back to 0004f: drafts go; published versions stay as plain records."""
    op.drop_index("ix_rule_drafts_owner", table_name="rule_drafts")
    op.drop_table("rule_drafts")
    with op.batch_alter_table("rule_versions") as batch:
        for name in ("restored_from", "approved_by", "draft_id", "origin", "note"):
            batch.drop_column(name)
