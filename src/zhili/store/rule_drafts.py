"""Rule drafts: a user's working copy of the rule packs (file texts), with its review state.

The store keeps the data and writes each change with its audit row in one transaction; who may
do what (owner, second approver, checks before publishing) is decided by `zhili.ruleedit`.
States: editing → submitted (waiting for a second person) → approved → published; any open
draft may be discarded. Saving a submitted or approved draft sends it back to editing (an
approval covers exactly the content that was approved).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from . import audit
from .clock import aware, now
from .errors import StoreError, check_name
from .schema import rule_drafts_table
from .tx import writing

OPEN = ("editing", "submitted", "approved")
STATES = (*OPEN, "published", "discarded")
MAX_FILES_BYTES = 10_000_000  # a whole rule set is a few hundred kilobytes


class RuleDraftError(StoreError):
    """A draft request refused; `code` names why for the API (not_found, conflict, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RuleDraft:
    id: int
    owner: str
    status: str
    base_version: int | None
    files: dict[str, str]
    note: str
    approved_by: str | None
    created_at: datetime
    updated_at: datetime
    revision: int

    @property
    def open(self) -> bool:
        return self.status in OPEN

    def summary(self) -> dict[str, Any]:
        """Everything but the file texts (lists)."""
        return {"id": self.id, "owner": self.owner, "status": self.status, "base_version": self.base_version,
                "note": self.note, "approved_by": self.approved_by, "created_at": self.created_at,
                "updated_at": self.updated_at, "revision": self.revision}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _draft(row: Any) -> RuleDraft:
    return RuleDraft(row.id, row.owner, row.status, row.base_version, dict(_json(row.files)), row.note or "",
                     row.approved_by, aware(row.created_at), aware(row.updated_at), row.revision)  # type: ignore[arg-type]


def check_files(files: dict[str, str]) -> dict[str, str]:
    """Refuse what can never be a rule set: non-text, paths leaving the pack folders, huge."""
    if not isinstance(files, dict) or not files:
        raise RuleDraftError("invalid", "草稿中没有任何规则文件")
    size = 0
    for path, text in files.items():
        parts = path.split("/") if isinstance(path, str) else []
        if len(parts) != 2 or any(p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\x00" in p
                                  for p in parts):
            raise RuleDraftError("invalid", f"规则文件路径“{path}”无效（应为 规则包目录/文件名）")
        if not isinstance(text, str) or "\x00" in text:
            raise RuleDraftError("invalid", f"规则文件“{path}”应为文字")
        size += len(text.encode("utf-8"))
    if size > MAX_FILES_BYTES:
        raise RuleDraftError("invalid", f"规则文件总大小 {size} 字节，超过上限 {MAX_FILES_BYTES}")
    return dict(sorted(files.items()))


def _audit(conn: Connection, action: str, draft_id: int, user: str | None, before: Any, after: Any) -> None:
    audit.write(conn, [{"kind": "rules", "case_id": f"draft:{draft_id}", "action": action, "user": user,
                        "at": now(), "before": before, "after": after}])


class RuleDrafts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, owner: str, files: dict[str, str], base_version: int | None = None,
               note: str = "") -> RuleDraft:
        check_name(owner, "用户名")
        files = check_files(files)
        at = now()
        with writing(self.engine) as conn:
            did = conn.execute(insert(rule_drafts_table).values(
                owner=owner, status="editing", base_version=base_version, files=files, note=note,
                approved_by=None, created_at=at, updated_at=at, revision=1)).inserted_primary_key[0]
            _audit(conn, "draft_create", int(did), owner, None,
                   {"status": "editing", "base_version": base_version, "files": sorted(files)})
        return RuleDraft(int(did), owner, "editing", base_version, files, note, None, at, at, 1)

    def get(self, draft_id: int) -> RuleDraft | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(rule_drafts_table).where(rule_drafts_table.c.id == draft_id)).first()
        return None if row is None else _draft(row)

    def list(self, owner: str | None = None, statuses: tuple[str, ...] = OPEN) -> list[RuleDraft]:
        """Drafts (newest change first), of one owner or everyone's, in `statuses`."""
        t = rule_drafts_table
        q = select(t).where(t.c.status.in_(statuses)).order_by(t.c.updated_at.desc(), t.c.id.desc())
        if owner is not None:
            q = q.where(t.c.owner == owner)
        with self.engine.connect() as conn:
            return [_draft(r) for r in conn.execute(q)]

    def _locked(self, conn: Connection, draft_id: int) -> RuleDraft:
        row = conn.execute(select(rule_drafts_table).where(rule_drafts_table.c.id == draft_id)).first()
        if row is None:
            raise RuleDraftError("not_found", f"规则草稿 {draft_id} 不存在")
        return _draft(row)

    def save(self, draft_id: int, user: str, files: dict[str, str], note: str | None = None,
             expected_revision: int | None = None) -> RuleDraft:
        """New content for an open draft; an approval or submission lapses (back to editing)."""
        files = check_files(files)
        with writing(self.engine) as conn:
            d = self._locked(conn, draft_id)
            if not d.open:
                raise RuleDraftError("conflict", f"规则草稿 {draft_id} {_STATE_LABEL[d.status]}，不能再修改")
            if expected_revision is not None and expected_revision != d.revision:
                raise RuleDraftError("conflict", f"规则草稿 {draft_id} 已在别处被修改（第 {d.revision} 版），"
                                     "请重新打开后再保存")
            changed = [p for p in sorted(set(files) | set(d.files)) if files.get(p) != d.files.get(p)]
            at = now()
            conn.execute(update(rule_drafts_table).where(rule_drafts_table.c.id == draft_id).values(
                files=files, status="editing", approved_by=None, updated_at=at, revision=d.revision + 1,
                note=d.note if note is None else note))
            _audit(conn, "draft_save", draft_id, user, {"status": d.status, "revision": d.revision},
                   {"status": "editing", "revision": d.revision + 1, "changed": changed})
        return self.get(draft_id)  # type: ignore[return-value]

    def set_status(self, draft_id: int, user: str, status: str, *, expect: tuple[str, ...] = OPEN,
                   approved_by: str | None = None, note: str | None = None,
                   expected_revision: int | None = None) -> RuleDraft:
        """Move a draft to `status` if it is in one of `expect` (else conflict)."""
        assert status in STATES, status
        action = {"submitted": "draft_submit", "approved": "draft_approve", "published": "draft_publish",
                  "discarded": "draft_discard", "editing": "draft_reopen"}[status]
        with writing(self.engine) as conn:
            d = self._locked(conn, draft_id)
            if d.status not in expect:
                raise RuleDraftError("conflict", f"规则草稿 {draft_id} 当前{_STATE_LABEL[d.status]}，不能{_ACTION_LABEL[status]}")
            if expected_revision is not None and expected_revision != d.revision:
                raise RuleDraftError("conflict", f"规则草稿 {draft_id} 已被修改（第 {d.revision} 版），请重新查看后再操作")
            conn.execute(update(rule_drafts_table).where(rule_drafts_table.c.id == draft_id).values(
                status=status, approved_by=approved_by, updated_at=now(),
                note=d.note if note is None else note))
            _audit(conn, action, draft_id, user, {"status": d.status}, {"status": status, "approved_by": approved_by})
        return self.get(draft_id)  # type: ignore[return-value]


_STATE_LABEL = {"editing": "编辑中", "submitted": "待审核", "approved": "已审核", "published": "已发布",
                "discarded": "已放弃"}
_ACTION_LABEL = {"submitted": "提交审核", "approved": "审核通过", "published": "发布", "discarded": "放弃",
                 "editing": "退回编辑"}


def mark_published(conn: Connection, draft_id: int, user: str | None, approved_by: str | None) -> None:
    """Inside the transaction recording the version: the draft becomes published (if still open)."""
    row = conn.execute(select(rule_drafts_table.c.status).where(rule_drafts_table.c.id == draft_id)).first()
    if row is None:
        raise RuleDraftError("not_found", f"规则草稿 {draft_id} 不存在")
    if row.status not in OPEN:
        raise RuleDraftError("conflict", f"规则草稿 {draft_id} {_STATE_LABEL[row.status]}，不能发布")
    conn.execute(update(rule_drafts_table).where(rule_drafts_table.c.id == draft_id).values(
        status="published", approved_by=approved_by, updated_at=now()))
    _audit(conn, "draft_publish", draft_id, user, {"status": row.status},
           {"status": "published", "approved_by": approved_by})
