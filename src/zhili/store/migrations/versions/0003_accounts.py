"""Accounts: server-side sessions, token expiry, canonical user names, account changes in the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-12

* `user_sessions`: a signed cookie alone cannot be taken back, so a session is now a row; logging
  out, a new password, a new role or disabling the account deletes it. Cookies from before this
  revision carry no session id, so everyone signs in once more.
* `api_tokens.expires_at`: tokens issued from now on expire; existing ones keep working (NULL)
  so an integration does not break on upgrade — the admin page marks them "永不过期".
* `users.username_key` (unique index): NFKC + casefold of the name, so `ADMIN` and `ａｄｍｉｎ`
  cannot both exist. Existing names that already collide keep working: all but the oldest get the
  key `<key>#<id>`, which no new name can produce (`#` is not allowed in names).

No table is rebuilt: on SQLite a rebuild drops `users`, and with foreign keys on (they are,
inside the migration's transaction, where the pragma cannot change) that cascades into
`api_tokens` and deletes every token. So columns are added and dropped in place (SQLite ≥ 3.35)
and the key's uniqueness is a unique index; the NOT NULL column needs a default to be added on
SQLite, which PostgreSQL then drops (zhili always writes the key).
* `audit_log.kind`: "case" for every existing row; "user" rows record account changes.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)


def _key(name: str) -> str:
    """Frozen copy of zhili.store.usernames.lookup_key at 0003."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _fill_keys() -> None:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String),
                     sa.column("username_key", sa.String))
    bind = op.get_bind()
    taken: set[str] = set()
    for uid, name in bind.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)).all():
        key = _key(name)[:180]
        if key in taken:
            key = f"{key}#{uid}"
        taken.add(key)
        bind.execute(sa.update(users).where(users.c.id == uid).values(username_key=key))


def _set_schema_version(value: str) -> None:
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.get_bind().execute(sa.update(meta).where(meta.c.key == "schema_version").values(value=value))


def upgrade() -> None:
    op.add_column("users", sa.Column("username_key", sa.String(192), nullable=False, server_default=""))
    _fill_keys()
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("users", "username_key", server_default=None)
    op.create_index("uq_users_username_key", "users", ["username_key"], unique=True)
    op.add_column("api_tokens", sa.Column("expires_at", When, nullable=True))
    op.add_column("audit_log", sa.Column("kind", sa.String(8), nullable=False, server_default="case"))
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("last_seen_at", When, nullable=False),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_index("ix_user_sessions_last_seen_at", "user_sessions", ["last_seen_at"])
    _set_schema_version("3")


def downgrade() -> None:
    """Back to 0002: sessions, expiry dates, name keys and account audit rows go."""
    op.drop_table("user_sessions")
    op.execute("DELETE FROM audit_log WHERE kind <> 'case'")
    op.drop_column("audit_log", "kind")
    op.drop_column("api_tokens", "expires_at")
    op.drop_index("uq_users_username_key", table_name="users")
    op.drop_column("users", "username_key")
    _set_schema_version("2")
