"""Feedback on recommendations: was a case adopted, helpful or irrelevant for a logged query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, insert, select

from .clock import aware, now
from .errors import QueryNotFoundError, check_choice, check_name
from .schema import VERDICTS, feedback_table, query_table
from .tx import writing


@dataclass(frozen=True)
class FeedbackEntry:
    id: int
    query_id: str
    case_id: str
    verdict: str  # "adopted" | "helpful" | "irrelevant"
    user: str | None
    created_at: datetime


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, query_id: str, case_id: str, verdict: str, user: str | None = None) -> int:
        """Record one verdict on one case of a logged query; returns the feedback id."""
        check_choice(verdict, VERDICTS, "反馈")
        check_name(case_id, "案例编号", required=True)
        check_name(user, "用户名")
        with writing(self.engine) as conn:
            if conn.execute(select(query_table.c.id).where(query_table.c.id == query_id)).first() is None:
                raise QueryNotFoundError(query_id)
            return int(conn.execute(insert(feedback_table).values(
                query_id=query_id, case_id=case_id, verdict=verdict, user=user, created_at=now())
            ).inserted_primary_key[0])

    def list(self, query_id: str | None = None, limit: int = 100) -> list[FeedbackEntry]:
        """Newest first; all queries or one."""
        f = feedback_table
        q = select(f).order_by(f.c.id.desc()).limit(max(1, min(int(limit), 10_000)))
        if query_id is not None:
            q = q.where(f.c.query_id == query_id)
        with self.engine.connect() as conn:
            return [FeedbackEntry(r.id, r.query_id, r.case_id, r.verdict, r.user, aware(r.created_at))  # type: ignore[arg-type]
                    for r in conn.execute(q)]

    def summary(self, case_id: str | None = None) -> dict[str, int]:
        """Count per verdict (every verdict present, zero when none), overall or for one case."""
        f = feedback_table
        q = select(f.c.verdict, func.count()).group_by(f.c.verdict)
        if case_id is not None:
            q = q.where(f.c.case_id == case_id)
        with self.engine.connect() as conn:
            counts = dict(conn.execute(q).all())
        return {v: int(counts.get(v, 0)) for v in VERDICTS}
