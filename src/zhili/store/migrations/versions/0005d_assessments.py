"""Assessments: imported indicator rows per unit and period, and the 'assessor' role.

Revision ID: 0005d
Revises: 0004f
Create Date: 2027-03-01

* `assessment_records`: one row per (pack, unit, period) with the indicator values as JSON; an
  import replaces the rows it names, in one transaction.
* `users.role` may now be 'assessor' (sees person-level assessment results, imports data).
  PostgreSQL swaps the check constraint in place. SQLite cannot alter a constraint, so `users`
  is rebuilt — and dropping it inside the migration's transaction (foreign keys on) would cascade
  into every table referencing it (sessions, tokens, favourites …), so those rows are read first
  and written back after the rebuild.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005d"
down_revision = "0005a"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)
JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
OLD_ROLES = "role IN ('viewer', 'editor', 'admin')"
NEW_ROLES = "role IN ('viewer', 'assessor', 'editor', 'admin')"


def _users_table(check: str) -> sa.Table:
    """`users` at 0004f with the given role check (for the SQLite rebuild)."""
    return sa.Table(
        "users", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", When, nullable=False),
        sa.Column("username_key", sa.String(192), nullable=False),
        sa.CheckConstraint(check, name="ck_users_role"),
        sa.Index("uq_users_username_key", "username_key", unique=True),
    )


def _swap_role_check(check: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint("ck_users_role", "users", type_="check")
        op.create_check_constraint("ck_users_role", "users", check)
        return
    inspector = sa.inspect(bind)
    children = [t for t in inspector.get_table_names()
                if any(fk.get("referred_table") == "users" for fk in inspector.get_foreign_keys(t))]
    meta = sa.MetaData()
    saved = {}
    for name in children:
        table = sa.Table(name, meta, autoload_with=bind)
        saved[name] = (table, [dict(r._mapping) for r in bind.execute(sa.select(table))])
    with op.batch_alter_table("users", copy_from=_users_table(check), recreate="always") as _batch:
        pass
    for table, rows in saved.values():
        bind.execute(sa.delete(table))  # whatever survived the drop: written back whole below
        if rows:
            bind.execute(sa.insert(table), rows)


def upgrade() -> None:
    op.create_table(
        "assessment_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pack", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("region", sa.String(64), nullable=False, server_default=""),
        sa.Column("post", sa.String(64), nullable=False, server_default=""),
        sa.Column("values", JSONType, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.UniqueConstraint("pack", "unit", "period", name="uq_assessment_records_unit_period"),
    )
    op.create_index("ix_assessment_records_pack_period", "assessment_records", ["pack", "period"])
    _swap_role_check(NEW_ROLES)


def downgrade() -> None:
    """Back to 0004f: assessment data goes, assessors become viewers."""
    users = sa.table("users", sa.column("role", sa.String))
    op.get_bind().execute(sa.update(users).where(users.c.role == "assessor").values(role="viewer"))
    _swap_role_check(OLD_ROLES)
    op.drop_index("ix_assessment_records_pack_period", table_name="assessment_records")
    op.drop_table("assessment_records")
