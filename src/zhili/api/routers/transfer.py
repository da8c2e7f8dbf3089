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

from ...access.auth import Editor, Searcher
from ...access.errors import ApiError
from ...cases.io import write_cases
from ...service import Service
from ...usecases.library import ImportRefused
from ..deps import get_service, require_multipart
from ..uploads import read_upload
from .cases import Status, actor_of

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
    cases = service.library.export(status, actor_of(request))
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


def _suffix(filename: str) -> str:
    name = filename.lower()
    for suffix in sorted(IMPORT_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    raise ApiError(415, "unsupported_file_type",
                   f"无法识别的文件类型“{Path(filename).suffix or filename}”，支持 .jsonl、.jsonl.gz、.csv、.xlsx"
                   + ("；旧版 Excel/WPS 表格请“另存为” .xlsx" if name.endswith((".xls", ".et", ".wps")) else ""),
                   f"Unsupported file type: {filename}", field="file")


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
    actor = actor_of(request, user)
    service.library.check_import(actor, mode, status)
    data = read_upload(file, request.app.state.settings.max_upload_bytes)
    with tempfile.TemporaryDirectory(prefix="zhili-import-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            cases = service.library.read_import(path, filename, publish=status == "published")
        except ImportRefused as exc:
            rows = [p.json() for p in exc.problems]
            raise ApiError(422, "invalid_file", str(exc), f"{len(rows)} problems in {filename}; nothing imported",
                           field="file", extra={"rows": rows}) from None
    if dry_run:
        return {"ok": True, "dry_run": True, "file": filename, "cases": len(cases),
                "summary": service.library.import_plan(cases, mode)}
    summary = service.library.import_cases(cases, actor, mode, status)
    return {"ok": True, "dry_run": False, "file": filename, "cases": len(cases),
            "summary": jsonable_encoder(summary)}
