"""测评 pages: the packs, an overview per pack (level distribution, warnings by severity, units
with their trend), one unit (radar chart, trend, warnings with the rule that fired, the cases
that fit each weak point, training), template download, import and exports.

Signed-in users only. Person-level results (packs marked personal) are for assessors and admins
(`can_assess`); a viewer sees that pack's aggregates. Import needs an assessor or admin. The
service writes every view, export and import to the audit log.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from ...access.auth import can_assess
from ...assess.lint import KIND_LABELS
from ...assess.sheets import AssessFileError
from ...assess.usecases import AssessAccessError, UnitNotFoundError
from ...rules.schema import RuleCheckError
from ..charts import Bar, bar_chart
from ..deps import gate, posted_form, service, username
from ..templating import message_page, templates
from ..upload_fields import posted_file, read_capped
from ..uploads import MAX_UPLOAD

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _pack(request: Request, name: str) -> Any:
    svc = service(request).assessments
    if name not in svc.names():
        return None
    try:
        return svc.pack(name)
    except RuleCheckError:
        return None


def _open(request: Request, name: str, assessor: bool = False) -> Any:
    """(user, pack) for a signed-in user (an assessor when `assessor`) and a known, sound pack;
    else the page to send: login, 403 or 404."""
    user = gate(request)
    if isinstance(user, Response):
        return user
    if assessor and not can_assess(user):
        return message_page(request, "无权导入", "导入测评数据需要“测评员”或“管理员”权限。", 403)
    pack = _pack(request, name)
    if pack is None:
        return message_page(request, "没有这个测评包", f"没有名为“{name}”的测评包。", 404)
    return user, pack


def _download(data: bytes, media: str, name: str) -> Response:
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"assessment{Path(name).suffix}\"; filename*=UTF-8''{quote(name)}"})


@router.get("/assess", response_class=HTMLResponse)
async def packs_page(request: Request) -> Response:
    user = gate(request)
    if isinstance(user, Response):
        return user
    packs = await run_in_threadpool(service(request).assessments.packs)
    return templates.TemplateResponse(request, "assess/index.html", {"packs": packs, "assessor": can_assess(user)})


@router.get("/assess/{name}", response_class=HTMLResponse)
async def overview_page(request: Request, name: str, period: str = "", region: str = "", level: str = "") -> Response:
    got = _open(request, name)
    if isinstance(got, Response):
        return got
    user, pack = got
    data = await run_in_threadpool(lambda: service(request).assessments.overview(
        name, period=period or None, region=region or None, level=level or None,
        personal=can_assess(user), by=username(user)))
    chart = "" if data["suppressed"] else bar_chart([Bar(d["level"], d["count"]) for d in data["distribution"]],
                                                    title="等次分布", unit="个")
    for row in data["rows"]:
        row["spark"] = Markup(row["spark"])
    query = urlencode({k: v for k, v in (("period", data["period"] or ""), ("region", region), ("level", level)) if v})
    return templates.TemplateResponse(request, "assess/overview.html", {
        "pack": pack, "data": data, "chart": chart, "assessor": can_assess(user), "kind_labels": KIND_LABELS,
        "export_query": query})


@router.get("/assess/{name}/template")
async def template_download(request: Request, name: str) -> Response:
    got = _open(request, name)
    if isinstance(got, Response):
        return got
    user, pack = got
    data = await run_in_threadpool(service(request).assessments.template, name)
    return _download(data, XLSX, f"{pack.title}导入模板.xlsx")


@router.get("/assess/{name}/export.xlsx")
async def export_overview(request: Request, name: str, period: str = "", region: str = "", level: str = "") -> Response:
    got = _open(request, name)
    if isinstance(got, Response):
        return got
    user, pack = got
    data = await run_in_threadpool(lambda: service(request).assessments.overview_xlsx(
        name, period=period or None, region=region or None, level=level or None, personal=can_assess(user),
        by=username(user)))
    return _download(data, XLSX, f"{pack.title}总览.xlsx")


@router.post("/assess/{name}/import", response_class=HTMLResponse)
async def import_upload(request: Request, name: str) -> Response:
    got = await posted_form(request, lambda r: _open(r, name, assessor=True))
    if isinstance(got, Response):
        return got
    (user, pack), form = got
    upload = posted_file(form, "file")
    filename = Path(upload.filename if upload is not None else "").name
    suffix = Path(filename).suffix.lower()
    if upload is None or not filename:
        return message_page(request, "请选择文件", "请选择要导入的 .xlsx 或 .csv 文件。", 422)
    if suffix not in (".xlsx", ".csv"):
        return message_page(request, "文件类型不支持", f"“{filename}”不是 .xlsx 或 .csv 文件；旧版 Excel 请另存为 .xlsx。",
                            415)
    data = await read_capped(upload)
    if data is None:
        return message_page(request, "文件过大", f"文件超过 {MAX_UPLOAD // 1024 // 1024} MB，请拆分后导入。", 413)

    def run() -> Any:
        with tempfile.TemporaryDirectory(prefix="zhili-assess-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            return service(request).assessments.import_file(name, path, display_name=filename, by=username(user))

    try:
        summary = await run_in_threadpool(run)
    except AssessFileError as exc:
        return templates.TemplateResponse(request, "assess/import_result.html",
                                          {"pack": pack, "errors": exc.errors, "file": filename, "summary": None},
                                          status_code=422)
    return templates.TemplateResponse(request, "assess/import_result.html",
                                      {"pack": pack, "errors": [], "file": filename, "summary": summary})


async def _unit_read(request: Request, name: str, read: Callable[[Any, Any], Any]) -> Any:
    """(pack, `read(assessments, user)`) for one unit's view or report, as this user may see it;
    else the page to send (login, unknown pack, personal results refused, unit not found)."""
    got = _open(request, name)
    if isinstance(got, Response):
        return got
    user, pack = got
    assessments = service(request).assessments
    try:
        return pack, await run_in_threadpool(lambda: read(assessments, user))
    except AssessAccessError as exc:
        return message_page(request, "无权查看个人结果", str(exc), 403)
    except UnitNotFoundError as exc:
        return message_page(request, "没有找到", str(exc), 404)


@router.get("/assess/{name}/units/{unit}", response_class=HTMLResponse)
async def unit_page(request: Request, name: str, unit: str) -> Response:
    got = await _unit_read(request, name, lambda a, user: a.unit(name, unit, personal=can_assess(user),
                                                                 by=username(user)))
    if isinstance(got, Response):
        return got
    pack, view = got
    view["radar"], view["spark"] = Markup(view["radar"]), Markup(view["spark"])
    return templates.TemplateResponse(request, "assess/unit.html", {"pack": pack, "v": view, "l": view["latest"]})


@router.get("/assess/{name}/units/{unit}/report.docx")
async def unit_report(request: Request, name: str, unit: str) -> Response:
    got = await _unit_read(request, name, lambda a, user: a.report_docx(name, unit, personal=can_assess(user),
                                                                        by=username(user)))
    if isinstance(got, Response):
        return got
    _, data = got
    return _download(data, DOCX, f"{unit}诊断报告.docx")
