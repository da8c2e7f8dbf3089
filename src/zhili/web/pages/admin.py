"""案例库管理: list with filters and paging, create/edit form, draft → published review, audit history."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...cases import Case
from ...cases.tabular import format_list, format_outcomes
from ...store import CaseExistsError, CaseNotFoundError
from .. import diff
from ..deps import editor_form, gate, service
from ..forms import FormError, case_form_values, case_from_form, int_param
from ..regions import PROVINCES
from ..templating import templates

router = APIRouter(prefix="/admin")
PAGE_SIZE = 20
LIST_FILTERS = ("status", "q", "province", "level", "domain", "order")
ORDERS = {"id": "按编号", "recent": "最近修改在前"}


def _form_values(case: Case) -> dict[str, Any]:
    """A stored case as the edit form shows it (same list/outcome syntax as the spreadsheet)."""
    return {
        **{k: getattr(case, k) for k in ("id", "title", "province", "city", "district", "level",
                                          "problem", "practice", "domains", "leadership")},
        "year": "" if case.year is None else str(case.year),
        "outcomes": format_outcomes(case.outcomes) if case.outcomes else "",
        "mechanisms": format_list(case.mechanisms), "actors": format_list(case.actors),
        "source_title": case.source.title, "source_url": case.source.url,
        "source_date": case.source.date,
    }


@router.get("/cases", response_class=HTMLResponse)
def case_list(request: Request, page: str = "1") -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    chosen = {k: request.query_params.get(k, "").strip()[:100] for k in LIST_FILTERS}
    if chosen["status"] not in ("", "draft", "published"):
        chosen["status"] = ""
    if chosen["order"] not in ORDERS:
        chosen["order"] = ""
    page_no = min(max(1, int_param(page, 1)), 1_000_000)
    wanted = {k: (chosen[k] or None) for k in ("status", "q", "province", "level", "domain")}
    records, total = service(request).store.cases.page(
        **wanted, order=chosen["order"] or "id", offset=(page_no - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    query = urlencode({k: v for k, v in chosen.items() if v})
    return templates.TemplateResponse(request, "admin/list.html", {
        "records": records, "total": total, "page": page_no, "pages": pages, "f": chosen,
        "query": query, "provinces": PROVINCES, "orders": ORDERS})


def _edit_page(request: Request, values: dict[str, Any], *, creating: bool, status_code: int = 200,
               problems: list[tuple[str, str]] | None = None, record: Any = None,
               saved: bool = False, review_blocked: bool = False) -> Response:
    return templates.TemplateResponse(request, "admin/edit.html", {
        "v": values, "creating": creating, "problems": problems or [], "record": record,
        "saved": saved, "review_blocked": review_blocked}, status_code=status_code)


def review() -> Any:
    """The shared `zhili.access.review` (four eyes: the API runs the same checks)."""
    from ...access import review as module

    return module


async def review_refusal(request: Request, user: Any, case_id: str) -> Response | None:
    """The 403 page when the four-eyes rule forbids `user` to publish `case_id`, else None."""
    from starlette.exceptions import HTTPException

    try:
        await run_in_threadpool(review().check_publish, request, user, case_id)
    except HTTPException as exc:
        return templates.TemplateResponse(request, "message.html", {
            "title": "需要审核", "message": getattr(exc, "message", None) or str(exc.detail)}, status_code=403)
    return None


EMPTY = {k: "" for k in ("id", "title", "province", "city", "district", "level", "year", "problem",
                         "practice", "outcomes", "mechanisms", "actors", "source_title", "source_url",
                         "source_date")} | {"domains": [], "leadership": []}


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_form(request: Request) -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    return _edit_page(request, dict(EMPTY), creating=True)


@router.post("/cases/new", response_class=HTMLResponse)
async def create_case(request: Request) -> Response:
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    values = dict(EMPTY)
    try:
        values = case_form_values(form)
        case = case_from_form(values)
        await run_in_threadpool(service(request).store.cases.create, case, user.username, status="draft")
    except FormError as exc:
        return _edit_page(request, values, creating=True, problems=exc.problems, status_code=422)
    except CaseExistsError:
        return _edit_page(request, values, creating=True, status_code=409,
                          problems=[("编号(id)", f"编号“{values['id']}”已被其他案例使用，请换一个")])
    return RedirectResponse(f"/admin/cases/{case.id}/edit?saved=1", status_code=303)


@router.get("/cases/{case_id}/edit", response_class=HTMLResponse)
def edit_case_form(request: Request, case_id: str, saved: str = "") -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    store = service(request).store
    record = store.cases.get_record(case_id)
    if record is None:
        return _not_found(request, case_id)
    own = record.status == "draft" and review().required(request, user) and \
        store.audit.last_author(case_id) == user.username
    return _edit_page(request, _form_values(record.case), creating=False, record=record, saved=saved == "1",
                      review_blocked=own)


@router.post("/cases/{case_id}/edit", response_class=HTMLResponse)
async def update_case(request: Request, case_id: str) -> Response:
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    store = service(request).store
    record = await run_in_threadpool(store.cases.get_record, case_id)
    if record is None:
        return _not_found(request, case_id)
    values = _form_values(record.case)
    status = review().status_after_edit(request, user, record.status)  # four eyes: back to draft
    try:
        values = case_form_values(form) | {"id": case_id}  # the id is the record's key: never renamed here
        case = case_from_form(values)
        await run_in_threadpool(store.cases.update, case, user.username, status)
    except FormError as exc:
        return _edit_page(request, values, creating=False, record=record, problems=exc.problems,
                          status_code=422)
    except CaseNotFoundError:
        return _not_found(request, case_id)
    return RedirectResponse(f"/admin/cases/{case_id}/edit?saved=1", status_code=303)


@router.post("/cases/{case_id}/status")
async def change_status(request: Request, case_id: str) -> Response:
    """发布 / 撤回: the review step between a draft and what cadres' searches can match."""
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    status, back = form.get("status"), form.get("back")
    if status not in ("draft", "published"):
        return templates.TemplateResponse(request, "message.html", {
            "title": "操作无效", "message": "未知的状态，应为“草稿”或“已发布”"}, status_code=422)
    if status == "published" and (refused := await review_refusal(request, user, case_id)):
        return refused
    try:
        await run_in_threadpool(service(request).store.cases.set_status, case_id, status, user.username)
    except CaseNotFoundError:
        return _not_found(request, case_id)
    ok_back = isinstance(back, str) and back.startswith("/admin/") and len(back) < 500
    target = back if ok_back else f"/admin/cases/{case_id}/edit?saved=1"
    return RedirectResponse(target, status_code=303)


@router.get("/cases/{case_id}/history", response_class=HTMLResponse)
def history(request: Request, case_id: str) -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    store = service(request).store
    record = store.cases.get_record(case_id)
    entries = store.audit.history(case_id)
    if record is None and not entries:
        return _not_found(request, case_id)
    rows = [(e, diff.changes(e.before, e.after)) for e in entries]
    return templates.TemplateResponse(request, "admin/history.html",
                                      {"case_id": case_id, "record": record, "rows": rows})


def _not_found(request: Request, case_id: str) -> Response:
    return templates.TemplateResponse(request, "message.html", {
        "title": "案例不存在", "message": f"找不到编号为“{case_id}”的案例。"}, status_code=404)
