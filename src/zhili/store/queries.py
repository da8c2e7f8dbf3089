"""The query log: what was asked (masked), where, which domains, whether anything fitted.

`record()` masks the text itself with `zhili.privacy.mask`, so no caller can put a raw phone
number or ID number into the database by forgetting to. Statistics group by plain columns
(domains are rows of `query_domains`, the region a stored province) and by the local calendar
day of `created_at` in the configured time zone (`clock.local_day`), so the same SQL gives the
same numbers on SQLite and PostgreSQL and the same days as every page shows.

The backlog (待收集) is what the library could not answer: no-fit queries, off-topic ones left
out, counted once per normalised text (`text_key`), each with an editor-set status.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, and_, case, delete, func, insert, or_, select

from .. import localtime
from ..gazetteer import province_of
from .clock import aware, local_day, now
from .errors import check_name
from .schema import BACKLOG_STATUSES, backlog_table, query_domains_table, query_table
from .tx import writing

if TYPE_CHECKING:
    from ..answer import Answer

MAX_TEXT = 10_000  # characters of masked text kept per query
TOP_IDS = 10
UNSPECIFIED = "未指定"
OFF_TOPIC = "off_topic"  # Answer.verdict of a text that is no governance problem at all
BACKLOG_LABELS = {"open": "待收集", "added": "已补充", "dropped": "不处理"}
MAX_BACKLOG = 10_000  # items listed or exported at once
# a masked run ("138****5678", "张**") with the label before it: who asked is not what was asked
_MASKED = re.compile(r"(?:来电人|来电者|联系人|报告人|姓名)?[:：]?"
                     r"(?:联系电话|联系方式|电话号码|电话|手机号码|手机号|手机|身份证号码|身份证号|身份证|号码)?"
                     r"[:：]?\s*[0-9a-z\u4e00-\u9fff]?[0-9a-z]*\*+[0-9a-z]*")


def normalise(text: str) -> str:
    """The backlog's view of a masked text: NFKC, case-folded, masked runs ("138****5678") and
    every space, punctuation mark and symbol dropped — "加装电梯？" and " 加装电梯 " are one."""
    t = _MASKED.sub("", unicodedata.normalize("NFKC", text or "").casefold())
    return "".join(ch for ch in t if unicodedata.category(ch)[0] not in "PSZC")


def text_key(text: str) -> str:
    """32 hex characters identifying the normalised text; "" when it holds fewer than two Chinese
    characters (gibberish, "12345", "？？"): such a text is never a backlog item.
    (Migration 0004b keeps a frozen copy: change both together, with a migration re-keying rows.)"""
    norm = normalise(text)
    if sum("\u4e00" <= ch <= "\u9fff" for ch in norm) < 2:
        return ""
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]


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
    verdict: str | None = None  # the answer's verdict when the engine gave one
    region: str = ""  # province named in the text ("" when none)

    @property
    def place(self) -> str:
        """Where the question is from: the province filter, else the province the text names."""
        return self.province or self.region or UNSPECIFIED


@dataclass(frozen=True)
class BacklogItem:
    """One distinct unanswered question: the newest wording, how often and when it was asked."""

    key: str
    text: str  # masked, newest wording
    count: int
    first_at: datetime
    last_at: datetime
    domains: list[str]
    place: str  # province filter, else the province the text names, else 未指定
    level: str
    status: str  # open / added / dropped (effective: "added" asked again since → "open")
    stored_status: str | None  # what an editor set (None: never set)
    status_at: datetime | None
    status_by: str | None

    @property
    def status_label(self) -> str:
        return BACKLOG_LABELS[self.status]

    @property
    def reopened(self) -> bool:
        """Marked 已补充, then asked again without a good match."""
        return self.stored_status == "added" and self.status == "open"


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
        verdict = getattr(answer, "verdict", None)  # "fit" / "no_fit" / "off_topic" / "empty" where the engine says
        verdict = getattr(verdict, "value", verdict)  # a str Enum as its value
        if hasattr(filters, "model_dump"):  # a zhili.retrieval.filters.Filters
            filters = filters.model_dump(mode="json")
        filters = _masked(json.loads(json.dumps(filters or {}, ensure_ascii=False, default=str)), mask)
        at = now()
        day = at.date().isoformat()  # UTC: the column predates time zones; statistics use local_day(created_at)
        qid = uuid.uuid4().hex
        row = {"id": qid, "created_at": at, "day": day, "user": user, "text": masked, "filters": filters,
               "province": _one(filters.get("province"), "多个省份"), "level": _one(filters.get("level"), "多个层级"),
               "no_fit": bool(answer.no_fit), "fit_score": float(answer.fit_score),
               "top_case_ids": [r.case_id for r in answer.results[:TOP_IDS]],
               "verdict": str(verdict)[:16] if verdict else None, "text_key": text_key(masked),
               # the province only (never the address): from the text as typed, a masked address may hide it
               "region": province_of(text)[:64]}
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
                            list(_json(r.top_case_ids)), r.verdict, r.region) for r in rows]

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
        """Queries the library could not answer well, newest first (off-topic ones left out)."""
        return self._records(_unanswered(), max(1, min(int(limit), 10_000)))

    def stats(self, days: int = 90) -> dict[str, Any]:
        """Counts over the last `days` local calendar days (configured time zone, today included).

        {"days", "since", "timezone", "total", "no_fit",
         "by_domain": [{"domain", "count", "no_fit"}] (most asked first),
         "by_region": [{"province", "count", "no_fit"}] (the province filter; without one the
                      province the text names; "未指定" when neither gives one),
         "by_day": [{"day", "count", "no_fit"}] (local days, oldest first; days without queries left out)}
        """
        _check_days(days)
        zone = localtime.zone()
        since = localtime.today() - timedelta(days=days - 1)
        q, d = query_table, query_domains_table
        misses = func.sum(case((q.c.no_fit.is_(True), 1), else_=0))
        recent = q.c.created_at >= localtime.day_start(since, zone)
        region = case((q.c.province != "", q.c.province), else_=q.c.region)

        def grouped(key: Any, frm: Any, by_count: bool) -> list[tuple[str, int, int]]:
            stmt = select(key, func.count(), misses).select_from(frm).where(recent).group_by(key)
            rows = [(k or UNSPECIFIED, int(n), int(m or 0)) for k, n, m in conn.execute(stmt)]
            # ordered here, not in SQL: string collation differs between databases, Python's does not
            return sorted(rows, key=lambda r: (-r[1], r[0]) if by_count else r[0])

        with self.engine.connect() as conn:
            total, missed = conn.execute(select(func.count(), misses).where(recent)).one()
            by_domain = grouped(d.c.domain, d.join(q, d.c.query_id == q.c.id), by_count=True)
            by_region = grouped(region, q, by_count=True)
            by_day = grouped(local_day(q.c.created_at, zone.key), q, by_count=False)
        return {
            "days": days, "since": since.isoformat(), "timezone": zone.key,
            "total": int(total), "no_fit": int(missed or 0),
            "by_domain": [{"domain": k, "count": n, "no_fit": m} for k, n, m in by_domain],
            "by_region": [{"province": k, "count": n, "no_fit": m} for k, n, m in by_region],
            "by_day": [{"day": k, "count": n, "no_fit": m} for k, n, m in by_day],
        }

    # ---- backlog ---------------------------------------------------------------------------

    def backlog(self, days: int = 90, status: str | None = None, limit: int = 100) -> list[BacklogItem]:
        """Distinct questions the library could not answer in the last `days` local days, most
        asked first (then most recent); `status` "open"/"added"/"dropped" keeps only those."""
        _check_days(days)
        if status is not None and status not in BACKLOG_STATUSES:
            raise ValueError(f"状态应为 {'、'.join(BACKLOG_STATUSES)} 之一，收到 {status!r}")
        limit = max(1, min(int(limit), MAX_BACKLOG))
        groups, statuses = self._backlog_groups(days)
        chosen = [g for g in groups if status is None or _effective(g, statuses.get(g[0])) == status][:limit]
        return self._backlog_items(days, chosen, statuses)

    def backlog_counts(self, days: int = 90) -> dict[str, int]:
        """How many distinct backlog questions have each (effective) status: {"open", "added", "dropped"}."""
        _check_days(days)
        groups, statuses = self._backlog_groups(days)
        counts = dict.fromkeys(BACKLOG_STATUSES, 0)
        for g in groups:
            counts[_effective(g, statuses.get(g[0]))] += 1
        return counts

    def set_backlog_status(self, key: str, status: str, user: str | None = None) -> None:
        """Record what an editor decided for one backlog question ("open" clears the decision)."""
        if status not in BACKLOG_STATUSES:
            raise ValueError(f"状态应为 {'、'.join(BACKLOG_STATUSES)} 之一，收到 {status!r}")
        if not isinstance(key, str) or not re.fullmatch(r"[0-9a-f]{32}", key):
            raise ValueError("待收集问题的编号无效")
        check_name(user, "用户名")
        b = backlog_table
        with writing(self.engine) as conn:
            known = conn.execute(select(func.count()).select_from(query_table)
                                 .where(query_table.c.text_key == key)).scalar_one()
            if not known:
                raise LookupError("没有这条待收集问题")
            conn.execute(delete(b).where(b.c.text_key == key))
            if status != "open":
                conn.execute(insert(b).values(text_key=key, status=status, updated_at=now(), updated_by=user))

    def _backlog_groups(self, days: int) -> tuple[list[tuple[str, int, datetime, datetime]],
                                                   dict[str, tuple[str, datetime, str | None]]]:
        """[(key, count, first, last)] most asked first, and {key: (status, at, by)} of decided ones."""
        q, b = query_table, backlog_table
        since = localtime.today() - timedelta(days=days - 1)
        where = and_(_unanswered(), q.c.text_key != "", q.c.created_at >= localtime.day_start(since))
        stmt = (select(q.c.text_key, func.count(), func.min(q.c.created_at), func.max(q.c.created_at))
                .where(where).group_by(q.c.text_key))
        with self.engine.connect() as conn:
            groups = [(k, int(n), aware(first), aware(last)) for k, n, first, last in conn.execute(stmt)]
            statuses = {k: (st, aware(at), by) for k, st, at, by in
                        conn.execute(select(b.c.text_key, b.c.status, b.c.updated_at, b.c.updated_by))}
        groups.sort(key=lambda g: (-g[1], -g[3].timestamp(), g[0]))  # type: ignore[union-attr]
        return groups, statuses  # type: ignore[return-value]

    def _backlog_items(self, days: int, groups: list[tuple[str, int, datetime, datetime]],
                       statuses: dict[str, tuple[str, datetime, str | None]]) -> list[BacklogItem]:
        """The newest wording (and its domains/place) of each group."""
        q, d = query_table, query_domains_table
        since = localtime.today() - timedelta(days=days - 1)
        newest: dict[str, Any] = {}
        domains: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks([g[0] for g in groups], 500):
                rows = conn.execute(
                    select(q.c.id, q.c.text_key, q.c.text, q.c.created_at, q.c.province, q.c.region, q.c.level)
                    .where(_unanswered(), q.c.text_key.in_(chunk),
                           q.c.created_at >= localtime.day_start(since))
                    .order_by(q.c.created_at.desc(), q.c.id)).all()
                for r in rows:
                    newest.setdefault(r.text_key, r)
                ids = [r.id for r in newest.values() if r.text_key in set(chunk)]
                for qid, dom in conn.execute(select(d.c.query_id, d.c.domain).where(d.c.query_id.in_(ids))):
                    domains.setdefault(qid, []).append(dom)
        items = []
        for key, count, first, last in groups:
            r = newest[key]
            st = statuses.get(key)
            items.append(BacklogItem(
                key=key, text=r.text, count=count, first_at=first, last_at=last,
                domains=sorted(domains.get(r.id, [])), place=r.province or r.region or UNSPECIFIED,
                level=r.level, status=_effective((key, count, first, last), st),
                stored_status=st[0] if st else None, status_at=st[1] if st else None,
                status_by=st[2] if st else None))
        return items


def _check_days(days: Any) -> None:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3660:
        raise ValueError(f"统计天数必须在 1–3660 之间，收到 {days!r}")


def _unanswered() -> Any:
    """No good match, and not an off-topic text (which no case could ever answer)."""
    q = query_table
    return and_(q.c.no_fit.is_(True), or_(q.c.verdict.is_(None), q.c.verdict != OFF_TOPIC))


def _effective(group: tuple[str, int, datetime, datetime], decided: tuple[str, datetime, str | None] | None) -> str:
    """The status shown: an editor's decision, except that a question marked 已补充 and asked
    again (still without a good match) after that is 待收集 once more."""
    if decided is None:
        return "open"
    status, at, _by = decided
    if status == "added" and group[3] > at:
        return "open"
    return status


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
