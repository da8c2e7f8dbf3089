"""Times as people read them: one configured time zone (`[site] timezone`, default Asia/Shanghai).

The database stores UTC (zhili.store.clock). Everything shown — page timestamps, the statistics'
daily buckets, the brief's date, the CLI — goes through this module, so a query logged at
17:30 UTC on 1 January is "1月2日" on every page and in every export alike.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")


@lru_cache(maxsize=16)
def zone_named(name: str) -> ZoneInfo:
    """The zone for an IANA name; ValueError (Chinese) for anything else."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or len(name) > 64:
        raise ValueError(f"timezone 应为 IANA 时区名（如 Asia/Shanghai），收到 {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"timezone 应为 IANA 时区名（如 Asia/Shanghai），收到 {name!r}") from exc


def zone() -> ZoneInfo:
    """The configured zone (re-read when zhili.toml changes)."""
    from .config import SiteSettings

    return zone_named(SiteSettings.load().timezone)


def zone_name() -> str:
    return zone().key


def now() -> datetime:
    return datetime.now(zone())


def today() -> date:
    return now().date()


def local(value: datetime, tz: ZoneInfo | None = None) -> datetime:
    """`value` in the configured zone; a naive value is taken as UTC (what SQLite hands back)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(tz or zone())


def local_date(value: datetime, tz: ZoneInfo | None = None) -> date:
    return local(value, tz).date()


def day_start(day: date, tz: ZoneInfo | None = None) -> datetime:
    """The UTC instant at which local `day` begins (for `created_at >= …` range filters)."""
    return datetime.combine(day, time.min, tzinfo=tz or zone()).astimezone(timezone.utc)


def format_time(value: datetime | None, seconds: bool = False) -> str:
    """'2026-01-02 01:30' in the configured zone ('' for no value)."""
    if not isinstance(value, datetime):
        return ""
    return local(value).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))


def format_day(value: datetime | date | None) -> str:
    """'2026-01-02' (a datetime is converted to the configured zone first)."""
    if isinstance(value, datetime):
        return local(value).date().isoformat()
    return value.isoformat() if isinstance(value, date) else ""


def cn_date(value: datetime | date) -> str:
    """'2026年1月2日', as a document is dated."""
    d = local(value).date() if isinstance(value, datetime) else value
    return f"{d.year}年{d.month}月{d.day}日"
