"""The audit log: one row per case or account change — who, when, what it looked like before and after.

Rows are written by the case and user stores inside the same transaction as the change itself,
so a change and its audit row exist together or not at all. For cases (`kind` "case") `before`/
`after` are snapshots `{"status": …, "case": {…payload…}}` (None when the case did not exist on
that side; a "restore" row's `after` also holds `restored_from`, the id of the audit entry whose
version was brought back); for accounts (`kind` "user", `case_id` holds the user name) they are
`{"role", "active"}` or the token concerned `{"token_id", "name", "expires_at"}` — never a
password or token hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from .clock import aware
from .schema import audit_table

ACTIONS = ("create", "update", "status", "remove", "import", "restore", "bundled")
USER_ACTIONS = ("user_create", "role", "disable", "enable", "password", "token_issue", "token_revoke")
CONTENT_ACTIONS = ("create", "update", "import", "restore", "bundled")  # case actions that may change what a case says


@dataclass(frozen=True)
class AuditEntry:
    id: int
    case_id: str
    action: str
    user: str | None
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    kind: str = "case"  # "case" or "user" (then case_id is the user name)


def snapshot(status: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"status": status, "case": payload}


def account_row(action: str, username: str, by: str | None, at: datetime, before: dict[str, Any] | None,
                after: dict[str, Any] | None) -> dict[str, Any]:
    """An audit row for an account change (written by UserStore in its own transaction)."""
    assert action in USER_ACTIONS, action
    return {"kind": "user", "case_id": username, "action": action, "user": by, "at": at,
            "before": before, "after": after}


def write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert audit rows (case_id, action, user, at, before, after) in the caller's transaction."""
    for i in range(0, len(rows), 500):
        conn.execute(insert(audit_table), rows[i : i + 500])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(row.id, row.case_id, row.action, row.user, aware(row.at), _json(row.before), _json(row.after),
                      row.kind)


class AuditLog:
    """Reading the audit log (writing happens in CaseStore and UserStore)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def history(self, case_id: str) -> list[AuditEntry]:
        """Every change of one case, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_table).where(audit_table.c.case_id == case_id,
                                                          audit_table.c.kind == "case")
                                .order_by(audit_table.c.id))
            return [_entry(r) for r in rows]

    def entry(self, entry_id: int) -> AuditEntry | None:
        """One audit row by its id (None when there is no such row)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(audit_table).where(audit_table.c.id == entry_id)).one_or_none()
        return None if row is None else _entry(row)

    def last_author(self, case_id: str) -> str | None:
        """Who last changed what the case says (create, edit, import or restore; not a status change).

        The four-eyes rule asks this: someone else must publish what a person wrote.
        """
        for entry in reversed(self.history(case_id)):
            if entry.action not in CONTENT_ACTIONS:
                continue
            before = (entry.before or {}).get("case")
            if before is None or before != (entry.after or {}).get("case"):
                return entry.user
        return None

    def recent(self, limit: int = 50, kind: str | None = None) -> list[AuditEntry]:
        """The newest changes (of one `kind`, or all), newest first."""
        limit = max(1, min(int(limit), 1000))
        q = select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)
        if kind is not None:
            q = q.where(audit_table.c.kind == kind)
        with self.engine.connect() as conn:
            return [_entry(r) for r in conn.execute(q)]
