"""问题匹配: the problem box, explained results, feedback and the two exports.

A search is a GET link with every filter in it (`/?q=…&province=…&year_from=…&top=…`, see
`zhili.web.links`), so results can be bookmarked, shared, refreshed and returned to. The form
itself is POSTed (CSRF-checked, the text in the body) and answered with a 303 to that link; the
link carries the *masked* text only, because a URL ends up in browser history and access logs
(the store, too, keeps masked text only). Refreshing, going back or reopening a link within
`REPEAT` is not logged as a new question.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ...answer import Answer
from ...access.headers import inline_style_policy
from ...access.login import client_of
from ...engine import EmptyLibraryError, QueryError
from ...feedback import FeedbackRefused
from ...privacy import mask
from ...usecases.answers import brief
from ..deps import csrf_problem, posted_form, reader, service, username
from ..forms import DEFAULT_TOP, TOP_CHOICES, FormError, filters_of, search_values, text_field, top_of
from ..highlight import Highlighter
from ..links import MAX_LINK, filter_label, search_query, search_url
from ..regions import ordered
from ..templating import VERDICTS, message_page, templates

router = APIRouter()
TOP = DEFAULT_TOP
REPEAT = timedelta(minutes=30)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
VERDICT_KINDS = ("fit", "no_fit", "off_topic", "empty")


def provinces(request: Request) -> list[str]:
    """Provinces present in the matched (published) library, for the filter select."""
    return ordered(service(request).provinces())


def verdict_of(answer: Answer) -> str:
    """fit / no_fit / off_topic / empty: the engine's own verdict when it gives one, else read
    from the answer (no results at all → empty)."""
    given = getattr(answer, "verdict", None)
    if given in VERDICT_KINDS:
        return str(given)
    if not answer.results:
        return "empty"
    return "no_fit" if answer.no_fit else "fit"


def verdict_message(answer: Answer, verdict: str, filtered: bool) -> str:
    """What the verdict block says: the engine's own message when it gave a verdict; otherwise
    (an engine without verdicts) a plain sentence for "empty" — its no-fit message would promise
    "the closest cases below" with nothing below."""
    if getattr(answer, "verdict", None) in VERDICT_KINDS and answer.message:
        return answer.message
    if verdict == "empty":
        return "在当前筛选条件下，案例库中没有符合条件的案例。" if filtered else "案例库中没有可参考的案例。"
    return answer.message


def highlighter(request: Request) -> Highlighter:
    analyzer = service(request).engine().analyzer
    return Highlighter(analyzer.lexicon, stopwords=analyzer.lists.stopwords)


async def _page(request: Request, **ctx: Any) -> HTMLResponse:
    """The search page; the province list needs the engine, which may be reloading: off the loop."""
    ctx.setdefault("q", "")
    ctx.setdefault("f", {})
    ctx.setdefault("top", TOP)
    ctx["filter_label"] = filter_label(ctx["f"])
    status = ctx.pop("status_code", 200)
    found = await run_in_threadpool(provinces, request)
    return templates.TemplateResponse(request, "search.html",
                                      {"provinces": found, "top_choices": TOP_CHOICES, **ctx},
                                      status_code=status)


async def _refused(request: Request, exc: Exception, **ctx: Any) -> HTMLResponse:
    """The form again, with what was typed, saying why nothing was answered."""
    if isinstance(exc, HTTPException):  # 429 from the anonymous budget
        page = await _page(request, error=str(exc.detail), status_code=exc.status_code, **ctx)
        page.headers.update(exc.headers or {})
        return page
    if isinstance(exc, EmptyLibraryError):
        return await _page(request, error="案例库中还没有已发布的案例，请先导入并发布案例。", status_code=409,
                           **ctx)
    return await _page(request, error=str(exc), status_code=422, **ctx)


REFUSALS = (HTTPException, FormError, QueryError, EmptyLibraryError)


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request) -> Response:
    """The blank form, or the results of the search the URL describes."""
    user = reader(request)
    if isinstance(user, Response):
        return user
    params = request.query_params
    if not (params.get("q") or params.get("qid")):
        try:  # a link may preset filters ("/?province=浙江") without a question yet
            _, chosen = search_values(params)
        except FormError:
            chosen = {}
        return await _page(request, f=chosen, top=top_of(params.get("top")))
    q, chosen, top, qid = "", {}, TOP, ""
    try:
        q, chosen = search_values(params)
        top = top_of(params.get("top"))
        qid = "" if q else text_field(params, "qid", 64)
        if qid:
            record = await run_in_threadpool(service(request).store.queries.get, qid)
            if record is None:
                return await _page(request, f=chosen, top=top, status_code=404,
                                   error="这条查询记录已不存在，请重新输入问题。")
            q = record.text
        elif mask(q) != q:  # a hand-made link with a phone number in it: history keeps the masked one
            return RedirectResponse(search_url(mask(q), chosen, top), status_code=303)
        filters = filters_of(chosen)
        if user is None:  # the API's brake on anonymous matching, per client
            request.app.state.answer_budget.take(client_of(request), 1)
        query_id, answer = await run_in_threadpool(
            lambda: service(request).recommend(q, top=top, filters=filters, user=username(user),
                                               repeat_window=REPEAT))
        hl = await run_in_threadpool(highlighter, request)
        starred = set()
        if user is not None and answer.results:
            starred = await run_in_threadpool(service(request).store.favorites.starred, user.id,
                                              [r.case_id for r in answer.results])
    except REFUSALS as exc:
        return await _refused(request, exc, q=q, f=chosen, top=top)
    verdict = verdict_of(answer)
    # the link of these results (case pages carry it for their way back) and of the same question unfiltered
    qs = search_query(None if qid else q, chosen, top, qid or None)
    unfiltered = search_url(None if qid else q, {}, top, qid or None) if chosen else ""
    return await _page(request, q=q, f=chosen, top=top, answer=answer, query_id=query_id, verdict=verdict,
                       message=verdict_message(answer, verdict, bool(chosen)), qs=qs, unfiltered=unfiltered,
                       hl=hl, starred=starred)


@router.post("/", response_class=HTMLResponse)
async def search(request: Request) -> Response:
    """The form (and old bookmarks of it): checked, then 303 to the search's GET link."""
    user = reader(request)
    if isinstance(user, Response):
        return user
    form = await request.form()
    q, chosen, top = "", {}, TOP
    try:
        q, chosen = search_values(form)
        top = top_of(form.get("top"))
        if await csrf_problem(request):  # e.g. the session expired: keep what was typed
            return await _page(request, q=q, f=chosen, top=top, status_code=403,
                               error="页面已过期（CSRF 校验失败），已保留您的输入，请再次点击“智能匹配”。")
        filters = filters_of(chosen)  # checked here, so a mistake is shown beside what was typed
        if not q:
            raise QueryError("问题描述不能为空")
        masked = mask(q)
        url = search_url(masked, chosen, top)
        if len(url) > MAX_LINK:  # too long for a link: answer it now and link it by its log id
            if user is None:
                request.app.state.answer_budget.take(client_of(request), 1)
            query_id, _ = await run_in_threadpool(
                lambda: service(request).recommend(masked, top=top, filters=filters, user=username(user)))
            url = search_url(None, chosen, top, qid=query_id)
    except REFUSALS as exc:
        return await _refused(request, exc, q=q, f=chosen, top=top)
    return RedirectResponse(url, status_code=303)


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
        top = top_of(form.get("top"))
        answer = await run_in_threadpool(service(request).answer, q, top, filters)
    except (FormError, QueryError, EmptyLibraryError) as exc:
        return message_page(request, "无法导出", str(exc), 422)
    return answer, username(user)


@router.post("/brief.docx")
async def brief_docx(request: Request) -> Response:
    found = await _answer_for_export(request)
    if isinstance(found, Response):
        return found
    answer, author = found
    data = await run_in_threadpool(brief, answer, "docx", author)
    name = quote("决策参考.docx")
    return Response(data, media_type=DOCX,
                    headers={"Content-Disposition": f"attachment; filename=\"brief.docx\"; filename*=UTF-8''{name}"})


@router.post("/brief", response_class=HTMLResponse)
async def brief_print(request: Request) -> Response:
    found = await _answer_for_export(request)
    if isinstance(found, Response):
        return found
    answer, author = found
    html = (await run_in_threadpool(brief, answer, "html", author)).decode("utf-8")
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
    return message_page(request, "感谢反馈", message)


def _feedback_error(request: Request, exc: Exception, wants_json: bool, status: int = 422) -> Response:
    if wants_json:
        return JSONResponse({"ok": False, "message": str(exc)}, status_code=status)
    return message_page(request, "反馈未记录", str(exc), status)
