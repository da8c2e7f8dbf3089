"""Write transactions that queue the same way on SQLite and PostgreSQL.

SQLite: BEGIN IMMEDIATE takes the database write lock up front (see schema.make_engine), so a
second writer waits instead of failing halfway. PostgreSQL: a transaction-scoped advisory lock
on `key` gives the same one-writer-at-a-time behaviour for that kind of write; it is released
by commit or rollback, so a crash can never leave it held.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

MIGRATE_LOCK = 0x7A68_696C_6901  # "zhili" + 1: schema changes
CASES_LOCK = 0x7A68_696C_6902    # case writes (so the revision counter and imports never interleave)
USERS_LOCK = 0x7A68_696C_6903    # account changes (so two admins cannot demote each other to no admin at all)


@contextmanager
def writing(engine: Engine, key: int | None = None) -> Iterator[Connection]:
    """One write transaction; commits on success, rolls back everything on any error."""
    with engine.execution_options(zhili_write=True).begin() as conn:
        if key is not None and conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        yield conn
