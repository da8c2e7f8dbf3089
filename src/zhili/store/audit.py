"""The audit log: one row per case change — who, when, what it looked like before and after.

Rows are written by the case store inside the same transaction as the change itself, so a
change and its audit row exist together or not at all. `before`/`after` are snapshots
`{"status": …, "case": {…payload…}}` (None when the case did not exist on that side).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from .clock import aware
from .schema import audit_table

ACTIONS = ("create", "update", "status", "remove", "import")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    case_id: str
    action: str
    user: str | None
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def snapshot(status: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": status, "case": payload}


def write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert audit rows (case_id, action, user, at, before, after) in the caller's transaction."""
    for i in range(0, len(rows), 500):
        conn.execute(insert(audit_table), rows[i : i + 500])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(row.id, row.case_id, row.action, row.user, aware(row.at), _json(row.before), _json(row.after))


class AuditLog:
    """Reading the audit log (writing happens in CaseStore)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def history(self, case_id: str) -> list[AuditEntry]:
        """Every change of one case, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_table).where(audit_table.c.case_id == case_id)
                                .order_by(audit_table.c.id))
            return [_entry(r) for r in rows]

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The newest changes across all cases, newest first."""
        limit = max(1, min(int(limit), 1000))
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_table).order_by(audit_table.c.id.desc()).limit(limit))
            return [_entry(r) for r in rows]
