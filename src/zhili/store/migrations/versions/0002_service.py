"""Service tables: case status and provenance, audit log, users and API tokens, feedback,
query log (+ per-domain rows for statistics), rule-pack versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Existing cases become "published" (they were all matched before). Facet columns (title,
province, level, domains, search) are filled from each payload so listing and filtering run as
plain SQL on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
When = sa.DateTime(timezone=True)
CASE_COLUMNS = ("status", "created_at", "updated_by", "title", "province", "level", "domains", "search")


def facets(payload: dict[str, Any]) -> dict[str, str]:
    """The facet columns of one case payload (frozen copy of zhili.store.facets at 0002)."""
    domains = [str(d) for d in payload.get("domains") or []]
    words = [payload.get("id", ""), payload.get("title", ""), payload.get("province", ""),
             payload.get("city", ""), payload.get("district", ""), *domains,
             *(payload.get("mechanisms") or [])]
    return {
        "title": str(payload.get("title", ""))[:500],
        "province": str(payload.get("province", ""))[:64],
        "level": str(payload.get("level", ""))[:16],
        "domains": "|" + "|".join(domains) + "|" if domains else "",
        "search": "\n".join(str(w) for w in words if w).lower(),
    }


def _backfill() -> None:
    bind = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.String), sa.column("payload", JSONType),
                     sa.column("updated_at", When), *(sa.column(c, sa.String) for c in CASE_COLUMNS[3:]),
                     sa.column("created_at", When))
    rows = bind.execute(sa.select(cases.c.id, cases.c.payload, cases.c.updated_at)).all()
    stmt = (sa.update(cases).where(cases.c.id == sa.bindparam("b_id"))
            .values(created_at=sa.bindparam("b_created"),
                    **{c: sa.bindparam(f"b_{c}") for c in CASE_COLUMNS[3:]}))
    params = []
    for cid, payload, updated_at in rows:
        data = json.loads(payload) if isinstance(payload, (str, bytes)) else payload
        params.append({"b_id": cid, "b_created": updated_at,
                       **{f"b_{k}": v for k, v in facets(data).items()}})
    for i in range(0, len(params), 500):
        bind.execute(stmt, params[i : i + 500])


def _set_schema_version(value: str) -> None:
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.get_bind().execute(sa.update(meta).where(meta.c.key == "schema_version").values(value=value))


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="published"))
        batch.add_column(sa.Column("created_at", When, nullable=True))
        batch.add_column(sa.Column("updated_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("title", sa.String(500), nullable=False, server_default=""))
        batch.add_column(sa.Column("province", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("level", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("domains", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("search", sa.Text, nullable=False, server_default=""))
        batch.create_check_constraint("ck_cases_status", "status IN ('draft', 'published')")
    op.create_index("ix_cases_status", "cases", ["status"])
    _backfill()

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("user", sa.String(64), nullable=True),
        sa.Column("at", When, nullable=False),
        sa.Column("before", JSONType, nullable=True),
        sa.Column("after", JSONType, nullable=True),
    )
    op.create_index("ix_audit_log_case_id", "audit_log", ["case_id"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", When, nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="ck_users_role"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("last_used_at", When, nullable=True),
        sa.Column("revoked_at", When, nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "query_log",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("user", sa.String(64), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("filters", JSONType, nullable=False),
        sa.Column("province", sa.String(64), nullable=False, server_default=""),
        sa.Column("level", sa.String(16), nullable=False, server_default=""),
        sa.Column("no_fit", sa.Boolean, nullable=False),
        sa.Column("fit_score", sa.Float, nullable=False),
        sa.Column("top_case_ids", JSONType, nullable=False),
    )
    op.create_index("ix_query_log_day", "query_log", ["day"])
    op.create_table(
        "query_domains",
        sa.Column("query_id", sa.String(32), sa.ForeignKey("query_log.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("domain", sa.String(64), primary_key=True),
        sa.Column("day", sa.String(10), nullable=False),
    )
    op.create_index("ix_query_domains_day", "query_domains", ["day"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("query_id", sa.String(32), sa.ForeignKey("query_log.id", ondelete="CASCADE"), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("user", sa.String(64), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.CheckConstraint("verdict IN ('adopted', 'helpful', 'irrelevant')", name="ck_feedback_verdict"),
    )
    op.create_index("ix_feedback_query_id", "feedback", ["query_id"])
    op.create_table(
        "rule_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("user", sa.String(64), nullable=True),
        sa.Column("packs", JSONType, nullable=False),
        sa.Column("files", JSONType, nullable=False),
    )
    op.create_index("ix_rule_versions_fingerprint", "rule_versions", ["fingerprint"])
    _set_schema_version("2")


def downgrade() -> None:
    """Back to 0001: the new tables go; drafts go too (0001 matched every stored case)."""
    for table in ("rule_versions", "feedback", "query_domains", "query_log", "api_tokens", "users", "audit_log"):
        op.drop_table(table)
    op.execute("DELETE FROM cases WHERE status = 'draft'")
    op.drop_index("ix_cases_status", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("ck_cases_status", type_="check")
        for column in reversed(CASE_COLUMNS):
            batch.drop_column(column)
    _set_schema_version("1")
