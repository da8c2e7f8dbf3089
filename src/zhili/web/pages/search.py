"""问题匹配: the problem box, explained results, feedback and the two exports.

Searches are POSTed, not sent as ?q=…: a problem description may name people or phone numbers,
and a URL ends up in browser history and proxy/access logs (the store only keeps masked text).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ...answer import Answer
from ...access.headers import inline_style_policy
from ...access.login import client_of
from ...brief import build_docx, build_html
from ...engine import EmptyLibraryError, QueryError
from ...feedback import FeedbackRefused
from ..deps import csrf_problem, posted_form, reader, service, username
from ..forms import FormError, filters_of, search_values, text_field
from ..regions import ordered
from ..templating import VERDICTS, templates

router = APIRouter()
TOP = 10
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def provinces(request: Request) -> list[str]:
    """Provinces present in the matched (published) library, for the filter select."""
    return ordered(service(request).provinces())


async def _page(request: Request, **ctx: Any) -> HTMLResponse:
    """The search page; the province list needs the engine, which may be reloading: off the loop."""
    ctx.setdefault("q", "")
    ctx.setdefault("f", {})
    status = ctx.pop("status_code", 200)
    found = await run_in_threadpool(provinces, request)
    return templates.TemplateResponse(request, "search.html", {"provinces": found, **ctx},
                                      status_code=status)


@router.get("/", response_class=HTMLResponse)
async def search_form(request: Request) -> Response:
    user = reader(request)
    if isinstance(user, Response):
        return user
    return await _page(request)


@router.post("/", response_class=HTMLResponse)
async def search(request: Request) -> Response:
    user = reader(request)
    if isinstance(user, Response):
        return user
    form = await request.form()
    q, chosen = "", {}
    try:
        q, chosen = search_values(form)
        if await csrf_problem(request):  # e.g. the session expired: keep what was typed
            return await _page(request, q=q, f=chosen, status_code=403,
                               error="页面已过期（CSRF 校验失败），已保留您的输入，请再次点击“智能匹配”。")
        filters = filters_of(chosen)
        if user is None:  # the API's brake on anonymous matching, per client
            request.app.state.answer_budget.take(client_of(request), 1)
        query_id, answer = await run_in_threadpool(
            service(request).recommend, q, top=TOP, filters=filters, user=username(user))
    except HTTPException as exc:  # 429 from the budget: say so on the page, keep the text
        page = await _page(request, q=q, f=chosen, error=str(exc.detail), status_code=exc.status_code)
        page.headers.update(exc.headers or {})
        return page
    except (FormError, QueryError) as exc:
        return await _page(request, q=q, f=chosen, error=str(exc), status_code=422)
    except EmptyLibraryError:
        return await _page(request, q=q, f=chosen, error="案例库中还没有已发布的案例，请先导入并发布案例。",
                     status_code=409)
    return await _page(request, q=q, f=chosen, answer=answer, query_id=query_id)


async def _answer_for_export(request: Request) -> tuple[Answer, str | None] | Response:
    """Re-run the search behind an export (not logged again: it is the same question).

    Returns (answer, author) or the response to send instead."""
    got = await posted_form(request, reader)
    if isinstance(got, Response):
        return got
    user, form = got
    try:
        q, chosen = search_values(form)
        filters = filters_of(chosen)
        engine = await run_in_threadpool(service(request).engine)
        answer = await run_in_threadpool(engine.recommend, q, top_k=TOP, filters=filters)
    except (FormError, QueryError, EmptyLibraryError) as exc:
        return templates.TemplateResponse(request, "message.html", {"title": "无法导出", "message": str(exc)},
                                          status_code=422)
    return answer, username(user)


@router.post("/brief.docx")
async def brief_docx(request: Request) -> Response:
    found = await _answer_for_export(request)
    if isinstance(found, Response):
        return found
    answer, author = found
    data = await run_in_threadpool(build_docx, answer, author=author)
    name = quote("决策参考.docx")
    return Response(data, media_type=DOCX,
                    headers={"Content-Disposition": f"attachment; filename=\"brief.docx\"; filename*=UTF-8''{name}"})


@router.post("/brief", response_class=HTMLResponse)
async def brief_print(request: Request) -> Response:
    found = await _answer_for_export(request)
    if isinstance(found, Response):
        return found
    answer, author = found
    html = await run_in_threadpool(build_html, answer, author=author)
    # standalone page with its CSS inline (to be saved or mailed): allowed by hash, no script
    return HTMLResponse(html, headers={"Content-Security-Policy": inline_style_policy(html)})


@router.post("/feedback")
async def feedback(request: Request) -> Response:
    """Store 采纳/有帮助/不相关 against the logged query; JSON for the page's script, HTML otherwise."""
    got = await posted_form(request, reader)
    if isinstance(got, Response):
        return got
    user, form = got
    wants_json = "application/json" in request.headers.get("accept", "")
    try:
        verdict = text_field(form, "verdict", 20)
        await run_in_threadpool(service(request).add_feedback, text_field(form, "query_id", 64),
                                text_field(form, "case_id", 64), verdict, username(user))
    except FeedbackRefused as exc:  # the API's own check and answer (zhili.feedback)
        return _feedback_error(request, exc, wants_json, exc.status)
    except FormError as exc:
        return _feedback_error(request, exc, wants_json)
    message = f"已记录：{VERDICTS[verdict]}"
    if wants_json:
        return JSONResponse({"ok": True, "message": message, "verdict": verdict})
    return templates.TemplateResponse(request, "message.html", {"title": "感谢反馈", "message": message})


def _feedback_error(request: Request, exc: Exception, wants_json: bool, status: int = 422) -> Response:
    if wants_json:
        return JSONResponse({"ok": False, "message": str(exc)}, status_code=status)
    return templates.TemplateResponse(request, "message.html", {"title": "反馈未记录", "message": str(exc)},
                                      status_code=status)
