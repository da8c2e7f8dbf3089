"""One notion of time for every table: timezone-aware UTC in, timezone-aware UTC out.

SQLite hands DateTime columns back without a zone (it stores the UTC wall time we wrote);
PostgreSQL hands them back aware. `aware()` makes both look the same to callers.

`local_day(column, zone)` is the calendar day of a stored time in a time zone, as SQL that runs
the same on both databases: PostgreSQL's own `timezone()`, and on SQLite a function registered on
every connection (`sqlite_local_day`, see schema.make_engine) using Python's zoneinfo.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

SQLITE_LOCAL_DAY = "zhili_local_day"


def now() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def sqlite_local_day(stored: Any, zone: str) -> str | None:
    """SQLite: 'YYYY-MM-DD' in `zone` of a DateTime column's stored UTC text ('2026-01-01 17:30:00.000000')."""
    if stored is None:
        return None
    from ..localtime import local, zone_named

    try:
        return local(datetime.fromisoformat(str(stored)), zone_named(zone)).date().isoformat()
    except ValueError:
        return None


class local_day(FunctionElement):  # noqa: N801 - used like a SQL function
    """`local_day(query_table.c.created_at, "Asia/Shanghai")` → 'YYYY-MM-DD' in that zone."""

    type = String()
    inherit_cache = False  # the zone is an attribute, not a bound parameter

    def __init__(self, column: Any, zone: str) -> None:
        from ..localtime import zone_named

        self.zone = zone_named(zone).key  # validated: only [A-Za-z0-9_+-/], safe as a literal
        super().__init__(column)


def _zone_literal(element: local_day) -> str:
    return "'" + element.zone.replace("'", "") + "'"


@compiles(local_day)
def _sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"{SQLITE_LOCAL_DAY}({compiler.process(element.clauses, **kw)}, {_zone_literal(element)})"


@compiles(local_day, "postgresql")
def _postgresql(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"to_char(timezone({_zone_literal(element)}, {compiler.process(element.clauses, **kw)}), 'YYYY-MM-DD')"
