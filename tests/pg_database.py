"""Throwaway PostgreSQL databases for tests (imported by name; tests/ has no packages, and several
conftest modules share that name, so shared helpers live here)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool


def fresh_pg_database(base_url: str, prefix: str = "zt") -> Iterator[str]:
    """CREATE DATABASE (from template1, i.e. empty) on the test server, yield its URL, drop it."""
    base = make_url(base_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template1'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            drop_database(admin, name)
    finally:
        admin.dispose()


def drop_database(admin: Engine, name: str, attempts: int = 20) -> None:
    """DROP DATABASE … WITH (FORCE), retried: FORCE may not terminate a backend the test role does
    not own — an autovacuum worker that happens to be in the new database — and fails with
    "must be a member of the role whose process is being terminated"; the worker is gone soon."""
    for attempt in range(attempts):
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
