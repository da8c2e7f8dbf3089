"""Tables of the case store and how to get an engine for a database URL.

Generic SQLAlchemy types only, so the same schema runs on SQLite (default) and PostgreSQL.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, make_url

from ..config import home

SCHEMA_VERSION = 1
DB_URL_ENV = "ZHILI_DB_URL"

metadata = MetaData()

cases_table = Table(
    "cases",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("payload", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("content_hash", String(16), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Case already validates ids; the database refuses a blank one on its own too
    CheckConstraint("length(id) BETWEEN 1 AND 64", name="ck_cases_id_length"),
    CheckConstraint("length(content_hash) = 16", name="ck_cases_hash_length"),
)

meta_table = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


def default_url() -> URL:
    """ZHILI_DB_URL when set, else a SQLite file `zhili.db` in the workspace."""
    env = os.environ.get(DB_URL_ENV)
    if env:
        return make_url(env)
    return URL.create("sqlite", database=str(home() / "zhili.db"))


def _sqlite_real_transactions(engine: Engine) -> None:
    """Let SQLite transactions cover DDL and start at BEGIN (pysqlite's defaults do neither).

    Recipe from the SQLAlchemy SQLite dialect docs ("Serializable isolation / Savepoints / Transactional DDL").
    Writers use BEGIN IMMEDIATE so two processes importing at once queue instead of failing midway.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get("zhili_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str | URL | None = None) -> Engine:
    """Engine for `url` (default: `default_url()`); SQLite parent folder is created on demand."""
    u = make_url(url) if url is not None else default_url()
    kwargs: dict[str, Any] = {}
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            from pathlib import Path

            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    engine = create_engine(u, **kwargs)
    if u.get_backend_name() == "sqlite":
        _sqlite_real_transactions(engine)
    return engine
