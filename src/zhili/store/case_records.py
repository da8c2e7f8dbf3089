"""A stored case with its status and provenance, and the SQL behind paged listings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from ..cases.model import Case, stored_case
from .clock import aware
from .schema import cases_table

MAX_PAGE = 500
MAX_QUERY = 200  # characters of a listing search


@dataclass(frozen=True)
class CaseRecord:
    case: Case
    status: str  # "draft" | "published"
    created_at: datetime | None  # set for every case since migration 0002 (old rows: their updated_at)
    updated_at: datetime
    updated_by: str | None


def payload_of(value: Any) -> dict[str, Any]:
    """JSON columns come back as dicts; tolerate a driver that hands back text."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def record_of(row: Any) -> CaseRecord:
    return CaseRecord(stored_case(payload_of(row.payload)), row.status, aware(row.created_at),
                      aware(row.updated_at), row.updated_by)


def page_query(*, status: str | None, q: str | None, province: str | None, level: str | None,
               domain: str | None, offset: int, limit: int, order: str) -> tuple[Select[Any], Select[Any]]:
    """(rows, total) statements for one page; every value is a bound parameter, LIKE wildcards escaped."""
    if not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset 必须是非负整数，收到 {offset!r}")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit 必须在 1–{MAX_PAGE} 之间，收到 {limit!r}")
    if order not in ("id", "recent"):
        raise ValueError(f"排序方式必须是 id 或 recent，收到“{order}”")
    c = cases_table.c
    conds = []
    if status:
        conds.append(c.status == status)
    if q and q.strip():
        if len(q) > MAX_QUERY:
            raise ValueError(f"搜索词过长（{len(q)} 个字符，最多 {MAX_QUERY} 个）")
        conds.append(c.search.contains(q.strip().lower(), autoescape=True))
    if province:
        conds.append(c.province == province)
    if level:
        conds.append(c.level == level)
    if domain:
        conds.append(c.domains.contains(f"|{domain}|", autoescape=True))
    ordering = (c.id,) if order == "id" else (c.updated_at.desc(), c.id)
    rows = select(cases_table).where(*conds).order_by(*ordering).offset(offset).limit(limit)
    total = select(func.count()).select_from(cases_table).where(*conds)
    return rows, total
