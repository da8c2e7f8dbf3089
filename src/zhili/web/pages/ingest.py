"""导入文档 and 待审核: upload documents as a batch; review each draft beside its source text with
the extracted spans highlighted; accept / edit / reject / merge / split; publish the batch.

Thin: every decision is in `Service.ingest` (zhili.ingest.service)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ...cases.model import DOMAINS, LEVELS
from ...ingest.service import ReviewError, missing_for_publish
from ...store.errors import StoreError
from ...store.ingest import BatchNotFoundError
from ..deps import editor_form, gate, service
from ..templating import message_page, templates
from ..upload_fields import posted_file, posted_files, read_capped

router = APIRouter(prefix="/admin")
FIELD_LABELS = {"title": "标题", "province": "省份", "city": "城市", "district": "区县", "level": "层级", "year": "年份",
                "problem": "问题", "practice": "做法", "outcomes": "成效", "mechanisms": "机制", "domains": "领域",
                "leadership": "引领", "actors": "主体", "source": "来源"}
STATE_LABELS = {"draft": "待审核", "accepted": "已确认", "held": "可能重复，暂不导入", "rejected": "已驳回",
                "published": "已发布"}


def _done(path: str, done: str, fragment: str = "") -> Response:
    """Back to `path` after a change, saying what was done (the page shows `done` as its notice)."""
    return RedirectResponse(f"{path}?done={quote(done)}{fragment}", status_code=303)


def _upload_page(request: Request, batches: Any, status_code: int = 200, **ctx: Any) -> Response:
    """The upload page again, with the batches so far and an error or report."""
    return templates.TemplateResponse(request, "admin/ingest.html", {"batches": batches, **ctx},
                                      status_code=status_code)


def _label(key: str) -> str:
    return FIELD_LABELS.get(key.split("[")[0].split(".")[0], key)


def highlighted(text: str, start: int, end: int, provenance: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The segment's text cut into pieces, each with the fields whose spans cover it."""
    marks: list[set[str]] = [set() for _ in range(end - start)]
    for key, spans in provenance.items():
        for a, b in spans:
            for i in range(max(a, start), min(b, end)):
                marks[i - start].add(_label(key))
    pieces: list[tuple[str, list[str]]] = []
    i = 0
    while i < end - start:
        j = i
        while j < end - start and marks[j] == marks[i]:
            j += 1
        pieces.append((text[start + i:start + j], sorted(marks[i])))
        i = j
    return pieces


@router.get("/ingest", response_class=HTMLResponse)
def ingest_page(request: Request, done: str = "", error: str = "") -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    return _upload_page(request, service(request).store.ingest.batches(), done=done, error=error)


@router.post("/ingest", response_class=HTMLResponse)
async def ingest_upload(request: Request) -> Response:
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    files = posted_files(form, "files")
    batches = await run_in_threadpool(service(request).store.ingest.batches)
    if not files:
        return _upload_page(request, batches, 422, error="请选择要导入的文件（.docx、.pdf、.html、.txt、.md）")
    loaded = []
    for f in files:
        data = await read_capped(f)
        if data is None:
            return _upload_page(request, batches, 413, error=f"{f.filename}：文件过大，请拆分后再导入")
        loaded.append((f.filename, data))
    name = str(form.get("batch") or "")[:200]
    try:
        report = await run_in_threadpool(service(request).ingest.run, loaded, name, False, user)
    except ReviewError as exc:
        return _upload_page(request, batches, 422, error=str(exc))
    if report.errors:
        return _upload_page(request, batches, 422, report=report, error="有文件无法读取，整批未导入（案例库没有任何改动）")
    if report.batch_id:
        return _done(f"/admin/ingest/{quote(report.batch_id)}", "已导入，请逐份审核")
    return _upload_page(request, batches, report=report, done="没有新的内容需要导入")


@router.post("/ingest/check")
async def ingest_check(request: Request) -> Response:
    """One file read and segmented, nothing stored: the upload page's per-document progress."""
    from fastapi.responses import JSONResponse

    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    f = posted_file(form, "file")
    if f is None:
        return JSONResponse({"ok": False, "message": "没有收到文件"}, status_code=422)
    data = await read_capped(f)
    if data is None:
        return JSONResponse({"ok": False, "message": f"{f.filename}：文件过大，请拆分后再导入"})
    try:
        report = await run_in_threadpool(service(request).ingest.run, [(f.filename, data)], "", True, user)
    except ReviewError as exc:
        return JSONResponse({"ok": False, "message": str(exc)})
    doc = report.documents[0]
    if doc.get("error"):
        return JSONResponse({"ok": False, "message": doc["error"]["message"]})
    if doc.get("skipped"):
        return JSONResponse({"ok": True, "message": doc["skipped"]})
    held = sum(1 for c in doc["cases"] if c["duplicates"])
    return JSONResponse({"ok": True, "message": f"{f.filename}：{doc['pages']} 页，识别出 {len(doc['cases'])} 个案例"
                         + (f"，其中 {held} 个可能重复" if held else "")})


def _review_page(request: Request, batch_id: str, status_code: int = 200, **ctx: Any) -> Response:
    st = service(request).store
    try:
        batch = st.ingest.batch(batch_id)
    except BatchNotFoundError as exc:
        return message_page(request, "批次不存在", str(exc), 404)
    docs = {d.id: d for d in st.ingest.documents(batch_id)}
    items = []
    for d in st.ingest.drafts(batch_id):
        rec = st.cases.get(d.case_id)
        case = rec.model_dump(mode="json") if rec is not None else d.payload
        doc = docs[d.document_id]
        items.append({"draft": d, "case": case, "doc": doc, "state": STATE_LABELS.get(d.state, d.state),
                      "missing": missing_for_publish(case) if d.state in ("draft", "accepted") else [],
                      "pieces": highlighted(doc.text, d.segment[0], d.segment[1], d.provenance)})
    return templates.TemplateResponse(request, "admin/ingest_review.html", {
        "batch": batch, "items": items, "docs": list(docs.values()), "levels": LEVELS, "domains": DOMAINS,
        **ctx}, status_code=status_code)


@router.get("/ingest/{batch_id}", response_class=HTMLResponse)
def ingest_review(request: Request, batch_id: str, done: str = "", error: str = "") -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    return _review_page(request, batch_id, done=done, error=error)


@router.get("/ingest/document/{document_id}")
def ingest_document(request: Request, document_id: int) -> Response:
    """The original file, as uploaded (for reviewers and, from the case page, later readers)."""
    user = gate(request, "viewer")
    if isinstance(user, Response):
        return user
    got = service(request).store.ingest.document_file(document_id)
    if got is None:
        return message_page(request, "文件不存在", "原始文件已随批次删除。", 404)
    name, data = got
    types = {"pdf": "application/pdf", "html": "text/plain; charset=utf-8", "htm": "text/plain; charset=utf-8",
             "txt": "text/plain; charset=utf-8", "md": "text/plain; charset=utf-8",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    kind = types.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")
    return Response(data, media_type=kind, headers={
        "Content-Disposition": f"attachment; filename=\"document\"; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff"})


def _edits(form: Any) -> dict[str, Any]:
    def text(k: str) -> str:
        return str(form.get(k) or "").strip()

    year = text("year")
    changes: dict[str, Any] = {}
    for k in ("title", "province", "city", "district", "level", "problem", "practice"):
        if k in form:
            changes[k] = text(k)
    if "year" in form:
        changes["year"] = int(year) if year.isdigit() else None
    if "domains" in form or "domains_present" in form:
        changes["domains"] = [d for d in form.getlist("domains") if d in DOMAINS]
    src = {k: text(f"source_{k}") for k in ("title", "url", "date", "publisher") if f"source_{k}" in form}
    if src:
        changes["source"] = src
    return changes


@router.post("/ingest/{batch_id}/draft/{case_id}", response_class=HTMLResponse)
async def ingest_action(request: Request, batch_id: str, case_id: str) -> Response:
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    action = str(form.get("action") or "")
    ing = service(request).ingest
    try:
        if action == "save":
            await run_in_threadpool(ing.edit, case_id, _edits(form), user)
            done = f"已保存 {case_id}"
        elif action == "accept":
            await run_in_threadpool(ing.edit, case_id, _edits(form), user)
            await run_in_threadpool(ing.accept, case_id, user)
            done = f"已确认 {case_id}"
        elif action == "reject":
            await run_in_threadpool(ing.reject, case_id, user)
            done = f"已驳回 {case_id}"
        elif action == "release":
            await run_in_threadpool(ing.release, case_id, user)
            done = f"已导入 {case_id}（确认不是重复）"
        elif action == "merge_next":
            ids = [d.case_id for d in service(request).store.ingest.drafts(batch_id)
                   if d.state not in ("rejected", "published")]
            if case_id not in ids or ids.index(case_id) + 1 >= len(ids):
                raise ReviewError("这是最后一份草稿，没有可合并的下一份")
            nxt = ids[ids.index(case_id) + 1]
            await run_in_threadpool(ing.merge, [case_id, nxt], user)
            done = f"已把 {nxt} 合并进 {case_id}"
        elif action == "split":
            at = str(form.get("at") or "").strip()
            if not at.lstrip("-").isdigit():
                raise ReviewError("请填写拆分位置（原文中的字符序号）")
            made = await run_in_threadpool(ing.split, case_id, int(at), user)
            done = f"已拆分为 {'、'.join(made)}"
        else:
            raise ReviewError(f"未知操作“{action}”")
    except (ReviewError, ValueError, StoreError) as exc:
        return _review_page(request, batch_id, 422, error=str(exc))
    return _done(f"/admin/ingest/{quote(batch_id)}", done, f"#d-{quote(case_id)}")


@router.post("/ingest/{batch_id}/publish", response_class=HTMLResponse)
async def ingest_publish(request: Request, batch_id: str) -> Response:
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, _form = got
    try:
        ids = await run_in_threadpool(service(request).ingest.publish, batch_id, user)
    except ReviewError as exc:
        return _review_page(request, batch_id, 422, error=str(exc))
    return _done(f"/admin/ingest/{quote(batch_id)}", f"已发布 {len(ids)} 个案例")


@router.post("/ingest/{batch_id}/delete", response_class=HTMLResponse)
async def ingest_delete(request: Request, batch_id: str) -> Response:
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, _form = got
    try:
        n = await run_in_threadpool(service(request).ingest.delete, batch_id, user)
    except BatchNotFoundError as exc:
        return message_page(request, "批次不存在", str(exc), 404)
    return _done("/admin/ingest", f"已删除批次 {batch_id} 及其 {n} 份草稿")
