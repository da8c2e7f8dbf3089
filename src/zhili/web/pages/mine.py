"""我的查询 and 我的收藏: a signed-in user's recent questions (masked, as the query log keeps
them; each links to run it again) and the cases they starred."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...store import CaseNotFoundError, FavoriteLimitError
from ...store.queries import QueryRecord
from ..deps import gate, has_role, posted_form, service
from ..forms import FormError, text_field
from ..links import MAX_LINK, chosen_of_logged, filter_label, safe_next, search_url
from ..templating import message_page, templates

router = APIRouter()
RECENT = 50


def rerun_url(record: QueryRecord) -> str:
    """The search link of a logged question: its masked text and filters, or its id when the
    text is too long for a link."""
    chosen = chosen_of_logged(record.filters)
    url = search_url(record.text, chosen)
    return url if len(url) <= MAX_LINK else search_url(None, chosen, qid=record.id)


@router.get("/my/queries", response_class=HTMLResponse)
async def my_queries(request: Request) -> Response:
    user = gate(request, "viewer")
    if isinstance(user, Response):
        return user
    records = await run_in_threadpool(service(request).store.queries.by_user, user.username, RECENT)
    items = [{"record": r, "url": rerun_url(r), "filters": filter_label(chosen_of_logged(r.filters))}
             for r in records]
    return templates.TemplateResponse(request, "my_queries.html", {"items": items, "limit": RECENT})


@router.get("/my/favorites", response_class=HTMLResponse)
async def my_favorites(request: Request) -> Response:
    user = gate(request, "viewer")
    if isinstance(user, Response):
        return user
    favorites = await run_in_threadpool(service(request).store.favorites.list, user.id)
    return templates.TemplateResponse(request, "my_favorites.html", {"favorites": favorites})


@router.post("/favorites")
async def star(request: Request) -> Response:
    """收藏 / 取消收藏 one case; JSON for the page's script, else back to where the button was."""
    got = await posted_form(request, gate)
    if isinstance(got, Response):
        return got
    user, form = got
    wants_json = "application/json" in request.headers.get("accept", "")
    back = safe_next(form.get("next"), "/my/favorites")
    try:
        case_id = text_field(form, "case_id", 64)
        action = text_field(form, "action", 10)
        if action == "add":
            record = await run_in_threadpool(service(request).store.cases.get_record, case_id)
            # drafts are work in progress: only editors see them, so only editors can star them
            if record is None or (record.status != "published" and not has_role(user, "editor")):
                raise CaseNotFoundError(case_id)
            await run_in_threadpool(service(request).store.favorites.add, user.id, case_id)
            on, message = True, "已收藏"
        elif action == "remove":
            await run_in_threadpool(service(request).store.favorites.remove, user.id, case_id)
            on, message = False, "已取消收藏"
        else:
            raise FormError([("操作", "应为收藏或取消收藏")])
    except CaseNotFoundError as exc:
        return _refused(request, str(exc), wants_json, 404)
    except FavoriteLimitError as exc:
        return _refused(request, str(exc), wants_json, 409)
    except (FormError, ValueError) as exc:
        return _refused(request, str(exc), wants_json, 422)
    if wants_json:
        return JSONResponse({"ok": True, "starred": on, "message": message})
    return RedirectResponse(back, status_code=303)


def _refused(request: Request, message: str, wants_json: bool, status: int) -> Response:
    if wants_json:
        return JSONResponse({"ok": False, "message": message}, status_code=status)
    return message_page(request, "收藏未成功", message, status)
