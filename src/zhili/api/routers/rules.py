"""Rule packs: what is serving, versions (publish, restore), drafts (edit, lint, 试运行, impact
replay, review, publish) and the Excel round-trip — thin over `Service.rule_edits`.

Server paths (the rules folder, files named in problems) are shown to admins only; viewers and
editors see files relative to the rules folder, which is all they need to find a problem.
Reading what serves needs a login (viewer); everything about drafts, publishing and restoring
needs an editor (401 anonymous, 403 viewer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field

from ... import config
from ...access.auth import Admin, Editor, Viewer, role_at_least
from ...access.errors import ApiError
from ...ruleedit.service import RuleEditError
from ...ruleedit.tables import TableEdit
from ...rules import check_dir
from ...service import Service
from ..deps import get_service, require_json, require_multipart
from ..uploads import read_upload

router = APIRouter(prefix="/rules", tags=["规则包"])


def _rules_dir(service: Service):
    return service.rules_dir or config.rules_dir()


def _pack_json(pack: Any) -> dict[str, Any]:
    return {"id": pack.id, "title": pack.title, "description": pack.description,
            "tables": [{"id": t.node_id, "label": t.label, "rows": len(t.rows)} for t in pack.tables],
            "rows": sum(len(t.rows) for t in pack.tables)}


def _relative(file: str, roots: list[Path]) -> str:
    """A problem's file relative to the rules folder it is in ("02-routing/routing.json")."""
    path = Path(file)
    if not path.is_absolute():
        return file  # already relative to the rules folder
    for root in roots:
        try:
            return path.relative_to(root).as_posix() or "."
        except ValueError:
            continue
    return path.name


def _problems(problems: list[Any], roots: list[Path] | None) -> list[dict[str, Any]]:
    """Problems as JSON; with `roots` (not an admin) files are shown relative to them."""
    out = [p.to_dict() for p in problems]
    if roots is not None:
        for item in out:
            item["file"] = _relative(item["file"], roots)
    return out


@router.get("", summary="规则包与已发布版本（服务器路径只给管理员）")
def list_rules(user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    engine = service.engine()
    rules = engine.rules
    problem = engine.rules_problem
    admin = role_at_least(user, "admin")
    root = _rules_dir(service)
    roots = None if admin else [Path(root), *([Path(rules.directory)] if rules is not None else [])]
    out: dict[str, Any] = {
        "serving": None if rules is None else {
            "fingerprint": rules.fingerprint,
            "packs": [_pack_json(p) for p in rules.packs],
            "fallback": problem is not None,  # the active folder failed its check; last good rules serve
            "problems": _problems(getattr(problem, "problems", []), roots)},
        "versions": jsonable_encoder(service.store.rule_versions.list()),
    }
    if admin:
        out["directory"] = str(root)
        if rules is not None:
            out["serving"]["directory"] = str(rules.directory)
    return out


def check(service: Service, admin: bool = True) -> dict[str, Any]:
    """Lint the active rules folder; without `admin` no server path is in the answer."""
    root = _rules_dir(service)
    packs, problems = check_dir(root)
    errors = [p for p in problems if p.severity == "error"]
    out = {"ok": not errors, "packs": [_pack_json(p) for p in packs], "errors": len(errors),
           "problems": _problems(problems, None if admin else [Path(root)])}
    return {"directory": str(root), **out} if admin else out


@router.get("/check", summary="检查规则包（与 zhili rules check 相同）")
def check_rules(user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    return check(service, role_at_least(user, "admin"))


@router.post("/versions", status_code=201, summary="发布当前规则（检查通过后记录版本并重新加载）")
async def publish_rules(user: Any = Admin, service: Service = Depends(get_service)) -> dict[str, Any]:
    report = await run_in_threadpool(check, service)
    if not report["ok"]:
        raise ApiError(422, "rules_invalid", f"规则包有 {report['errors']} 处错误，未发布；正在使用的规则保持不变",
                       f"{report['errors']} rule errors; nothing published", field="rules",
                       extra={"problems": report["problems"]})
    version = await run_in_threadpool(service.store.rule_versions.record, _rules_dir(service), user.username)
    await run_in_threadpool(service.refresh, True)
    return jsonable_encoder(version)


# ---------------------------------------------------------------- editing in the product

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Json = [Depends(require_json)]
MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
DraftId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="规则草稿 id")]
VersionId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="规则版本 id")]


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """A use case, its refusal turned into the API's error shape."""
    try:
        return fn(*args, **kwargs)
    except RuleEditError as exc:
        raise ApiError(exc.status, exc.code, exc.message, exc.code.replace("_", " "), extra=exc.extra or None) from None


def _approval(request: Request) -> bool:
    return bool(getattr(request.app.state.settings, "rules_require_approval", False))


class TableRows(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pack: str = Field(..., max_length=100, description="规则包目录名，如 02-routing")
    table: str = Field(..., max_length=100, description="决策表 id，如 routing")
    rows: list[dict[str, Any]] = Field(..., max_length=5000,
                                       description="[{_id, _description, cells: {列 id: 单元格}}]，顺序即优先顺序")

    def edit(self) -> TableEdit:
        return TableEdit(self.pack, self.table, self.rows)


class DraftNew(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000, description="这次修改的目的")
    from_version: int | None = Field(None, ge=1, le=MAX_ID, description="从某个已发布版本开始（默认：正在使用的规则）")


class DraftSave(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: int | None = Field(None, ge=1, le=MAX_ID, description="打开时的草稿版本号（别人已改过则 409）")
    note: str | None = Field(None, max_length=2000)
    tables: list[TableRows] = Field(default_factory=list, max_length=50)


class LintBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pack: str = Field(..., max_length=100)
    table: str | None = Field(None, max_length=100)
    rows: list[dict[str, Any]] | None = Field(None, max_length=5000)


class TryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=20_000, description="问题描述")
    draft: int | None = Field(None, ge=1, le=MAX_ID, description="规则草稿 id（默认：正在使用的规则）")
    tables: list[TableRows] = Field(default_factory=list, max_length=50, description="尚未保存的修改")
    province: str = Field("", max_length=50)
    level: str = Field("", max_length=20)
    top: int = Field(5, ge=1, le=20)
    cases: bool = Field(True, description="同时检索案例")


class ReplayBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[str] = Field(["examples", "recent"], max_length=3,
                               description="examples 各规则包的例子；recent 最近的查询（已脱敏）；upload 上传的查询文件")
    queries: str | None = Field(None, max_length=2_000_000, description="查询文件内容：每行 {\"id\",\"text\"} 或一行一个问题")
    limit: int = Field(100, ge=1, le=500, description="最近查询 / 上传查询最多取多少条")
    top: int = Field(10, ge=1, le=30)
    cases: bool = Field(True, description="比较前 top 个案例（较慢）；false 只比较规则结果")


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000, description="为什么发布 / 恢复")
    revision: int | None = Field(None, ge=1, le=MAX_ID)


def _draft_json(d: Any, packs: bool = False) -> dict[str, Any]:
    out = jsonable_encoder(d.summary())
    if packs:
        from ...ruleedit.tables import packs_view

        out["packs"] = packs_view(d.files)
    return out


def _version_json(v: Any) -> dict[str, Any]:
    return jsonable_encoder(v)


@router.get("/tables", summary="正在使用的规则：规则包 → 决策表 → 行（与编辑页相同的结构）")
def serving_tables(user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    edits = service.rule_edits
    return {"version": edits.serving_version_id(), **_call(edits.view)}


@router.get("/versions", summary="已发布的版本（最新在前）：谁、何时、为什么、谁审核")
def list_versions(user: Any = Viewer, service: Service = Depends(get_service)) -> list[dict[str, Any]]:
    return [_version_json(v) for v in service.rule_edits.versions()]


@router.get("/versions/{version_id}", summary="某个版本的规则表")
def get_version(version_id: VersionId, user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    from ...ruleedit.tables import packs_view

    v, files = _call(service.rule_edits.version, version_id)
    return {**_version_json(v), "packs": packs_view(files)}


@router.post("/versions/{version_id}/restore", status_code=201, dependencies=Json,
             summary="恢复到某个已发布版本（检查与例子通过后作为新版本发布，服务立即切换）")
async def restore_version(version_id: VersionId, body: Decision, user: Any = Editor,
                          service: Service = Depends(get_service)) -> dict[str, Any]:
    v = await run_in_threadpool(_call, service.rule_edits.restore, version_id, user.username, body.note)
    return _version_json(v)


def _xlsx(data: bytes, name: str) -> Response:
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"zhili-rules.xlsx\"; filename*=UTF-8''{quote(name)}.xlsx"})


@router.get("/export", summary="导出规则为 Excel（每张决策表一个工作表，另有“说明”）",
            responses={200: {"content": {XLSX: {}}}})
async def export_rules(request: Request, pack: str | None = Query(None, max_length=100, description="只导出一个规则包"),
                       draft: int | None = Query(None, ge=1, le=MAX_ID, description="导出某个草稿（编辑）"),
                       version: int | None = Query(None, ge=1, le=MAX_ID, description="导出某个已发布版本"),
                       user: Any = Viewer, service: Service = Depends(get_service)) -> Response:
    if draft is not None and not role_at_least(user, "editor"):
        raise ApiError(403, "forbidden", "只有编辑及以上权限可以导出草稿", "Drafts are for editors")
    data = await run_in_threadpool(_call, service.rule_edits.export, draft, pack, version)
    return _xlsx(data, f"规则{'-' + pack if pack else ''}")


@router.post("/import", dependencies=[Depends(require_multipart)], status_code=201,
             summary="从 Excel 导入为草稿：逐格检查，有错误时返回（工作表、行、列、原因），不保存任何内容")
async def import_rules(request: Request, file: UploadFile = File(..., description="zhili 导出的规则 .xlsx"),
                       note: str = Form("", max_length=2000), draft: int | None = Form(None, ge=1, le=MAX_ID,
                                                                                       description="导入到自己已有的草稿"),
                       user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    data = read_upload(file, request.app.state.settings.max_upload_bytes)
    result, saved = await run_in_threadpool(_call, service.rule_edits.import_workbook, data, user.username, note, draft)
    problems = [p.to_dict() for p in result.problems]
    if saved is None:
        n = sum(p["severity"] == "error" for p in problems)
        raise ApiError(422, "invalid_workbook", f"工作簿有 {n} 处错误，未导入任何内容", f"{n} problems; nothing imported",
                       field="file", extra={"problems": problems})
    return {"draft": _draft_json(saved), "packs": result.packs, "problems": problems}


@router.get("/drafts", summary="我的规则草稿，以及等待审核的草稿")
def list_drafts(user: Any = Editor, service: Service = Depends(get_service)) -> list[dict[str, Any]]:
    return [_draft_json(d) for d in _call(service.rule_edits.drafts, user.username)]


@router.post("/drafts", status_code=201, dependencies=Json, summary="新建草稿（复制正在使用的规则或某个版本）")
async def create_draft(body: DraftNew, user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    d = await run_in_threadpool(_call, service.rule_edits.create_draft, user.username, None, body.note, body.from_version)
    return _draft_json(d, packs=True)


@router.get("/drafts/{draft_id}", summary="一个草稿：状态与全部规则表")
def get_draft(draft_id: DraftId, user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    return _draft_json(_call(service.rule_edits.draft, draft_id), packs=True)


@router.put("/drafts/{draft_id}", dependencies=Json, summary="保存草稿中修改过的表（只有本人）")
async def save_draft(draft_id: DraftId, body: DraftSave, user: Any = Editor,
                     service: Service = Depends(get_service)) -> dict[str, Any]:
    d = await run_in_threadpool(_call, service.rule_edits.save_draft, draft_id, user.username,
                                edits=[t.edit() for t in body.tables], note=body.note, revision=body.revision)
    return _draft_json(d)


@router.delete("/drafts/{draft_id}", summary="放弃草稿（只有本人）")
def discard_draft(draft_id: DraftId, user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    return _draft_json(_call(service.rule_edits.discard, draft_id, user.username))


@router.post("/lint", dependencies=Json, summary="逐格检查一张表（与 zhili rules check 相同的检查），不保存")
async def lint_rules(body: LintBody, draft: int | None = Query(None, ge=1, le=MAX_ID), user: Any = Editor,
                     service: Service = Depends(get_service)) -> dict[str, Any]:
    problems = await run_in_threadpool(_call, service.rule_edits.lint, draft, body.pack, body.table, body.rows)
    return {"ok": not any(p["severity"] == "error" for p in problems), "problems": problems}


@router.get("/drafts/{draft_id}/check", summary="检查整个草稿并运行全部例子")
async def check_draft(draft_id: DraftId, user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    return await run_in_threadpool(_call, service.rule_edits.check, draft_id)


@router.post("/try", dependencies=Json, summary="试运行：一个问题在草稿（或正在使用的规则）下的分类、牵头、风险、轨迹和案例")
async def try_rules(body: TryBody, user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    return jsonable_encoder(await run_in_threadpool(
        _call, service.rule_edits.try_text, body.text, body.draft, edits=[t.edit() for t in body.tables],
        province=body.province, level=body.level, top=body.top, with_cases=body.cases))


@router.post("/drafts/{draft_id}/replay", dependencies=Json,
             summary="发布前回放：例子、最近查询、上传查询在草稿下有何变化（与 zhili rules diff 相同）")
async def replay_draft(draft_id: DraftId, body: ReplayBody, user: Any = Editor,
                       service: Service = Depends(get_service)) -> dict[str, Any]:
    return await run_in_threadpool(_call, service.rule_edits.replay, draft_id, sources=body.sources,
                                   upload=body.queries, limit=body.limit, top=body.top, with_cases=body.cases)


@router.post("/drafts/{draft_id}/submit", dependencies=Json, summary="提交审核（检查与例子须通过）")
async def submit_draft(draft_id: DraftId, body: Decision, user: Any = Editor,
                       service: Service = Depends(get_service)) -> dict[str, Any]:
    return _draft_json(await run_in_threadpool(_call, service.rule_edits.submit, draft_id, user.username,
                                               body.note or None))


@router.post("/drafts/{draft_id}/approve", dependencies=Json, summary="审核通过（不能审核自己的草稿）")
async def approve_draft(draft_id: DraftId, body: Decision, user: Any = Editor,
                        service: Service = Depends(get_service)) -> dict[str, Any]:
    return _draft_json(await run_in_threadpool(_call, service.rule_edits.approve, draft_id, user.username,
                                               body.revision))


@router.post("/drafts/{draft_id}/publish", status_code=201, dependencies=Json,
             summary="发布草稿：检查、运行例子、记录版本（谁/何时/为什么），服务立即切换；失败时旧规则继续使用")
async def publish_draft(request: Request, draft_id: DraftId, body: Decision, user: Any = Editor,
                        service: Service = Depends(get_service)) -> dict[str, Any]:
    v = await run_in_threadpool(_call, service.rule_edits.publish, draft_id, user.username, body.note,
                                require_approval=_approval(request), revision=body.revision)
    return _version_json(v)
