"""批量导入: template download → upload → per-row error report or preview (nothing saved) →
confirm → one transaction."""

from __future__ import annotations

import io
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ...cases import Case
from ...cases.errors import CaseFileError, field_label
from ...cases.io import write_template
from ...usecases.library import ImportRefused
from ...cases.tabular import COLUMNS, LIST_HINT, REQUIRED
from .. import uploads
from ..deps import editor_form, gate, service
from ..forms import FormError, text_field
from ..templating import message_page, templates
from ..upload_fields import posted_file
from .admin import actor

router = APIRouter(prefix="/admin")
PREVIEW_ROWS = 200
STATUSES = ("draft", "published")
TEMPLATE_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  "csv": "text/csv; charset=utf-8"}


def _page(request: Request, status_code: int = 200, **ctx: object) -> Response:
    columns = [(zh, name in REQUIRED) for name, zh in COLUMNS]
    return templates.TemplateResponse(request, "admin/import.html",
                                      {"columns": columns, "list_hint": LIST_HINT, **ctx}, status_code=status_code)


def _problems(exc: ImportRefused) -> list[dict[str, object]]:
    """Every bad row as the report lists it (the API reports the same rows)."""
    return [{"row": p.row, "field": field_label(p.field or ""), "reason": p.reason} for p in exc.problems]


@router.get("/import/template.{fmt}")
def import_template(request: Request, fmt: str) -> Response:
    """下载导入模板: the columns, one example row marked as such and (xlsx) the 说明 sheet."""
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    if fmt not in TEMPLATE_TYPES:
        return message_page(request, "模板不存在", "导入模板只有 .xlsx 和 .csv 两种。", 404)
    buf = io.BytesIO()
    write_template(buf, fmt, next_id=service(request).store.cases.next_id())
    name = quote(f"案例导入模板.{fmt}")
    return Response(buf.getvalue(), media_type=TEMPLATE_TYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename=\"zhili-import-template.{fmt}\"; filename*=UTF-8''{name}"})


def _errors(exc: CaseFileError) -> list[dict[str, object]]:
    return [{"row": e.row, "field": field_label(e.field), "reason": e.reason} for e in exc.errors]


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request) -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    return _page(request)


@router.post("/import", response_class=HTMLResponse)
async def import_preview(request: Request) -> Response:
    """Validate the whole file; show every bad row, or the cases that would be saved."""
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    file = posted_file(form, "file")
    if file is None:
        return _page(request, 422, error="请选择要导入的文件（.xlsx、.csv 或 .jsonl）")
    data = await file.read(uploads.MAX_UPLOAD + 1)
    try:
        pending = await run_in_threadpool(uploads.save, data, file.filename, user.username)
    except uploads.UploadError as exc:
        return _page(request, 422, error=str(exc), filename=file.filename)
    except CaseFileError as exc:
        return _page(request, 422, errors=_errors(exc), filename=file.filename)
    try:
        cases: list[Case] = await run_in_threadpool(service(request).library.read_import, pending.path,
                                                    file.filename)
    except ImportRefused as exc:
        uploads.discard(pending)
        return _page(request, 422, errors=_problems(exc), filename=file.filename)
    known = set(await run_in_threadpool(service(request).store.cases.ids))
    existing = {c.id for c in cases if c.id in known}
    return _page(request, preview=cases[:PREVIEW_ROWS], total=len(cases), existing=existing,
                 token=pending.token, filename=file.filename)


@router.post("/import/confirm", response_class=HTMLResponse)
async def import_confirm(request: Request) -> Response:
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    status = form.get("status")
    if status not in STATUSES:
        return _page(request, 422, error="未知的导入状态，应为“草稿”或“直接发布”")
    who = actor(request, user)
    try:
        service(request).library.check_import(who, "upsert", status)
    except HTTPException:
        return _page(request, 403, error="已开启发布审核：编辑导入的案例须先保存为草稿，再由其他编辑或管理员审核发布。"
                     "请返回上一页，把导入后的状态改为“草稿”再确认。")
    try:
        pending = uploads.load(text_field(form, "token", 64), user.username)
        cases = await run_in_threadpool(service(request).library.read_import, pending.path, pending.filename,
                                        status == "published")
    except (uploads.UploadError, FormError) as exc:
        return _page(request, 422, error=str(exc))
    except ImportRefused as exc:  # the file changed on disk since the preview: report, save nothing
        return _page(request, 422, errors=_problems(exc), filename="")
    try:
        summary = await run_in_threadpool(service(request).library.import_cases, cases, who, "upsert", status)
    except HTTPException as exc:
        return _page(request, exc.status_code, error=getattr(exc, "message", None) or str(exc.detail))
    uploads.discard(pending)
    return _page(request, done=str(summary), total=len(cases), status=status, filename=pending.filename)
