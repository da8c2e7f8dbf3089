"""One notion of time for every table: timezone-aware UTC in, timezone-aware UTC out.

SQLite hands DateTime columns back without a zone (it stores the UTC wall time we wrote);
PostgreSQL hands them back aware. `aware()` makes both look the same to callers.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    return datetime.now(timezone.utc)


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
