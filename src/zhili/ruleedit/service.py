"""Every rule-editing use case, once: the API, the pages and the CLI call these.

Drafts are per user (only the owner edits one; any editor may read it to review). Publishing
checks the draft (every cell, the same linter as `zhili rules check`) and runs every pack's
examples; with `require_approval` (`[api] rules_require_approval`) a second person must approve
first. A published version is recorded with who, when, why and who approved it, then the
serving engine switches to it in one assignment — if checking, loading or recording fails, the
old rules keep serving. Restoring publishes an old version's files again as a new version.
Every step is in the audit log (kind "rules").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..rules.coverage import parse_queries
from ..rules.diff import diff_rules
from ..rules.examples import load_examples, run_examples
from ..rules.inputs import rule_input_for
from ..rules.ruleset import RuleSet
from ..rules.schema import RuleCheckError
from ..store.rule_drafts import RuleDraft, RuleDraftError
from ..store.rule_versions import RuleVersion
from .files import load_files, materialize, read_dir
from .tables import EditError, TableEdit, apply_edits, lint_files, lint_table_rows, packs_view
from .workbook import ImportResult, WorkbookError, export_workbook, import_workbook

if TYPE_CHECKING:
    from ..service import Service

log = logging.getLogger(__name__)
REPLAY_SOURCES = ("examples", "recent", "upload")
MAX_REPLAY = 500


@dataclass
class RuleEditError(Exception):
    """A request refused: HTTP-like `status`, a `code`, a Chinese `message`, details in `extra`."""

    status: int
    code: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def _from_store(exc: RuleDraftError) -> RuleEditError:
    status = {"not_found": 404, "conflict": 409, "invalid": 422}.get(exc.code, 400)
    return RuleEditError(status, exc.code, str(exc))


def _name(user: Any) -> str:
    name = user if isinstance(user, str) else getattr(user, "username", None)
    if not name:
        raise RuleEditError(401, "unauthorized", "请先登录")
    return name


def check_report(files: dict[str, str]) -> dict[str, Any]:
    """Lint every pack, load the whole set, run every example: {ok, errors, problems, examples}."""
    problems: list[dict[str, Any]] = []
    for pack in sorted({k.split("/")[0] for k in files if k.endswith("/pack.json")}):
        try:
            problems += lint_files(files, pack)
        except EditError as exc:
            problems.append({"file": f"{pack}/pack.json", "node": "", "row": "", "cell": "", "severity": "error",
                             "message": str(exc), "rows": [], "column": "", "table": ""})
    errors = [p for p in problems if p["severity"] == "error"]
    examples: dict[str, Any] = {"run": 0, "failed": 0, "failures": []}
    if not errors:
        try:
            rules = load_files(files)
        except RuleCheckError as exc:
            problems += [{**p.to_dict(), "rows": [], "column": "", "table": ""} for p in exc.problems]
            errors = exc.problems  # type: ignore[assignment]
        else:
            results, bad = run_examples(rules)
            failed = [r for r in results if not r.passed]
            examples = {"run": len(results), "failed": len(failed) + len(bad),
                        "failures": [{"pack": r.example.pack_id, "id": r.example.id, "line": r.example.line,
                                      "text": r.example.text, "failures": r.failures} for r in failed]
                        + [{"pack": p.file.split("/")[0], "id": p.row, "line": 0, "text": "",
                            "failures": [p.message]} for p in bad]}
    return {"ok": not errors and not examples["failed"], "errors": len(errors), "problems": problems,
            "examples": examples}


def outcome_view(answer_or_outcome: Any) -> dict[str, Any]:
    """Classification, routing, risk, suggestions and trace of a rule outcome or an answer."""
    o = answer_or_outcome
    if hasattr(o, "classification"):  # an Answer
        return {"classification": o.classification, "routing": o.routing.model_dump() if o.routing else None,
                "risk": o.risk.model_dump() if o.risk else None, "suggestions": o.suggestions,
                "rule_trace": o.rule_trace, "verdict": o.verdict, "message": o.message,
                "results": [{"case_id": r.case_id, "title": r.title, "score": r.score} for r in o.results]}
    return {"classification": {"domains": o.domains, "primary_domain": o.primary_domain, "setting": o.setting,
                               "urgency": o.urgency, "urgency_flags": o.urgency_flags},
            "routing": o.routing.model_dump(), "risk": o.risk.model_dump(), "suggestions": o.suggestions,
            "rule_trace": o.trace, "verdict": "", "message": "", "results": []}


class RuleEditing:
    """Rule drafts, checks, trials, replays, publishing and restoring for one Service."""

    def __init__(self, service: "Service") -> None:
        self.service = service

    @property
    def store(self) -> Any:
        return self.service.store

    # ------------------------------------------------------------ what serves
    def serving(self) -> RuleSet:
        rules = self.service.engine().rules
        if rules is None:
            raise RuleEditError(503, "no_rules", "没有正在使用的规则包")
        return rules

    def serving_files(self) -> dict[str, str]:
        return read_dir(self.serving().directory)

    def versions(self) -> list[RuleVersion]:
        return self.store.rule_versions.list()

    def version(self, version_id: int) -> tuple[RuleVersion, dict[str, str]]:
        v = self.store.rule_versions.get(version_id)
        if v is None:
            raise RuleEditError(404, "not_found", f"规则版本 {version_id} 不存在")
        return v, self.store.rule_versions.files(version_id)

    def serving_version_id(self) -> int | None:
        latest = self.store.rule_versions.latest()
        return latest[0] if latest else None

    # ------------------------------------------------------------ drafts
    def drafts(self, user: Any) -> list[RuleDraft]:
        """The user's open drafts, then others' drafts waiting for review."""
        me = _name(user)
        mine = self.store.rule_drafts.list(owner=me)
        waiting = [d for d in self.store.rule_drafts.list(statuses=("submitted", "approved")) if d.owner != me]
        return mine + waiting

    def draft(self, draft_id: int) -> RuleDraft:
        d = self.store.rule_drafts.get(int(draft_id))
        if d is None:
            raise RuleEditError(404, "not_found", f"规则草稿 {draft_id} 不存在")
        return d

    def _own(self, draft_id: int, user: Any) -> RuleDraft:
        d = self.draft(draft_id)
        if d.owner != _name(user):
            raise RuleEditError(403, "not_owner", f"规则草稿 {draft_id} 属于“{d.owner}”，只有本人可以修改")
        return d

    def create_draft(self, user: Any, files: dict[str, str] | None = None, note: str = "",
                     from_version: int | None = None) -> RuleDraft:
        """A new draft of `user`: a copy of what serves (or of a version, or of `files`)."""
        if files is None:
            files = self.version(from_version)[1] if from_version is not None else self.serving_files()
        try:
            return self.store.rule_drafts.create(_name(user), files, self.serving_version_id(), note)
        except RuleDraftError as exc:
            raise _from_store(exc) from None
        except ValueError as exc:
            raise RuleEditError(422, "invalid", str(exc)) from None

    def save_draft(self, draft_id: int, user: Any, *, edits: list[TableEdit] | None = None,
                   files: dict[str, str] | None = None, note: str | None = None,
                   revision: int | None = None) -> RuleDraft:
        """Owner only. `edits` replace tables' rows; `files` replace everything."""
        d = self._own(draft_id, user)
        try:
            new = apply_edits(d.files, edits or []) if files is None else files
            return self.store.rule_drafts.save(d.id, _name(user), new, note=note, expected_revision=revision)
        except EditError as exc:
            raise RuleEditError(422, "invalid_edit", str(exc)) from None
        except RuleDraftError as exc:
            raise _from_store(exc) from None

    def view(self, draft_id: int | None = None) -> dict[str, Any]:
        """Packs → tables → rows of a draft (or of what serves), for the editor."""
        files = self.draft(draft_id).files if draft_id is not None else self.serving_files()
        return {"packs": packs_view(files)}

    def _files(self, draft_id: int | None) -> dict[str, str]:
        return self.draft(draft_id).files if draft_id is not None else self.serving_files()

    # ------------------------------------------------------------ checks and trials
    def lint(self, draft_id: int | None, pack: str, table: str | None = None, rows: Any = None) -> list[dict[str, Any]]:
        """Problems of one pack (with one table's rows replaced by `rows`, as typed)."""
        files = self._files(draft_id)
        try:
            if table is not None and rows is not None:
                return lint_table_rows(files, pack, table, rows)
            return lint_files(files, pack)
        except EditError as exc:
            raise RuleEditError(422, "invalid_edit", str(exc)) from None

    def check(self, draft_id: int | None = None, files: dict[str, str] | None = None) -> dict[str, Any]:
        return check_report(files if files is not None else self._files(draft_id))

    def _ruleset(self, files: dict[str, str]) -> RuleSet:
        try:
            return load_files(files)
        except RuleCheckError as exc:
            raise RuleEditError(422, "rules_invalid", f"规则有 {len(exc.problems)} 处错误，请先修正",
                                {"problems": [p.to_dict() for p in exc.problems]}) from None

    def try_text(self, text: str, draft_id: int | None = None, *, edits: list[TableEdit] | None = None,
                 province: str = "", level: str = "", top: int = 5, with_cases: bool = True) -> dict[str, Any]:
        """试运行: one problem under a draft (with unsaved `edits` on top): classification,
        routing, risk, trace and — with the library — the top cases. Nothing is logged."""
        files = self._files(draft_id)
        try:
            files = apply_edits(files, edits or [])
        except EditError as exc:
            raise RuleEditError(422, "invalid_edit", str(exc)) from None
        rules = self._ruleset(files)
        if not text or not text.strip():
            raise RuleEditError(422, "invalid_query", "请输入问题描述")
        if with_cases:
            from ..retrieval.filters import Filters

            engine = self.service.engine().with_rules(rules)
            filters = Filters.model_validate({k: [v] for k, v in (("province", province), ("level", level)) if v})
            answer = engine.recommend(text, top_k=max(1, min(int(top), 20)), filters=filters)
            return outcome_view(answer)
        return outcome_view(rules.evaluate(rule_input_for(text, province, level)))

    # ------------------------------------------------------------ impact
    def replay_queries(self, sources: list[str], rules: RuleSet, upload: str | None = None,
                       limit: int = 100) -> list[dict[str, Any]]:
        unknown = [s for s in sources if s not in REPLAY_SOURCES]
        if unknown or not sources:
            raise RuleEditError(422, "invalid_source", f"未知的回放来源：{'、'.join(unknown) or '（空）'}"
                                f"（可用：examples 例子、recent 最近查询、upload 上传文件）")
        limit = max(1, min(int(limit), MAX_REPLAY))
        out: list[dict[str, Any]] = []
        if "examples" in sources:
            examples, _ = load_examples(rules)
            out += [{"id": f"例子 {e.pack_id}/{e.id}", "text": e.text, "province": e.province, "level": e.level,
                     "source": "examples"} for e in examples]
        if "recent" in sources:
            out += [{"id": f"查询 {q.id}", "text": q.text, "province": q.province, "level": q.level,
                     "source": "recent"} for q in self.store.queries.recent(limit)]
        if "upload" in sources:
            if not upload:
                raise RuleEditError(422, "invalid_upload", "选择了“上传文件”，但没有收到查询文件")
            try:
                out += [{**q, "source": "upload"} for q in parse_queries(upload, "上传的查询文件")[:limit]]
            except ValueError as exc:
                raise RuleEditError(422, "invalid_upload", str(exc)) from None
        return out[:MAX_REPLAY]

    def replay(self, draft_id: int | None = None, *, files: dict[str, str] | None = None,
               sources: list[str] | tuple[str, ...] = ("examples",), upload: str | None = None,
               limit: int = 100, top: int = 10, with_cases: bool = True,
               against: dict[str, str] | None = None) -> dict[str, Any]:
        """What changes, query by query, between what serves (or `against`) and a draft: the
        same comparison as `zhili rules diff` (zhili.rules.diff)."""
        new = self._ruleset(files if files is not None else self._files(draft_id))
        old = self._ruleset(against) if against is not None else self.serving()
        queries = self.replay_queries(list(sources), new, upload, limit)
        engine = self.service.engine() if with_cases else None
        report = diff_rules(old, new, queries, engine=engine, top_k=max(1, min(int(top), 30)))
        body = report.to_dict()
        body.pop("old"), body.pop("new")  # server paths
        for item, q in zip(body["queries"], queries):
            item["source"] = q["source"]
        return body

    # ------------------------------------------------------------ review and publishing
    def submit(self, draft_id: int, user: Any, note: str | None = None) -> RuleDraft:
        """The owner asks for review (checks must pass first)."""
        d = self._own(draft_id, user)
        report = check_report(d.files)
        if not report["ok"]:
            raise self._refused(report, "提交审核")
        try:
            return self.store.rule_drafts.set_status(d.id, _name(user), "submitted", expect=("editing",), note=note)
        except RuleDraftError as exc:
            raise _from_store(exc) from None

    def approve(self, draft_id: int, user: Any, revision: int | None = None) -> RuleDraft:
        """A second person approves a submitted draft (never its owner)."""
        d = self.draft(draft_id)
        if d.owner == _name(user):
            raise RuleEditError(403, "review_required", "不能审核自己的草稿：请由其他编辑或管理员审核")
        try:
            return self.store.rule_drafts.set_status(d.id, _name(user), "approved", expect=("submitted",),
                                                     approved_by=_name(user), expected_revision=revision)
        except RuleDraftError as exc:
            raise _from_store(exc) from None

    def discard(self, draft_id: int, user: Any) -> RuleDraft:
        d = self._own(draft_id, user)
        try:
            return self.store.rule_drafts.set_status(d.id, _name(user), "discarded")
        except RuleDraftError as exc:
            raise _from_store(exc) from None

    @staticmethod
    def _refused(report: dict[str, Any], what: str) -> RuleEditError:
        if report["errors"]:
            msg = f"规则有 {report['errors']} 处错误，不能{what}；正在使用的规则保持不变"
            code = "rules_invalid"
        else:
            msg = f"有 {report['examples']['failed']} 个例子未通过，不能{what}；正在使用的规则保持不变"
            code = "examples_failed"
        return RuleEditError(422, code, msg, {"problems": [p for p in report["problems"] if p["severity"] == "error"],
                                              "examples": report["examples"]})

    def publish(self, draft_id: int, user: Any, note: str = "", *, require_approval: bool = False,
                revision: int | None = None) -> RuleVersion:
        """Check, run the examples, record the version, switch the service. Any failure: nothing
        recorded, the old rules keep serving."""
        me = _name(user)
        d = self.draft(draft_id)
        if not d.open:
            raise RuleEditError(409, "conflict", f"规则草稿 {draft_id} 已{'发布' if d.status == 'published' else '放弃'}")
        if revision is not None and revision != d.revision:
            raise RuleEditError(409, "conflict", f"规则草稿 {draft_id} 已被修改（第 {d.revision} 版），请重新查看后再发布")
        approved_by = d.approved_by if d.status == "approved" else None
        if require_approval and approved_by is None:
            if d.owner == me:
                raise RuleEditError(403, "review_required",
                                    "已开启规则发布审核：请先提交审核，由其他编辑或管理员审核通过后发布")
            if d.status != "submitted":
                raise RuleEditError(409, "conflict", "草稿尚未提交审核，不能代为发布")
            approved_by = me  # a second person reviewing a submitted draft approves it by publishing
        elif d.owner != me and d.status == "editing":
            raise RuleEditError(403, "not_owner", f"规则草稿 {draft_id} 属于“{d.owner}”，尚未提交审核")
        return self._publish(d.files, me, note, draft_id=d.id, approved_by=approved_by)

    def restore(self, version_id: int, user: Any, note: str = "") -> RuleVersion:
        """Publish an earlier version's files again (checked and run like any publish)."""
        v, files = self.version(version_id)
        if not files:
            raise RuleEditError(404, "not_found", f"规则版本 {version_id} 没有保存文件，无法恢复")
        return self._publish(files, _name(user), note or f"恢复到版本 {v.id}", restored_from=v.id)

    def _publish(self, files: dict[str, str], user: str, note: str, **kw: Any) -> RuleVersion:
        report = check_report(files)
        if not report["ok"]:
            raise self._refused(report, "发布")
        rules = load_files(files)  # cached by content: the set the checks ran on
        latest = self.store.rule_versions.latest()
        if latest is None or latest[1] == "folder":  # keep what served until now, so it can be restored
            try:
                self.store.rule_versions.record(self.serving().directory, user, "发布前使用的规则目录（自动保存，便于回退）")
            except (RuleCheckError, ValueError, OSError):
                log.exception("could not record the rules folder before publishing")
        try:
            version = self.store.rule_versions.publish(materialize(files), user, note, **kw)
        except RuleDraftError as exc:
            raise _from_store(exc) from None
        except RuleCheckError as exc:  # cannot happen after the checks above, but never half-publish
            raise RuleEditError(422, "rules_invalid", str(exc)) from None
        self.service.use_rules(rules, (version.id, "product"))
        log.info("rules version %s published by %s", version.id, user)
        return version

    # ------------------------------------------------------------ Excel
    def export(self, draft_id: int | None = None, pack: str | None = None,
               version_id: int | None = None) -> bytes:
        files = self.version(version_id)[1] if version_id is not None else self._files(draft_id)
        try:
            return export_workbook(files, pack)
        except EditError as exc:
            raise RuleEditError(404, "not_found", str(exc)) from None

    def import_workbook(self, data: bytes, user: Any, note: str = "",
                        draft_id: int | None = None) -> tuple[ImportResult, RuleDraft | None]:
        """Read a workbook over what serves (or over the user's draft `draft_id`); store it as a
        draft only when it passes every check. Returns (result with per-cell problems, draft)."""
        base = self._own(draft_id, user).files if draft_id is not None else self.serving_files()
        try:
            result = import_workbook(data, base)
        except WorkbookError as exc:
            raise RuleEditError(422, "invalid_workbook", str(exc)) from None
        if not result.ok:
            return result, None
        if draft_id is not None:
            return result, self.save_draft(draft_id, user, files=result.files, note=note or None)
        return result, self.create_draft(user, result.files, note or "从 Excel 导入")


def import_to_dir(data: bytes, out: Path, base: dict[str, str]) -> ImportResult:
    """The CLI's import: a complete, checked rule directory at `out`, or nothing written."""
    from .files import write_dir

    result = import_workbook(data, base)
    if result.ok:
        try:
            load_files(result.files)
        except RuleCheckError as exc:
            from .workbook import CellProblem

            result.problems += [CellProblem(p.file, None, "", p.cell, p.message) for p in exc.problems]
            return result
        write_dir(result.files, out)
    return result
