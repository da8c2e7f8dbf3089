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

from ...cases import Case
from ...cases.model import stored_case
from ...cases.tabular import LIST_HINT, format_list
from ...store import CaseExistsError, CaseNotFoundError, VersionNotFoundError, VersionUnusableError
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
from ..templating import templates

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin")
PAGE_SIZE = 20
LIST_FILTERS = ("status", "q", "province", "level", "domain", "order")
ORDERS = {"id": "按编号", "recent": "最近修改在前"}
MAX_SELECTED = 200  # cases on one confirmation page
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
        "source_date": case.source.date,
    }


async def after_write(request: Request) -> None:
    """After a write: bring the engine to the new revision now, so the next search answers with
    the change. The write itself is committed; a failed rebuild is logged and retried by the
    next search rather than shown as a failed save."""
    try:
        await run_in_threadpool(service(request).refresh)
    except Exception:  # noqa: BLE001 - the change is saved; `Service.engine()` rebuilds on the next request
        log.exception("engine refresh after a web write failed")


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
    return templates.TemplateResponse(request, "admin/list.html", {
        "records": records, "total": total, "page": page_no, "pages": pages, "f": chosen,
        "query": query, "provinces": PROVINCES, "orders": ORDERS, "here": here,
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


def _own_unreviewed(request: Request, user: Any, record: Any) -> bool:
    """Four eyes: `user` may not publish this draft because they changed its content last."""
    return (record is not None and record.status == "draft" and review().required(request, user)
            and service(request).store.audit.last_author(record.case.id) == user.username)


EMPTY = {k: "" for k in ("id", "title", "province", "city", "district", "level", "year", "problem",
                         "practice", "mechanisms", "actors", "source_title", "source_url",
                         "source_date")} | {"domains": [], "leadership": [], "outcomes": []}


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
        await run_in_threadpool(store.cases.create, case, user.username, status="draft")
    except FormError as exc:
        return _edit_page(request, values, creating=True, problems=exc.problems, status_code=422)
    except CaseExistsError:
        taken, values["id"] = values["id"], await run_in_threadpool(store.cases.next_id)
        return _edit_page(request, values, creating=True, status_code=409, problems=[
            ("编号(id)", f"编号“{taken}”已被其他案例使用，已换成下一个可用编号“{values['id']}”，请核对后再保存")])
    await after_write(request)
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
    status = review().status_after_edit(request, user, record.status)  # four eyes: back to draft
    try:
        values = case_form_values(form) | {"id": case_id}  # the id is the record's key: never renamed here
        for name in ("domains", "leadership"):  # checkboxes come in list order: keep the case's own
            values[name] = _keep_order(getattr(record.case, name), values[name])
        case = case_from_form(values)
        if case.content_hash() == record.case.content_hash():
            status = None  # nothing to review: saving an untouched form must not withdraw the case
        saved = await run_in_threadpool(store.cases.update, case, user.username, status)
    except FormError as exc:
        return _edit_page(request, values, creating=False, record=record, problems=exc.problems,
                          status_code=422)
    except CaseNotFoundError:
        return _not_found(request, case_id)
    await after_write(request)
    done = ("unchanged" if saved.updated_at == record.updated_at else
            "saved_review" if saved.status != record.status else "saved")
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
        return templates.TemplateResponse(request, "message.html", {
            "title": "操作无效", "message": "未知的状态，应为“草稿”或“已发布”"}, status_code=422)
    if status == "published" and (refused := await review_refusal(request, user, case_id)):
        return refused
    try:
        await run_in_threadpool(service(request).store.cases.set_status, case_id, status, user.username)
    except CaseNotFoundError:
        return _not_found(request, case_id)
    await after_write(request)
    done = "published" if status == "published" else "withdrawn"
    if isinstance(back, str) and back.startswith("/admin/cases?"):  # from the list: its own message
        action = "publish" if status == "published" else "withdraw"
        return RedirectResponse(_with_flash(_safe_back(back, "/admin/cases"), done=action, n=1), status_code=303)
    return RedirectResponse(f"/admin/cases/{case_id}/edit?done={done}", status_code=303)


# ---- confirmation step: bulk publish / withdraw, withdraw and delete ------------------------------

def _selected(values: list[Any]) -> list[str]:
    ids = [v.strip() for v in values if isinstance(v, str) and 0 < len(v.strip()) <= 64]
    return list(dict.fromkeys(ids))[:MAX_SELECTED]


def _plan(request: Request, user: Any, action: str, ids: list[str]) -> list[dict[str, Any]]:
    """What confirming would do to each selected case: {"id", "record", "will", "why", "note"};
    `why` is "" (it will be done), "missing", "same" (already in that status) or "review"."""
    store = service(request).store
    target = ACTIONS[action]["status"]
    rows = []
    for cid in ids:
        record = store.cases.get_record(cid)
        why = ("missing" if record is None else
               "same" if target is not None and record.status == target else
               "review" if target == "published" and _own_unreviewed(request, user, record) else "")
        rows.append({"id": cid, "record": record, "will": not why, "why": why, "note": {
            "missing": "不存在（可能已被删除）",
            "same": "已是" + ("已发布" if target == "published" else "草稿") + "，不变",
            "review": "已开启发布审核：您最后修改了此案例，需由其他编辑或管理员发布"}.get(why, "")})
    return rows


@router.get("/cases/confirm", response_class=HTMLResponse)
def confirm_page(request: Request) -> Response:
    """确认: the selected cases and what 发布 / 撤回 / 删除 would do to each; nothing changes yet."""
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    action = request.query_params.get("action", "")
    back = _safe_back(request.query_params.get("back"), "/admin/cases")
    if action not in ACTIONS:
        return templates.TemplateResponse(request, "message.html", {
            "title": "操作无效", "message": "未知的操作，应为发布、撤回或删除"}, status_code=422)
    ids = _selected(request.query_params.getlist("ids"))
    plan = _plan(request, user, action, ids)
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
        return templates.TemplateResponse(request, "message.html", {
            "title": "操作无效", "message": "未知的操作，应为发布、撤回或删除"}, status_code=422)
    back = _safe_back(form.get("back"), "/admin/cases")
    ids = _selected(form.getlist("ids"))
    plan = await run_in_threadpool(_plan, request, user, action, ids)  # checked again: things may have moved
    doing = [p["id"] for p in plan if p["will"]]
    store = service(request).store
    target = ACTIONS[action]["status"]
    if target is None:
        changed = await run_in_threadpool(store.cases.delete, doing, user.username) if doing else 0
        same, gone_id = 0, (doing[0] if len(doing) == 1 else "")
        if back.startswith("/admin/cases/") and doing:  # the deleted case's own page is gone
            back = "/admin/cases"
    else:
        summary = await run_in_threadpool(store.cases.set_status_many, doing, target, user.username)
        changed, same, gone_id = len(summary.changed), sum(p["why"] == "same" for p in plan), ""
    skipped = sum(p["why"] == "review" for p in plan)
    await after_write(request)
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
    reviewed = review().required(request, user)
    current = record.status if record is not None else None
    if reviewed:
        forced = "draft" if current in ("published", None) else None
        return {"choices": [], "forced": forced, "reviewed": True}
    choices = [("keep", f"保持当前状态（{'已发布' if current == 'published' else '草稿'}）" if current
                else "保存为草稿"), ("published", "恢复并发布")]
    if current == "published":
        choices = [choices[0], ("draft", "恢复并撤回为草稿")]
    return {"choices": choices, "forced": None, "reviewed": False}


def _entry_id(raw: str) -> int | None:
    number = int_param(raw, 0)
    return number if 0 < number < 2**31 else None


def _no_version(request: Request, case_id: str) -> Response:
    return templates.TemplateResponse(request, "message.html", {
        "title": "版本不存在", "message": f"案例“{case_id}”没有这条可恢复的修改记录。"}, status_code=404)


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
    store = service(request).store
    record = await run_in_threadpool(store.cases.get_record, case_id)
    rules = _restore_choices(request, user, record)
    then = form.get("then") or "keep"
    allowed = {key for key, _ in rules["choices"]} | {"keep"}
    if then not in allowed:
        return templates.TemplateResponse(request, "message.html", {
            "title": "需要审核" if rules["reviewed"] else "操作无效",
            "message": "已开启发布审核：恢复的版本须由其他编辑或管理员审核后发布。" if rules["reviewed"]
            else "未知的恢复方式"}, status_code=403 if rules["reviewed"] else 422)
    status = rules["forced"] or {"keep": None, "draft": "draft", "published": "published"}[then]
    try:
        await run_in_threadpool(store.cases.restore, case_id, number, user.username, status)
    except VersionNotFoundError:
        return _no_version(request, case_id)
    except VersionUnusableError as exc:
        return templates.TemplateResponse(request, "message.html", {
            "title": "不能恢复", "message": str(exc)}, status_code=422)
    await after_write(request)
    return RedirectResponse(f"/admin/cases/{case_id}/edit?done=restored", status_code=303)


def _not_found(request: Request, case_id: str) -> Response:
    return templates.TemplateResponse(request, "message.html", {
        "title": "案例不存在", "message": f"找不到编号为“{case_id}”的案例。"}, status_code=404)
