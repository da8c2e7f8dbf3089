"""Bring a database to the current schema with alembic, safely from several processes at once.

`upgrade(engine)` runs on every open: a cheap read of `alembic_version` when the database is
already current; otherwise one write transaction under a lock (SQLite: BEGIN IMMEDIATE;
PostgreSQL: a transaction-scoped advisory lock) so a second opener waits and then finds nothing
to do. A database made before migrations existed (tables `cases` + `meta`, no
`alembic_version`) is stamped at 0001 first. Any failure rolls everything back.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from .tx import MIGRATE_LOCK, writing

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
LEGACY_REVISION = "0001"


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer zhili than this one."""


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest revision this build knows."""
    rev = _script().get_current_head()
    assert rev is not None
    return rev


def current(conn: Connection) -> str | None:
    """The database's revision (None: never migrated)."""
    return MigrationContext.configure(conn).get_current_revision()


def _is_legacy(conn: Connection) -> bool:
    tables = set(inspect(conn).get_table_names())
    return {"cases", "meta"} <= tables and "alembic_version" not in tables


def upgrade(engine: Engine, target: str = "head") -> None:
    """Migrate to `target` (default the newest); a no-op read when already there."""
    if target == "head":
        with engine.connect() as conn:
            if current(conn) == head():
                return
    with writing(engine, MIGRATE_LOCK) as conn:
        rev = current(conn)  # again, under the lock: another process may have just migrated
        if rev is not None and rev not in {s.revision for s in _script().walk_revisions()}:
            raise SchemaTooNewError(f"数据库结构版本 {rev} 比本程序认识的 {head()} 新，请升级 zhili 后再打开")
        cfg = _config(conn)
        if rev is None and _is_legacy(conn):
            command.stamp(cfg, LEGACY_REVISION)
        command.upgrade(cfg, target)


def downgrade(engine: Engine, target: str) -> None:
    """Step the schema back to `target` (an administrator's tool; tested, rarely needed)."""
    with writing(engine, MIGRATE_LOCK) as conn:
        command.downgrade(_config(conn), target)
