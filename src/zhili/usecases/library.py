"""The case library's use cases: read, create, edit, publish/withdraw (one or many), delete,
restore a version, import and export — each once, for the API, the pages and the CLI.

What every write shares lives here and nowhere else:
* four eyes (`Actor.four_eyes`): no direct publishing, no publishing one's own last change, and
  an edit of a published case goes back to draft — unless the edit changed nothing;
* drafts are for editors: to anyone else a draft answers exactly like a missing case;
* after a committed write the engine is brought to the new revision before the caller answers,
  so the next search matches what was saved. A failed rebuild is logged, not reported as a
  failed save (the change is stored; `Service.engine()` rebuilds on the next request).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..access.errors import ApiError, not_found
from ..cases.errors import CaseFileError, field_label
from ..cases.io import EXAMPLE_MARK, is_example, read_cases
from ..cases.model import Case, publish_problems
from ..store import (CaseExistsError, CaseIncompleteError, CaseNotFoundError, VersionNotFoundError,
                     VersionUnusableError)
from .actor import Actor

if TYPE_CHECKING:
    from ..service import Service
    from ..store.audit import AuditEntry
    from ..store.bundled import BundledPlan
    from ..store.case_records import CaseRecord
    from ..store.case_store import ImportSummary

log = logging.getLogger(__name__)
Status = Literal["draft", "published"]
REVIEW = "review_required"
ACTIONS: dict[str, Status | None] = {"publish": "published", "withdraw": "draft", "delete": None}
MAX_SELECTED = 200  # cases one bulk action may name


@dataclass(frozen=True)
class Planned:
    """What a bulk action would do to one case: `why` is "" (it will be done), "missing",
    "same" (already in that status), "review" (four eyes: someone else must publish it) or
    "incomplete" (publishing needs 问题 or 做法 and a named source: `publish_problems`)."""

    case_id: str
    record: "CaseRecord | None"
    why: str

    @property
    def will(self) -> bool:
        return not self.why


@dataclass(frozen=True)
class BulkResult:
    action: str
    changed: tuple[str, ...] = ()
    same: int = 0
    skipped: int = 0  # four eyes
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowProblem:
    """One bad row of an import file (row None: the case is named in `message`)."""

    row: int | None
    field: str | None
    reason: str
    message: str

    def json(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "field_label": field_label(self.field or "") or None,
                "reason": self.reason, "message": self.message}


@dataclass
class ImportRefused(Exception):
    """The file cannot be imported; nothing was saved. `problems` names every bad row."""

    filename: str
    problems: list[RowProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return f"文件 {self.filename} 有 {len(self.problems)} 处错误，未导入任何案例"


def review_refused(message: str) -> ApiError:
    return ApiError(403, REVIEW, message, "Review required: someone else must publish this", field="status")


class Library:
    """The case library as its editors and readers use it."""

    def __init__(self, service: "Service") -> None:
        self.service = service

    @property
    def store(self) -> Any:
        return self.service.store.cases

    # ------------------------------------------------------------------ reading
    def record(self, case_id: str, actor: Actor) -> "CaseRecord":
        """A case and its status; 404 for a missing case and, for non-editors, for a draft."""
        record = self.store.get_record(case_id)
        if record is None or (record.status != "published" and not actor.may_see_drafts):
            raise not_found("案例", case_id, field="case_id")
        return record

    def history(self, case_id: str, actor: Actor) -> list["AuditEntry"]:
        """Editors see every entry (drafts and deleted cases too); others only a published
        case's, with the bodies of its draft versions left out."""
        audit = self.service.store.audit
        if actor.may_see_drafts:
            entries = audit.history(case_id)
            if not entries and self.store.get_record(case_id) is None:
                raise not_found("案例", case_id, field="case_id")
            return entries
        self.record(case_id, actor)
        return [_public(e) for e in audit.history(case_id)]

    def own_unreviewed(self, record: "CaseRecord | None", actor: Actor) -> bool:
        """Four eyes: `actor` may not publish this draft because they changed its content last."""
        return (record is not None and record.status == "draft" and actor.four_eyes
                and self.service.store.audit.last_author(record.case.id) == actor.username)

    # ------------------------------------------------------------------ one case
    def create(self, case: Case, actor: Actor, status: Status = "draft") -> "CaseRecord":
        if status == "published":
            self._check_direct_publish(actor)
            self._check_complete(case)
        try:
            record = self.store.create(case, user=actor.username, status=status)
        except CaseExistsError:
            raise ApiError(409, "case_exists", f"编号“{case.id}”已存在，请改用修改接口或换一个编号",
                           f"Case {case.id} already exists", field="id") from None
        self._written()
        return record

    def update(self, case: Case, actor: Actor) -> tuple["CaseRecord", "CaseRecord"]:
        """Save new content; returns (before, after). Under four eyes an edit of a published case
        goes back to draft for review — but saving it unchanged never withdraws it."""
        before = self.store.get_record(case.id)
        if before is None:
            raise not_found("案例", case.id, field="case_id")
        status: Status | None = None
        if (actor.four_eyes and before.status == "published"
                and case.content_hash() != before.case.content_hash()):
            status = "draft"
        if (status or before.status) == "published":
            self._check_complete(case)  # a published case stays complete
        try:
            after = self.store.update(case, user=actor.username, status=status)
        except CaseNotFoundError:
            raise not_found("案例", case.id, field="case_id") from None
        self._written()
        return before, after

    def set_status(self, case_id: str, status: Status, actor: Actor) -> "CaseRecord":
        """发布 / 撤回 one case."""
        if status == "published":
            self._check_publish(case_id, actor)
            current = self.store.get_record(case_id)
            if current is not None:
                self._check_complete(current.case)
        try:
            record = self.store.set_status(case_id, status, user=actor.username)
        except CaseNotFoundError:
            raise not_found("案例", case_id, field="case_id") from None
        self._written()
        return record

    def delete(self, case_id: str, actor: Actor) -> None:
        try:
            self.store.remove(case_id, user=actor.username)
        except CaseNotFoundError:
            raise not_found("案例", case_id, field="case_id") from None
        self._written()

    def restore_choices(self, record: "CaseRecord | None", actor: Actor) -> tuple[set[str], Status | None]:
        """(allowed `then` choices, forced status): four eyes decide for non-admins — a restored
        version of a published (or deleted) case comes back as a draft to review."""
        if actor.four_eyes:
            current = record.status if record is not None else None
            return {"keep"}, ("draft" if current in ("published", None) else None)
        return {"keep", "draft", "published"}, None

    def restore(self, case_id: str, entry_id: int, actor: Actor, then: str = "keep") -> "CaseRecord":
        """Bring back the version audit entry `entry_id` recorded, as a new change."""
        allowed, forced = self.restore_choices(self.store.get_record(case_id), actor)
        if then not in allowed:
            raise review_refused("已开启发布审核：恢复的版本须由其他编辑或管理员审核后发布。")
        status: Status | None = forced or {"keep": None, "draft": "draft", "published": "published"}[then]
        current = self.store.get_record(case_id)
        if (status or (current.status if current else None)) == "published":  # the version goes live
            entry = self.service.store.audit.entry(entry_id)
            if entry is not None and entry.case_id == case_id:
                try:
                    version = self.store.version_of(case_id, entry.after)
                except VersionUnusableError:
                    version = None  # store.restore below reports it
                if version is not None:
                    self._check_complete(version)
        try:
            record = self.store.restore(case_id, entry_id, actor.username, status)
        except VersionNotFoundError:
            raise ApiError(404, "version_not_found", f"案例“{case_id}”没有这条可恢复的修改记录。",
                           "No such version of this case", field="entry_id") from None
        except VersionUnusableError as exc:
            raise ApiError(422, "version_unusable", str(exc), "This version cannot be restored",
                           field="entry_id") from None
        self._written()
        return record

    # ------------------------------------------------------------------ many cases
    def plan(self, action: str, ids: Sequence[str], actor: Actor) -> list[Planned]:
        """What `apply` would do to each selected case; nothing changes."""
        target = self._target(action)
        rows = []
        for cid in _selected(ids):
            record = self.store.get_record(cid)
            why = ("missing" if record is None else
                   "same" if target is not None and record.status == target else
                   "review" if target == "published" and self.own_unreviewed(record, actor) else
                   "incomplete" if target == "published" and publish_problems(record.case) else "")
            rows.append(Planned(cid, record, why))
        return rows

    def apply(self, action: str, ids: Sequence[str], actor: Actor) -> BulkResult:
        """发布 / 撤回 / 删除 the selected cases in one transaction, skipping what the plan skips
        (planned again here: things may have moved since the confirmation page)."""
        target = self._target(action)
        plan = self.plan(action, ids, actor)
        doing = [p.case_id for p in plan if p.will]
        if target is None:
            changed = tuple(doing) if doing and self.store.delete(doing, actor.username) else ()
            same = 0
        else:
            summary = self.store.set_status_many(doing, target, actor.username)
            changed, same = summary.changed, sum(p.why == "same" for p in plan)
        self._written()
        return BulkResult(action, tuple(changed), same, sum(p.why == "review" for p in plan),
                          tuple(p.case_id for p in plan if p.why == "missing"))

    # ------------------------------------------------------------------ files
    def read_import(self, path: Path, filename: str, publish: bool = False) -> list[Case]:
        """Every case of an import file, or ImportRefused naming every bad row — including what
        the file readers accept but the library must not store: the template's example row
        and NUL characters anywhere (PostgreSQL refuses them in every text column)."""
        try:
            cases = read_cases(path, publish=publish)  # cases to publish must also be complete
        except CaseFileError as exc:
            raise ImportRefused(filename, [RowProblem(e.row, e.field or None, e.reason, str(e))
                                           for e in exc.errors]) from None
        self.refuse_unstorable(cases, filename)
        return cases

    def refuse_unstorable(self, cases: list[Case], filename: str) -> None:
        """ImportRefused when valid-looking cases must still not be stored (see `read_import`)."""
        problems = [RowProblem(None, "id", reason := (
                        f"编号“{c.id}”是模板中的示例行（标题以“{EXAMPLE_MARK}”开头），不是真实案例；"
                        "请删除这一行后重新上传"), f"案例 {c.id}：{reason}")
                    for c in cases if is_example(c)]
        for c in cases:
            where = _nul_path(c.model_dump(mode="json"))
            if where is not None:
                problems.append(RowProblem(None, where, "含有空字符 (NUL)",
                                           f"案例 {c.id} [{field_label(where)}]：含有空字符 (NUL)"))
        if problems:
            raise ImportRefused(filename, problems)

    def import_plan(self, cases: list[Case], mode: str = "upsert") -> dict[str, int]:
        """What an import would do, counted the way `ImportSummary` reports it."""
        existing = {c.id: c.content_hash() for c in self.store.all()}
        hashes = {c.id: c.content_hash() for c in cases}
        return {"added": sum(cid not in existing for cid in hashes),
                "updated": sum(cid in existing and existing[cid] != h for cid, h in hashes.items()),
                "unchanged": sum(existing.get(cid) == h for cid, h in hashes.items()),
                "removed": len(set(existing) - set(hashes)) if mode == "replace" else 0}

    def check_import(self, actor: Actor, mode: str = "upsert", status: Status = "published") -> None:
        """Who may import how: replacing the whole library is for admins; four eyes import drafts."""
        if mode == "replace" and not actor.at_least("admin"):
            raise ApiError(403, "forbidden", "用文件替换整个案例库需要管理员权限", "Replace needs an admin",
                           field="mode")
        if status == "published":
            self._check_direct_publish(actor)

    def import_cases(self, cases: list[Case], actor: Actor, mode: str = "upsert",
                     status: Status = "published") -> "ImportSummary":
        """All or nothing, in one transaction."""
        self.check_import(actor, mode, status)
        try:
            summary = self.store.import_cases(cases, mode=mode, user=actor.username, status=status)
        except ValueError as exc:
            raise ApiError(422, "invalid_file", f"导入失败，未保存任何案例：{exc}", "Import failed; nothing saved",
                           field="file") from None
        self._written()
        return summary

    # ------------------------------------------------------------------ the shipped library
    def bundled_plan(self, actor: Actor) -> "BundledPlan":
        """What updating to the library this release ships would add, correct and leave alone."""
        self._check_admin(actor, "查看内置案例库更新")
        return self.store.bundled_plan()

    def update_bundled(self, actor: Actor, status: Status = "published") -> "BundledPlan":
        """Add the release's new cases (as `status`) and correct the ones nobody here changed,
        in one transaction; local edits and deletions stay (`zhili.store.bundled`)."""
        self._check_admin(actor, "更新内置案例库")
        if status not in ("draft", "published"):
            raise ApiError(422, "validation_error", "新增案例的状态应为“草稿”或“发布”", "status must be draft or published",
                           field="status")
        if status == "published":
            self._check_direct_publish(actor)
        done = self.store.update_bundled(status=status)
        if done.pending:
            self._written()
        return done

    def export(self, status: str, actor: Actor) -> list[Case]:
        """The cases to export: published ones for anyone who may read, drafts for editors."""
        if status != "published" and not actor.may_see_drafts:
            if actor.username is None:
                from ..access.errors import unauthorized

                raise unauthorized()
            raise ApiError(403, "forbidden", "只有编辑及以上权限可以导出草稿", "Drafts are visible to editors only",
                           field="status")
        if status == "published":
            return self.store.published()
        out, offset = [], 0
        wanted = None if status == "all" else status
        while True:
            items, total = self.store.page(status=wanted, offset=offset, limit=500)
            out += [r.case for r in items]
            offset += len(items)
            if not items or offset >= total:
                return out

    # ------------------------------------------------------------------ shared checks
    @staticmethod
    def _check_complete(case: Case) -> None:
        """A case going live needs 问题 or 做法 and a named source — the importer's words exactly."""
        missing = publish_problems(case)
        if missing:
            exc = CaseIncompleteError(case.id, missing)
            raise ApiError(422, "incomplete_case", str(exc), "The case lacks what a published case must have",
                           field=exc.field)

    def _check_publish(self, case_id: str, actor: Actor) -> None:
        if self.own_unreviewed(self.store.get_record(case_id), actor):
            raise review_refused("已开启发布审核：您是此案例内容的最后修改人，不能自己发布，请由其他编辑或管理员审核后发布")

    @staticmethod
    def _check_admin(actor: Actor, what: str) -> None:
        if not actor.at_least("admin"):
            raise ApiError(403, "forbidden", f"{what}需要管理员权限", "Needs an admin", field=None)

    @staticmethod
    def _check_direct_publish(actor: Actor) -> None:
        if actor.four_eyes:
            raise review_refused("已开启发布审核：编辑新建或导入的案例须先保存为草稿（status=draft），"
                                 "再由其他编辑或管理员审核发布")

    @staticmethod
    def _target(action: str) -> Status | None:
        if action not in ACTIONS:
            raise ApiError(422, "validation_error", "未知的操作，应为发布、撤回或删除", "Unknown action",
                           field="action")
        return ACTIONS[action]

    def _written(self) -> None:
        """Bring the engine to the new revision (unless the service does not follow writes: the CLI)."""
        if not self.service.follow_writes:
            return
        try:
            self.service.refresh()
        except Exception:  # noqa: BLE001 - the change is saved; the next request rebuilds
            log.exception("engine refresh after a write failed")


def _selected(values: Sequence[Any]) -> list[str]:
    ids = [v.strip() for v in values if isinstance(v, str) and 0 < len(v.strip()) <= 64]
    return list(dict.fromkeys(ids))[:MAX_SELECTED]


def _public(entry: "AuditEntry") -> "AuditEntry":
    """An audit entry without the bodies of draft versions (work in progress is for editors)."""
    def side(snap: dict[str, Any] | None) -> dict[str, Any] | None:
        if snap is None or snap.get("status") == "published":
            return snap
        return {"status": snap.get("status"), "case": None}

    return replace(entry, before=side(entry.before), after=side(entry.after))


def _nul_path(value: Any, path: str = "") -> str | None:
    """Where a NUL character sits in decoded JSON ("" = the value itself), else None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_path(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None
