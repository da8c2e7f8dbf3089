"""Dropping a test database (imported by name; tests/ has no packages)."""

from __future__ import annotations

import time

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError


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
