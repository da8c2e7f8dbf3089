"""案例入库: import batches, their source documents (the original file kept) and their drafts.

Revision ID: 0005a
Revises: 0004f
Create Date: 2027-03-01

* `ingest_batches`: one per `zhili ingest` / 导入文档 run (name, who, when, status).
* `ingest_documents`: each file of a batch — name, format, sha256 (re-ingesting the same file is a
  no-op), the original bytes, the extracted text every provenance offset indexes.
* `ingest_drafts`: each extracted case — its id in `cases` (no FK: a held-back duplicate has no
  row there until a reviewer imports it), review state, payload, provenance spans, duplicates.
Deleting a batch cascades to its documents and drafts (the service removes the draft cases).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005a"
down_revision = "0004f"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="review"),
        sa.CheckConstraint("status IN ('review', 'published')", name="ck_ingest_batches_status"),
    )
    op.create_table(
        "ingest_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(32), sa.ForeignKey("ingest_batches.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False, server_default="1"),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "ingest_drafts",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("batch_id", sa.String(32), sa.ForeignKey("ingest_batches.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("ingest_documents.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("provenance", JSONType, nullable=False),
        sa.Column("duplicates", JSONType, nullable=False),
        sa.Column("notes", JSONType, nullable=False),
        sa.Column("segment_start", sa.Integer, nullable=False),
        sa.Column("segment_end", sa.Integer, nullable=False),
        sa.CheckConstraint("state IN ('draft', 'accepted', 'held', 'rejected', 'published')",
                           name="ck_ingest_drafts_state"),
    )


def downgrade() -> None:
    """Back to 0004f: batches, their stored files and draft links go (draft cases stay in `cases`)."""
    op.drop_table("ingest_drafts")
    op.drop_table("ingest_documents")
    op.drop_table("ingest_batches")
