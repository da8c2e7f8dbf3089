"""内置案例更新: what the library shipped with this release would add and correct, then one
confirmed transaction (admins only). Local edits and deletions are listed and left alone."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ..deps import gate, posted_form, service
from ..templating import templates
from .admin import actor, refusal_page

router = APIRouter(prefix="/admin")
SHOWN = 200  # ids listed per group; the count says how many there are


def _page(request: Request, user: Any, status_code: int = 200, **ctx: object) -> Response:
    svc = service(request)
    plan = svc.library.bundled_plan(actor(request, user))
    titles = {cid: case.title for cid, case in plan.cases.items()}
    if plan.retired:  # no longer shipped: their titles are in the library
        titles.update({cid: rec.title for cid in plan.retired if (rec := svc.store.cases.get(cid)) is not None})
    return templates.TemplateResponse(request, "admin/bundled.html",
                                      {"plan": plan, "titles": titles, "shown": SHOWN, **ctx},
                                      status_code=status_code)


@router.get("/bundled", response_class=HTMLResponse)
async def bundled_form(request: Request) -> Response:
    user = gate(request, "admin")
    if isinstance(user, Response):
        return user
    return await run_in_threadpool(_page, request, user)


@router.post("/bundled", response_class=HTMLResponse)
async def bundled_confirm(request: Request) -> Response:
    got = await posted_form(request, lambda r: gate(r, "admin"))
    if isinstance(got, Response):
        return got
    user, form = got
    status = form.get("status")
    if status not in ("draft", "published"):
        return await run_in_threadpool(_page, request, user, 422, error="新增案例的状态应为“草稿”或“直接发布”")
    try:
        done = await run_in_threadpool(service(request).library.update_bundled, actor(request, user), status)
    except HTTPException as exc:
        return refusal_page(request, exc)
    return await run_in_threadpool(_page, request, user, done=done, status=status)
