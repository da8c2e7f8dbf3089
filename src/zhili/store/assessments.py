"""Assessment data: one row per (pack, unit, period) with its indicator values.

An import replaces exactly the (unit, period) rows it names, inside one transaction with its
audit row, so a file is stored whole or not at all. Viewing person-level results is audited too
(`log`), in the same audit table as case and account changes (`kind` "assess", `case_id` = pack).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, tuple_

from . import audit
from .clock import aware, now
from .schema import assessment_records_table as t
from .tx import writing

ASSESS_LOCK = 0x7A68_696C_6904  # assessment imports (one writer at a time)
ASSESS_ACTIONS = ("assess_import", "assess_view", "assess_export", "assess_report")


@dataclass(frozen=True)
class StoredRecord:
    unit: str
    period: str
    values: dict[str, float]
    name: str
    region: str
    post: str
    updated_at: datetime
    updated_by: str | None


@dataclass(frozen=True)
class AssessImportSummary:
    rows: int
    added: int
    replaced: int
    units: int
    periods: list[str]


class AssessmentStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def replace(self, pack: str, rows: list[dict[str, Any]], *, by: str | None = None,
                source: str = "") -> AssessImportSummary:
        """Store every row (unit, period, values, name, region, post) or none of them."""
        at = now()
        keys = [(r["unit"], r["period"]) for r in rows]
        with writing(self.engine, ASSESS_LOCK) as conn:
            existing = 0
            for i in range(0, len(keys), 400):
                chunk = keys[i:i + 400]
                cond = and_(t.c.pack == pack, or_(*[and_(t.c.unit == u, t.c.period == p) for u, p in chunk])) \
                    if conn.dialect.name == "sqlite" else and_(t.c.pack == pack, tuple_(t.c.unit, t.c.period).in_(chunk))
                existing += conn.execute(delete(t).where(cond)).rowcount or 0
            for i in range(0, len(rows), 500):
                conn.execute(insert(t), [{"pack": pack, "unit": r["unit"], "period": r["period"],
                                          "name": r.get("name", ""), "region": r.get("region", ""),
                                          "post": r.get("post", ""), "values": r["values"],
                                          "updated_at": at, "updated_by": by} for r in rows[i:i + 500]])
            summary = AssessImportSummary(len(rows), len(rows) - existing, existing,
                                          len({u for u, _ in keys}), sorted({p for _, p in keys}))
            audit.write(conn, [{"kind": "assess", "case_id": pack, "action": "assess_import", "user": by, "at": at,
                                "before": None, "after": {"file": source, "rows": summary.rows,
                                                          "replaced": summary.replaced, "units": summary.units,
                                                          "periods": summary.periods}}])
        return summary

    def records(self, pack: str, unit: str | None = None) -> list[StoredRecord]:
        q = select(t).where(t.c.pack == pack).order_by(t.c.unit, t.c.period)
        if unit is not None:
            q = q.where(t.c.unit == unit)
        with self.engine.connect() as conn:
            return [StoredRecord(r.unit, r.period, {k: float(v) for k, v in (r.values or {}).items()}, r.name,
                                 r.region, r.post, aware(r.updated_at), r.updated_by) for r in conn.execute(q)]

    def revision(self, pack: str) -> str:
        """Changes whenever the pack's rows change (count, newest write, highest id)."""
        with self.engine.connect() as conn:
            n, last, top = conn.execute(select(func.count(), func.max(t.c.updated_at), func.max(t.c.id))
                                        .where(t.c.pack == pack)).one()
        return f"{n}:{last}:{top}"

    def log(self, pack: str, action: str, by: str | None, detail: dict[str, Any]) -> None:
        """An audit row for a view, export or report of assessment results."""
        assert action in ASSESS_ACTIONS, action
        with writing(self.engine) as conn:
            audit.write(conn, [{"kind": "assess", "case_id": pack, "action": action, "user": by, "at": now(),
                                "before": None, "after": detail}])

    def clear(self, pack: str, units: Iterable[str] | None = None) -> int:
        with writing(self.engine, ASSESS_LOCK) as conn:
            q = delete(t).where(t.c.pack == pack)
            if units is not None:
                q = q.where(t.c.unit.in_(list(units)))
            return conn.execute(q).rowcount or 0
