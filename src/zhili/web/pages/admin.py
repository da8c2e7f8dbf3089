"""案例库管理: list with filters and paging, create/edit form, draft → published review, bulk
publish/withdraw and delete behind a confirmation page, audit history and restoring a version.

Every write refreshes the engine before answering (as the API does), so the next search already
matches what was saved, published, withdrawn, deleted or restored.
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ...cases import Case
from ...cases.model import publish_problems
from ...cases.sources import trust_of
from ...cases.model import stored_case
from ...cases.tabular import LIST_HINT, format_list
from ...store import VersionUnusableError
from .. import diff
from ..deps import editor_form, gate, service
from ..forms import (
    ID_HINT,
    ID_HTML_PATTERN,
    MIN_OUTCOME_ROWS,
    REQUIRED_FIELDS,
    SPARE_OUTCOME_ROWS,
    FormError,
    case_form_values,
    case_from_form,
    format_value,
    int_param,
)
from ..regions import PROVINCES
from ..templating import message_page, templates

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin")
PAGE_SIZE = 20
LIST_FILTERS = ("status", "q", "province", "level", "domain", "order")
ORDERS = {"id": "按编号", "recent": "最近修改在前"}
DONE = {"saved": "已保存。", "saved_review": "已保存。已开启发布审核：案例转为草稿，需由其他编辑或管理员审核后重新发布。",
        "created": "已保存为草稿。", "published": "已发布。", "withdrawn": "已撤回为草稿。",
        "restored": "已恢复所选版本（作为一次新的修改保存，可在修改记录中查看）。", "unchanged": "内容没有变化，未保存新的修改。"}
ACTIONS = {  # bulk/confirmed actions: verb, the status they set (None: delete), message when done
    "publish": {"verb": "发布", "short": "发布", "status": "published", "done": "已发布"},
    "withdraw": {"verb": "撤回为草稿", "short": "撤回", "status": "draft", "done": "已撤回"},
    "delete": {"verb": "删除", "short": "删除", "status": None, "done": "已删除"},
}
FLASH_KEYS = ("done", "n", "same", "skipped", "gone")


def _form_values(case: Case) -> dict[str, Any]:
    """A stored case as the edit form shows it (lists with the one separator, 成效 as rows)."""
    return {
        **{k: getattr(case, k) for k in ("id", "title", "province", "city", "district", "level",
                                          "problem", "practice", "domains", "leadership")},
        "year": "" if case.year is None else str(case.year),
        "outcomes": [{"metric": o.metric, "value": format_value(o.value), "unit": o.unit, "text": o.text}
                     for o in case.outcomes],
        "mechanisms": format_list(case.mechanisms), "actors": format_list(case.actors),
        "source_title": case.source.title, "source_url": case.source.url,
        "source_date": case.source.date, "source_publisher": case.source.publisher,
        # "" = from the publisher list; only a level an editor lowered by hand is kept in the form
        "source_trust": "" if case.source.trust == trust_of(case.source.url, case.source.publisher)
        else case.source.trust,
    }


def _safe_back(back: object, default: str) -> str:
    """A same-site admin page to return to (never an open redirect)."""
    ok = isinstance(back, str) and back.startswith("/admin/") and not back.startswith("//") and len(back) < 500
    return back if ok else default  # type: ignore[return-value]


def _with_flash(url: str, **flash: object) -> str:
    """`url` with the done-message parameters replaced by `flash`."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in FLASH_KEYS]
    query += [(k, str(v)) for k, v in flash.items() if v not in (None, "", 0)]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def _list_flash(request: Request) -> str:
    """The message a bulk action left for the list page (from its redirect's query)."""
    params = request.query_params
    action = ACTIONS.get(params.get("done", ""))
    if action is None:
        return ""
    n = int_param(params.get("n"), 0)
    text = f"{action['done']} {n} 个案例。" if n else f"没有案例需要{action['verb']}。"
    same = int_param(params.get("same"), 0)
    if same:
        text += f"另有 {same} 个原本就是{'已发布' if action['status'] == 'published' else '草稿'}，未改动。"
    skipped = int_param(params.get("skipped"), 0)
    if skipped:
        text += f"{skipped} 个因开启发布审核需由其他编辑或管理员发布，未发布。"
    return text


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
    here = f"/admin/cases?{query}{'&' if query else ''}page={page_no}"
    gone = request.query_params.get("gone", "")[:64]
    who = actor(request, user)
    bundled = service(request).library.bundled_plan(who) if who.at_least("admin") else None
    return templates.TemplateResponse(request, "admin/list.html", {
        "records": records, "total": total, "page": page_no, "pages": pages, "f": chosen,
        "query": query, "provinces": PROVINCES, "orders": ORDERS, "here": here,
        "bundled": bundled if bundled is not None and bundled.pending else None,
        "flash": _list_flash(request), "gone": gone if request.query_params.get("done") == "delete" else ""})


def _edit_page(request: Request, values: dict[str, Any], *, creating: bool, status_code: int = 200,
               problems: list[tuple[str, str]] | None = None, record: Any = None,
               done: str = "", review_blocked: bool = False, id_note: str = "") -> Response:
    rows = list(values.get("outcomes") or [])
    blank = {"metric": "", "value": "", "unit": "", "text": ""}
    rows += [dict(blank) for _ in range(max(SPARE_OUTCOME_ROWS, MIN_OUTCOME_ROWS - len(rows)))]
    return templates.TemplateResponse(request, "admin/edit.html", {
        "v": values, "creating": creating, "problems": problems or [], "record": record,
        "done": DONE.get(done, ""), "done_key": done if done in DONE else "", "review_blocked": review_blocked,
        "outcome_rows": rows, "required": REQUIRED_FIELDS, "id_hint": ID_HINT, "id_pattern": ID_HTML_PATTERN,
        "list_hint": LIST_HINT, "id_note": id_note}, status_code=status_code)


def actor(request: Request, user: Any) -> Any:
    """Who acts, under this app's four-eyes setting (the API builds it the same way)."""
    from ...access import review

    return review.actor(request, user)


def refusal_page(request: Request, exc: HTTPException) -> Response:
    """A use case's refusal (`ApiError`) as the message page."""
    title = {403: "需要审核" if getattr(exc, "code", "") == "review_required" else "无权操作",
             404: "不存在", 409: "冲突", 422: "操作无效"}.get(exc.status_code, "操作失败")
    return message_page(request, title, getattr(exc, "message", None) or str(exc.detail), exc.status_code)


def _own_unreviewed(request: Request, user: Any, record: Any) -> bool:
    """Four eyes: `user` may not publish this draft because they changed its content last."""
    return service(request).library.own_unreviewed(record, actor(request, user))


EMPTY = {k: "" for k in ("id", "title", "province", "city", "district", "level", "year", "problem",
                         "practice", "mechanisms", "actors", "source_title", "source_url",
                         "source_date", "source_publisher", "source_trust")} | {"domains": [], "leadership": [], "outcomes": []}


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_form(request: Request) -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    values = dict(EMPTY) | {"id": service(request).store.cases.next_id()}
    return _edit_page(request, values, creating=True, id_note="已按本库编号格式自动生成下一个编号，可修改")


@router.post("/cases/new", response_class=HTMLResponse)
async def create_case(request: Request) -> Response:
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    values = dict(EMPTY)
    store = service(request).store
    try:
        values = case_form_values(form)
        case = case_from_form(values)
        await run_in_threadpool(service(request).library.create, case, actor(request, user), "draft")
    except FormError as exc:
        return _edit_page(request, values, creating=True, problems=exc.problems, status_code=422)
    except HTTPException as exc:
        if exc.status_code != 409:
            return refusal_page(request, exc)
        taken, values["id"] = values["id"], await run_in_threadpool(store.cases.next_id)
        return _edit_page(request, values, creating=True, status_code=409, problems=[
            ("编号(id)", f"编号“{taken}”已被其他案例使用，已换成下一个可用编号“{values['id']}”，请核对后再保存")])
    return RedirectResponse(f"/admin/cases/{case.id}/edit?done=created", status_code=303)


@router.get("/cases/{case_id}/edit", response_class=HTMLResponse)
def edit_case_form(request: Request, case_id: str, done: str = "", saved: str = "") -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    record = service(request).store.cases.get_record(case_id)
    if record is None:
        return _not_found(request, case_id)
    return _edit_page(request, _form_values(record.case), creating=False, record=record,
                      done=done or ("saved" if saved == "1" else ""),
                      review_blocked=_own_unreviewed(request, user, record))


def _keep_order(before: list[str], ticked: list[str]) -> list[str]:
    """Ticked checkboxes in the order the case already had them, new ones after: saving a
    form without touching 领域 must not reorder it (a change in the history, a new revision)."""
    return [d for d in before if d in ticked] + [d for d in ticked if d not in before]


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
    try:
        values = case_form_values(form) | {"id": case_id}  # the id is the record's key: never renamed here
        for name in ("domains", "leadership"):  # checkboxes come in list order: keep the case's own
            values[name] = _keep_order(getattr(record.case, name), values[name])
        case = case_from_form(values)
        before, saved = await run_in_threadpool(service(request).library.update, case, actor(request, user))
    except FormError as exc:
        return _edit_page(request, values, creating=False, record=record, problems=exc.problems,
                          status_code=422)
    except HTTPException as exc:
        return _not_found(request, case_id) if exc.status_code == 404 else refusal_page(request, exc)
    done = ("unchanged" if saved.updated_at == before.updated_at else
            "saved_review" if saved.status != before.status else "saved")
    return RedirectResponse(f"/admin/cases/{case_id}/edit?done={done}", status_code=303)


@router.post("/cases/{case_id}/status")
async def change_status(request: Request, case_id: str) -> Response:
    """发布 / 撤回 one case (the pages ask before withdrawing: see `confirm_page`)."""
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    status, back = form.get("status"), form.get("back")
    if status not in ("draft", "published"):
        return message_page(request, "操作无效", "未知的状态，应为“草稿”或“已发布”", 422)
    try:
        await run_in_threadpool(service(request).library.set_status, case_id, status, actor(request, user))
    except HTTPException as exc:
        return _not_found(request, case_id) if exc.status_code == 404 else refusal_page(request, exc)
    done = "published" if status == "published" else "withdrawn"
    if isinstance(back, str) and back.startswith("/admin/cases?"):  # from the list: its own message
        action = "publish" if status == "published" else "withdraw"
        return RedirectResponse(_with_flash(_safe_back(back, "/admin/cases"), done=action, n=1), status_code=303)
    return RedirectResponse(f"/admin/cases/{case_id}/edit?done={done}", status_code=303)


# ---- confirmation step: bulk publish / withdraw, withdraw and delete ------------------------------

NOTES = {"missing": "不存在（可能已被删除）", "review": "已开启发布审核：您最后修改了此案例，需由其他编辑或管理员发布"}


def _plan(request: Request, user: Any, action: str, ids: list[str]) -> list[dict[str, Any]]:
    """What confirming would do to each selected case, as the confirmation page lists it."""
    target = ACTIONS[action]["status"]
    same = "已是" + ("已发布" if target == "published" else "草稿") + "，不变"
    def note(p: Any) -> str:
        if p.why == "incomplete":  # the same words as every other publishing path
            return "不能发布：" + "；".join(m for _, m in publish_problems(p.record.case))
        return same if p.why == "same" else NOTES.get(p.why, "")

    return [{"id": p.case_id, "record": p.record, "will": p.will, "why": p.why, "note": note(p)}
            for p in service(request).library.plan(action, ids, actor(request, user))]


@router.get("/cases/confirm", response_class=HTMLResponse)
def confirm_page(request: Request) -> Response:
    """确认: the selected cases and what 发布 / 撤回 / 删除 would do to each; nothing changes yet."""
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    action = request.query_params.get("action", "")
    back = _safe_back(request.query_params.get("back"), "/admin/cases")
    if action not in ACTIONS:
        return message_page(request, "操作无效", "未知的操作，应为发布、撤回或删除", 422)
    plan = _plan(request, user, action, request.query_params.getlist("ids"))
    return templates.TemplateResponse(request, "admin/confirm.html", {
        "action": action, "verb": ACTIONS[action]["verb"], "short": ACTIONS[action]["short"], "plan": plan, "back": back,
        "doing": [p for p in plan if p["will"]]})


@router.post("/cases/confirm")
async def confirm_action(request: Request) -> Response:
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    action = form.get("action")
    if action not in ACTIONS:
        return message_page(request, "操作无效", "未知的操作，应为发布、撤回或删除", 422)
    back = _safe_back(form.get("back"), "/admin/cases")
    ids = form.getlist("ids")
    done = await run_in_threadpool(service(request).library.apply, action, ids, actor(request, user))
    target = ACTIONS[action]["status"]
    changed, same, skipped = len(done.changed), done.same, done.skipped
    gone_id = done.changed[0] if target is None and len(done.changed) == 1 else ""
    if target is None and back.startswith("/admin/cases/") and done.changed:  # the deleted case's own page is gone
        back = "/admin/cases"
    if back.startswith("/admin/cases/") and back.endswith("/edit") and len(ids) == 1 and target is not None:
        return RedirectResponse(f"{back}?done={'published' if target == 'published' else 'withdrawn'}",
                                status_code=303)
    return RedirectResponse(_with_flash(back, done=action, n=changed, same=same, skipped=skipped, gone=gone_id),
                            status_code=303)


# ---- history and restoring a version --------------------------------------------------------------

def _content(snap: Any) -> dict[str, Any] | None:
    case = snap.get("case") if isinstance(snap, dict) else None
    return case if isinstance(case, dict) else None


def _hash(payload: dict[str, Any] | None) -> str | None:
    """The content hash of a stored payload (None when there is none or it no longer reads)."""
    if payload is None:
        return None
    try:
        return stored_case(payload).content_hash()
    except (ValidationError, ValueError):
        return None


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
    current = record.case.content_hash() if record else None
    when = {e.id: e.at for e in entries}
    rows = []
    for e in entries:
        version = _content(e.after)
        content_entry = version is not None and e.action != "status"
        same = current is not None and _hash(version) == current
        rows.append({"e": e, "changes": diff.changes(e.before, e.after),
                     "restorable": content_entry and not same, "current": content_entry and same,
                     "from": when.get((e.after or {}).get("restored_from"))})
    # "当前版本" marks only the newest entry holding the current content
    seen = False
    for row in reversed(rows):
        row["current"], seen = row["current"] and not seen, seen or row["current"]
    return templates.TemplateResponse(request, "admin/history.html",
                                      {"case_id": case_id, "record": record, "rows": rows})


def _restore_choices(request: Request, user: Any, record: Any) -> dict[str, Any]:
    """What status a restore may leave: the four-eyes rule decides for editors."""
    allowed, forced = service(request).library.restore_choices(record, actor(request, user))
    if forced is not None or allowed == {"keep"}:
        return {"choices": [], "forced": forced, "reviewed": True}
    current = record.status if record is not None else None
    choices = [("keep", f"保持当前状态（{'已发布' if current == 'published' else '草稿'}）" if current
                else "保存为草稿"), ("published", "恢复并发布")]
    if current == "published":
        choices = [choices[0], ("draft", "恢复并撤回为草稿")]
    return {"choices": choices, "forced": None, "reviewed": False}


def _entry_id(raw: str) -> int | None:
    number = int_param(raw, 0)
    return number if 0 < number < 2**31 else None


def _no_version(request: Request, case_id: str) -> Response:
    return message_page(request, "版本不存在", f"案例“{case_id}”没有这条可恢复的修改记录。", 404)


def _restore_context(request: Request, user: Any, case_id: str, entry_id: int | None) -> dict[str, Any] | Response:
    store = service(request).store
    entry = store.audit.entry(entry_id) if entry_id is not None else None
    if entry is None or entry.kind != "case" or entry.case_id != case_id or _content(entry.after) is None:
        return _no_version(request, case_id)
    record = store.cases.get_record(case_id)
    version = _content(entry.after)
    try:
        store.cases.version_of(case_id, entry.after)  # the check `restore` makes
        problem = ""
    except VersionUnusableError as err:
        problem = str(err)
    now = {"case": record.case.model_dump(mode="json")} if record else None
    return {"case_id": case_id, "entry": entry, "record": record, "title": version.get("title", case_id),
            "changes": diff.changes(now, {"case": version}),
            "same": record is not None and _hash(version) == record.case.content_hash(),
            "problem": problem, **_restore_choices(request, user, record)}


@router.get("/cases/{case_id}/restore/{entry_id}", response_class=HTMLResponse)
def restore_preview(request: Request, case_id: str, entry_id: str) -> Response:
    """恢复此版本, step 1: what would change compared with the case as it is now."""
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    ctx = _restore_context(request, user, case_id, _entry_id(entry_id))
    if isinstance(ctx, Response):
        return ctx
    return templates.TemplateResponse(request, "admin/restore.html", ctx)


@router.post("/cases/{case_id}/restore/{entry_id}", response_class=HTMLResponse)
async def restore_version(request: Request, case_id: str, entry_id: str) -> Response:
    """恢复此版本, step 2: save the chosen version as a new change ("restore" in the audit log)."""
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    number = _entry_id(entry_id)
    if number is None:
        return _no_version(request, case_id)
    then = form.get("then") or "keep"
    if then not in ("keep", "draft", "published"):
        return message_page(request, "操作无效", "未知的恢复方式", 422)
    try:
        await run_in_threadpool(service(request).library.restore, case_id, number, actor(request, user), then)
    except HTTPException as exc:
        if getattr(exc, "code", "") == "version_not_found":
            return _no_version(request, case_id)
        return refusal_page(request, exc)
    return RedirectResponse(f"/admin/cases/{case_id}/edit?done=restored", status_code=303)


def _not_found(request: Request, case_id: str) -> Response:
    return message_page(request, "案例不存在", f"找不到编号为“{case_id}”的案例。", 404)
