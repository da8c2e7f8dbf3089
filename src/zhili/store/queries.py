"""The query log: what was asked (masked), where, which domains, whether anything fitted.

`record()` masks the text itself with `zhili.privacy.mask`, so no caller can put a raw phone
number or ID number into the database by forgetting to. Statistics group by plain columns
(`day` is a stored "YYYY-MM-DD" string, domains are rows of `query_domains`), so the same
SQL gives the same numbers on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, case, func, insert, select

from .clock import aware, now
from .errors import check_name
from .schema import query_domains_table, query_table
from .tx import writing

if TYPE_CHECKING:
    from ..answer import Answer

MAX_TEXT = 10_000  # characters of masked text kept per query
TOP_IDS = 10
UNSPECIFIED = "未指定"


@dataclass(frozen=True)
class QueryRecord:
    id: str
    created_at: datetime
    user: str | None
    text: str  # masked
    filters: dict[str, Any]
    province: str
    level: str
    domains: list[str]
    no_fit: bool
    fit_score: float
    top_case_ids: list[str]


def _one(value: Any, many: str) -> str:
    """A filter value as one label: a lone choice itself, several → `many`, none → ""."""
    values = [str(v) for v in value] if isinstance(value, (list, tuple)) else ([str(value)] if value else [])
    return values[0][:64] if len(values) == 1 else (many if values else "")


def _domains(answer: "Answer") -> list[str]:
    """The rules' classification when it ran, else the commonest domains of the top five results."""
    found = list((answer.classification or {}).get("domains") or [])
    if not found:
        counts = Counter(d for r in answer.results[:5] for d in r.domains)
        found = [d for d, _ in counts.most_common(3)]
    return list(dict.fromkeys(str(d)[:64] for d in found if d))


def _masked(value: Any, mask: Any) -> Any:
    """Filters are meant to be provinces and levels, but they come from users too: mask every string."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list):
        return [_masked(v, mask) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, mask) for k, v in value.items()}
    return value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


class QueryLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, text: str, filters: Any, answer: "Answer", user: str | None = None) -> str:
        """Log one answered query (text and filter strings masked here); returns its id (uuid4 hex).

        `filters`: a dict (or Filters) — province/level lists or strings; only the answer's
        summary is kept (no_fit, fit_score, top case ids, domains), never the answer itself,
        which repeats the raw query.
        """
        from ..privacy import mask  # the BRIEF helper's module; imported late, only when logging

        if not isinstance(text, str):
            raise ValueError("查询文本必须是字符串")
        check_name(user, "用户名")
        masked = mask(text)[:MAX_TEXT]
        if hasattr(filters, "model_dump"):  # a zhili.retrieval.filters.Filters
            filters = filters.model_dump(mode="json")
        filters = _masked(json.loads(json.dumps(filters or {}, ensure_ascii=False, default=str)), mask)
        at = now()
        day = at.date().isoformat()
        qid = uuid.uuid4().hex
        row = {"id": qid, "created_at": at, "day": day, "user": user, "text": masked, "filters": filters,
               "province": _one(filters.get("province"), "多个省份"), "level": _one(filters.get("level"), "多个层级"),
               "no_fit": bool(answer.no_fit), "fit_score": float(answer.fit_score),
               "top_case_ids": [r.case_id for r in answer.results[:TOP_IDS]]}
        with writing(self.engine) as conn:
            conn.execute(insert(query_table).values(**row))
            domains = _domains(answer)
            if domains:
                conn.execute(insert(query_domains_table),
                             [{"query_id": qid, "domain": d, "day": day} for d in domains])
        return qid

    def _records(self, where: Any, limit: int) -> list[QueryRecord]:
        q, d = query_table, query_domains_table
        with self.engine.connect() as conn:
            rows = conn.execute(select(q).where(where).order_by(q.c.created_at.desc(), q.c.id).limit(limit)).all()
            ids = [r.id for r in rows]
            doms: dict[str, list[str]] = {}
            if ids:
                for qid, dom in conn.execute(select(d.c.query_id, d.c.domain).where(d.c.query_id.in_(ids))):
                    doms.setdefault(qid, []).append(dom)
        return [QueryRecord(r.id, aware(r.created_at), r.user, r.text, _json(r.filters), r.province,  # type: ignore[arg-type]
                            r.level, sorted(doms.get(r.id, [])), bool(r.no_fit), float(r.fit_score),
                            list(_json(r.top_case_ids))) for r in rows]

    def get(self, query_id: str) -> QueryRecord | None:
        found = self._records(query_table.c.id == query_id, 1)
        return found[0] if found else None

    def recent(self, limit: int = 100) -> list[QueryRecord]:
        return self._records(query_table.c.id.is_not(None), max(1, min(int(limit), 10_000)))

    def by_user(self, user: str, limit: int = 50) -> list[QueryRecord]:
        """A user's recent questions (我的查询), newest first, each text + filters only once."""
        check_name(user, "用户名", required=True)
        limit = max(1, min(int(limit), 1_000))
        out: list[QueryRecord] = []
        seen: set[tuple[str, str]] = set()
        for r in self._records(query_table.c.user == user, limit * 5):
            key = (r.text, json.dumps(r.filters, ensure_ascii=False, sort_keys=True))
            if key not in seen:
                seen.add(key)
                out.append(r)
        return out[:limit]

    def repeat_of(self, text: str, filters: Any, user: str | None, within: timedelta) -> str | None:
        """The id of the same question (same masked text and filters, same user or both
        anonymous) logged in the last `within`, else None: a refresh, the back button or a
        shared link opened twice is not a new question for the statistics."""
        from ..privacy import mask

        masked = mask(text)[:MAX_TEXT]
        if hasattr(filters, "model_dump"):
            filters = filters.model_dump(mode="json")
        filters = _masked(json.loads(json.dumps(filters or {}, ensure_ascii=False, default=str)), mask)
        q = query_table
        who = q.c.user == user if user else q.c.user.is_(None)
        for r in self._records(who & (q.c.created_at >= now() - within) & (q.c.text == masked), 20):
            if r.filters == filters:
                return r.id
        return None

    def no_fit(self, limit: int = 100) -> list[QueryRecord]:
        """Queries the library could not answer well, newest first: what cases to collect next."""
        return self._records(query_table.c.no_fit.is_(True), max(1, min(int(limit), 10_000)))

    def stats(self, days: int = 90) -> dict[str, Any]:
        """Counts over the last `days` days (UTC, today included).

        {"days", "since", "total", "no_fit",
         "by_domain": [{"domain", "count", "no_fit"}] (most asked first),
         "by_region": [{"province", "count", "no_fit"}] (province filter; "未指定" when none),
         "by_day": [{"day", "count", "no_fit"}] (oldest first; days without queries left out)}
        """
        if not isinstance(days, int) or not 1 <= days <= 3660:
            raise ValueError(f"统计天数必须在 1–3660 之间，收到 {days!r}")
        since = (now().date() - timedelta(days=days - 1)).isoformat()
        q, d = query_table, query_domains_table
        misses = func.sum(case((q.c.no_fit.is_(True), 1), else_=0))
        recent = q.c.day >= since

        def grouped(key: Any, frm: Any, by_count: bool) -> list[tuple[str, int, int]]:
            stmt = select(key, func.count(), misses).select_from(frm).where(recent).group_by(key)
            rows = [(k or UNSPECIFIED, int(n), int(m or 0)) for k, n, m in conn.execute(stmt)]
            # ordered here, not in SQL: string collation differs between databases, Python's does not
            return sorted(rows, key=lambda r: (-r[1], r[0]) if by_count else r[0])

        with self.engine.connect() as conn:
            total, missed = conn.execute(select(func.count(), misses).where(recent)).one()
            by_domain = grouped(d.c.domain, d.join(q, d.c.query_id == q.c.id), by_count=True)
            by_region = grouped(q.c.province, q, by_count=True)
            by_day = grouped(q.c.day, q, by_count=False)
        return {
            "days": days, "since": since, "total": int(total), "no_fit": int(missed or 0),
            "by_domain": [{"domain": k, "count": n, "no_fit": m} for k, n, m in by_domain],
            "by_region": [{"province": k, "count": n, "no_fit": m} for k, n, m in by_region],
            "by_day": [{"day": k, "count": n, "no_fit": m} for k, n, m in by_day],
        }
