"""Moving the case library in and out as files: import (validated whole, all or nothing, with a
per-row report and a dry run) and export (jsonl / csv / xlsx), reusing zhili.cases' readers and
writers so the API and `zhili cases import/export` accept and produce the same files."""

from __future__ import annotations

import tempfile
from urllib.parse import quote
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.encoders import jsonable_encoder

from ...access import review
from ...access.auth import Editor, Searcher, role_at_least
from ...access.errors import ApiError
from ...cases.errors import CaseFileError, field_label
from ...cases.io import read_cases, write_cases
from ...service import Service
from ..deps import get_service, nul_path, require_multipart
from ..uploads import read_upload
from .cases import Status, drafts_allowed

router = APIRouter(prefix="/cases", tags=["案例库"])
EXPORT_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
IMPORT_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".csv", ".xlsx")


@router.get("/export", summary="导出案例（jsonl / csv / xlsx）",
            responses={200: {"content": {t: {} for t in EXPORT_TYPES.values()}}})
def export_cases(request: Request, _user: Any = Searcher,
                 format: Literal["jsonl", "csv", "xlsx"] = Query("xlsx"),
                 status: Literal["draft", "published", "all"] = Query("published"),
                 service: Service = Depends(get_service)) -> Response:
    if status != "published":
        drafts_allowed(request, "导出")
    if status == "published":
        cases = service.store.cases.published()
    else:
        cases = [r.case for r in _all_records(service, None if status == "all" else status)]
    with tempfile.TemporaryDirectory(prefix="zhili-export-") as tmp:
        try:
            path = write_cases(cases, Path(tmp) / f"cases.{format}", format)
        except ValueError as exc:  # e.g. a control character Excel cannot hold; says which case
            raise ApiError(422, "export_failed", str(exc), f"Cannot export as {format}",
                           field="format") from None
        data = path.read_bytes()
    return Response(data, media_type=EXPORT_TYPES[format], headers={
        "Content-Disposition": f"attachment; filename=\"zhili-cases.{format}\"; "
                               f"filename*=UTF-8''{quote('案例库')}.{format}"})


def _all_records(service: Service, status: str | None) -> list[Any]:
    out, offset = [], 0
    while True:
        items, total = service.store.cases.page(status=status, offset=offset, limit=500)
        out += items
        offset += len(items)
        if not items or offset >= total:
            return out


def _suffix(filename: str) -> str:
    name = filename.lower()
    for suffix in sorted(IMPORT_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    raise ApiError(415, "unsupported_file_type",
                   f"无法识别的文件类型“{Path(filename).suffix or filename}”，支持 .jsonl、.jsonl.gz、.csv、.xlsx"
                   + ("；旧版 Excel/WPS 表格请“另存为” .xlsx" if name.endswith((".xls", ".et", ".wps")) else ""),
                   f"Unsupported file type: {filename}", field="file")


def _plan(service: Service, cases: list[Any], mode: str) -> dict[str, int]:
    """What an import would do, counted the way `ImportSummary` reports it."""
    existing = {c.id: c.content_hash() for c in service.store.cases.all()}
    hashes = {c.id: c.content_hash() for c in cases}
    return {"added": sum(cid not in existing for cid in hashes),
            "updated": sum(cid in existing and existing[cid] != h for cid, h in hashes.items()),
            "unchanged": sum(existing.get(cid) == h for cid, h in hashes.items()),
            "removed": len(set(existing) - set(hashes)) if mode == "replace" else 0}


def row_errors(exc: CaseFileError) -> list[dict[str, Any]]:
    return [{"row": e.row, "field": e.field or None, "field_label": field_label(e.field) or None,
             "reason": e.reason, "message": str(e)} for e in exc.errors]


@router.post("/import", dependencies=[Depends(require_multipart)], summary="导入案例文件（全部成功或全部不导入）")
def import_cases(request: Request,
                 file: UploadFile = File(..., description="案例文件：.xlsx / .csv / .jsonl(.gz)"),
                 dry_run: bool = Form(False, description="只校验、不保存"),
                 mode: Literal["upsert", "replace"] = Form("upsert", description="replace 会删除文件中没有的案例（仅管理员）"),
                 status: Status = Form("published", description="导入后的状态"),
                 user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    """先校验整个文件：任何一行有错都不会保存，返回每一处错误（行号、字段、原因）。"""
    filename = Path(file.filename or "upload").name
    suffix = _suffix(filename)
    if mode == "replace" and not role_at_least(user, "admin"):
        raise ApiError(403, "forbidden", "用文件替换整个案例库需要管理员权限", "Replace needs an admin",
                       field="mode")
    if status == "published":
        review.check_direct_publish(request, user)
    data = read_upload(file, request.app.state.settings.max_upload_bytes)
    with tempfile.TemporaryDirectory(prefix="zhili-import-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            cases = read_cases(path)
        except CaseFileError as exc:
            rows = row_errors(exc)
            raise ApiError(422, "invalid_file", f"文件 {filename} 有 {len(rows)} 处错误，未导入任何案例",
                           f"{len(rows)} problems in {filename}; nothing imported", field="file",
                           extra={"rows": rows}) from None
    bad = [(c.id, where) for c in cases if (where := nul_path(c.model_dump(mode="json"))) is not None]
    if bad:  # Case only refuses NUL in problem/practice; PostgreSQL refuses it in every text column
        rows = [{"row": None, "field": where, "field_label": field_label(where) or None,
                 "reason": "含有空字符 (NUL)", "message": f"案例 {cid} [{field_label(where)}]：含有空字符 (NUL)"}
                for cid, where in bad]
        raise ApiError(422, "invalid_file", f"文件 {filename} 有 {len(rows)} 个案例含有空字符 (NUL)，未导入任何案例",
                       f"NUL characters in {len(rows)} cases; nothing imported", field="file", extra={"rows": rows})
    if dry_run:
        return {"ok": True, "dry_run": True, "file": filename, "cases": len(cases),
                "summary": _plan(service, cases, mode)}
    summary = service.store.cases.import_cases(cases, mode=mode, user=user.username, status=status)
    service.refresh()
    return {"ok": True, "dry_run": False, "file": filename, "cases": len(cases),
            "summary": jsonable_encoder(summary)}
