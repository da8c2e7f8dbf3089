"""案例入库 over HTTP: upload documents as one batch (multipart), list and publish batches.

Thin: every decision is in `Service.ingest` (zhili.ingest.service), shared with the CLI and web.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from ...access.auth import Editor
from ...access.errors import ApiError
from ...ingest.service import DraftNotFoundError, ReviewError
from ...service import Service
from ...store.errors import StoreError
from ..deps import get_service, require_multipart

router = APIRouter(prefix="/ingest", tags=["案例入库"])
CHUNK = 1024 * 1024


def _read(file: UploadFile, limit: int) -> bytes:
    parts, total = [], 0
    while chunk := file.file.read(CHUNK):
        total += len(chunk)
        if total > limit:
            raise ApiError(413, "payload_too_large", f"{file.filename}：文件超过 {limit / 1024 / 1024:g} MB 上限，请拆分后分批上传",
                           "Upload too large", field="files")
        parts.append(chunk)
    return b"".join(parts)


def _review_error(exc: ReviewError) -> ApiError:
    if isinstance(exc, DraftNotFoundError):
        return ApiError(404, "not_found", str(exc), "No such draft or batch")
    return ApiError(422, "review_refused", str(exc), "Refused", field=None)


@router.post("", dependencies=[Depends(require_multipart)], summary="导入文档（Word/PDF/网页/文本），生成待审核草稿")
def ingest(request: Request, files: list[UploadFile] = File(..., description=".docx / .pdf / .html / .txt / .md"),
           batch: str = Form("", description="批次名称"), dry_run: bool = Form(False, description="只识别、不保存"),
           user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    """每个文件一条结果（识别出的案例、原文位置、可能重复）；任何文件无法读取时整批不导入（422）。"""
    limit = request.app.state.settings.max_upload_bytes
    loaded = [(Path(f.filename or "upload").name, _read(f, limit)) for f in files]
    try:
        report = service.ingest.run(loaded, batch=batch, dry_run=dry_run, user=user)
    except ReviewError as exc:
        raise _review_error(exc) from None
    body = report.to_dict()
    if report.errors:
        names = "；".join(d["error"]["message"] for d in report.errors)
        raise ApiError(422, "unreadable_document", f"{len(report.errors)} 个文件无法读取，整批未导入：{names}",
                       "Unreadable document; nothing stored", field="files", extra=body)
    return {"ok": True, "dry_run": dry_run, **body}


@router.get("/batches", summary="导入批次列表")
def batches(_user: Any = Editor, service: Service = Depends(get_service)) -> list[dict[str, Any]]:
    return [{"id": b.id, "name": b.name, "created_at": b.created_at.isoformat(), "created_by": b.created_by,
             "status": b.status, "documents": b.documents, "drafts": b.drafts} for b in service.store.ingest.batches()]


@router.get("/batches/{batch_id}", summary="一个批次的文件与草稿")
def batch(batch_id: str, _user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    from ...store.ingest import BatchNotFoundError

    try:
        b = service.store.ingest.batch(batch_id)
    except BatchNotFoundError as exc:
        raise ApiError(404, "not_found", str(exc), "No such batch") from None
    return {"id": b.id, "name": b.name, "status": b.status,
            "documents": [{"id": d.id, "file": d.filename, "format": d.format, "sha256": d.sha256, "pages": d.pages}
                          for d in service.store.ingest.documents(batch_id)],
            "drafts": [{"case_id": d.case_id, "document_id": d.document_id, "state": d.state, "case": d.payload,
                        "provenance": d.provenance, "duplicates": d.duplicates, "notes": d.notes}
                       for d in service.store.ingest.drafts(batch_id)]}


@router.post("/batches/{batch_id}/publish", summary="发布整个批次（必填项不全时整批不发布）")
def publish(batch_id: str, user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    try:
        ids = service.ingest.publish(batch_id, user)
    except ReviewError as exc:
        raise _review_error(exc) from None
    return {"ok": True, "published": ids}


@router.post("/drafts/{case_id}/{action}", summary="审核一份草稿：accept / reject / release")
def review(case_id: str, action: str, user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    fn = {"accept": service.ingest.accept, "reject": service.ingest.reject, "release": service.ingest.release}.get(action)
    if fn is None:
        raise ApiError(404, "not_found", f"未知的审核操作“{action}”（accept / reject / release）", "Unknown action")
    try:
        fn(case_id, user)
    except ReviewError as exc:
        raise _review_error(exc) from None
    except StoreError as exc:
        raise ApiError(409, "conflict", str(exc), "Conflict") from None
    return {"ok": True}


@router.delete("/batches/{batch_id}", summary="删除批次（连同其草稿与原始文件）")
def delete(batch_id: str, user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    from ...store.ingest import BatchNotFoundError

    try:
        removed = service.ingest.delete(batch_id, user)
    except BatchNotFoundError as exc:
        raise ApiError(404, "not_found", str(exc), "No such batch") from None
    return {"ok": True, "drafts_removed": removed}
