"""Assessments (健康指数 / 能力图谱) over REST: packs, template, import, overview, warnings with
their cases, one unit's result and its Word report. Thin over `Service.assessments`.

Reading needs a signed-in user. Person-level results (packs marked personal) go only to
assessors and admins; a viewer's overview of such a pack carries aggregates only, and a
person's page answers 403. Importing needs an assessor or admin. Every read is audited.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from ...access.auth import Assessor, Viewer, can_assess
from ...access.errors import ApiError
from ...assess.sheets import AssessFileError
from ...assess.usecases import AssessAccessError, UnitNotFoundError
from ...rules.schema import RuleCheckError
from ...service import Service
from ..deps import get_service, require_multipart
from ..uploads import read_upload

router = APIRouter(prefix="/assessments", tags=["测评"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _pack(service: Service, name: str) -> Any:
    if name not in service.assessments.names():
        raise ApiError(404, "not_found", f"没有名为“{name}”的测评包（可用：{'、'.join(service.assessments.names())}）",
                       f"No assessment pack {name}", field="pack")
    try:
        return service.assessments.pack(name)
    except RuleCheckError as exc:
        raise ApiError(503, "pack_invalid", f"测评包“{name}”检查未通过：{exc.problems[0]}",
                       f"Assessment pack {name} failed its checks", field="pack") from None


def _attachment(data: bytes, media: str, name: str) -> Response:
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"assessment{Path(name).suffix}\"; filename*=UTF-8''{quote(name)}"})


def _strip(view: dict[str, Any]) -> dict[str, Any]:
    """JSON without the inline SVG the pages draw."""
    out = {k: v for k, v in view.items() if k not in ("radar", "spark")}
    if "rows" in out:
        out["rows"] = [{k: v for k, v in r.items() if k != "spark"} for r in out["rows"]]
    return out


@router.get("", summary="测评包列表")
def list_packs(_user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    return {"packs": [p.summary() for p in service.assessments.packs()]}


@router.get("/{pack}", summary="测评包：指标、维度、等次")
def get_pack(pack: str, _user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    return _pack(service, pack).summary()


@router.get("/{pack}/template", summary="导入模板（.xlsx，含“说明”工作表）", responses={200: {"content": {XLSX: {}}}})
def template(pack: str, _user: Any = Viewer, service: Service = Depends(get_service)) -> Response:
    p = _pack(service, pack)
    return _attachment(service.assessments.template(p.name), XLSX, f"{p.title}导入模板.xlsx")


@router.post("/{pack}/import", dependencies=[Depends(require_multipart)],
             summary="导入测评数据（.xlsx / .csv；全部检查通过才保存）")
def import_data(request: Request, pack: str, file: UploadFile = File(..., description="每行一个对象一个期次"),
                user: Any = Assessor, service: Service = Depends(get_service)) -> dict[str, Any]:
    """任何一格有误都不保存，返回每一处错误（工作表、行、列、原因）。"""
    p = _pack(service, pack)
    filename = Path(file.filename or "upload.xlsx").name
    suffix = Path(filename).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ApiError(415, "unsupported_file_type", f"无法识别的文件类型“{suffix or filename}”，支持 .xlsx、.csv",
                       f"Unsupported file type: {filename}", field="file")
    data = read_upload(file, request.app.state.settings.max_upload_bytes)
    with tempfile.TemporaryDirectory(prefix="zhili-assess-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            summary = service.assessments.import_file(p.name, path, display_name=filename, by=user.username)
        except AssessFileError as exc:
            raise ApiError(422, "invalid_file", f"文件 {filename} 有 {len(exc.errors)} 处错误，未导入任何数据",
                           f"{len(exc.errors)} problems in {filename}; nothing imported", field="file",
                           extra={"cells": [e.to_dict() | {"message": str(e)} for e in exc.errors]}) from None
    return {"ok": True, "file": filename, "rows": summary.rows, "added": summary.added, "replaced": summary.replaced,
            "units": summary.units, "periods": summary.periods}


@router.get("/{pack}/overview", summary="总览：等次分布、预警（按严重程度）、名单；筛选期次/地区/等次")
def overview(pack: str, period: Optional[str] = Query(None), region: Optional[str] = Query(None),
             level: Optional[str] = Query(None), user: Any = Viewer,
             service: Service = Depends(get_service)) -> dict[str, Any]:
    p = _pack(service, pack)
    return _strip(service.assessments.overview(p.name, period=period, region=region, level=level,
                                               personal=can_assess(user), by=user.username))


@router.get("/{pack}/overview.xlsx", summary="导出总览（.xlsx）", responses={200: {"content": {XLSX: {}}}})
def overview_xlsx(pack: str, period: Optional[str] = Query(None), region: Optional[str] = Query(None),
                  level: Optional[str] = Query(None), user: Any = Viewer,
                  service: Service = Depends(get_service)) -> Response:
    p = _pack(service, pack)
    data = service.assessments.overview_xlsx(p.name, period=period, region=region, level=level,
                                             personal=can_assess(user), by=user.username)
    return _attachment(data, XLSX, f"{p.title}总览.xlsx")


@router.get("/{pack}/warnings", summary="预警名单与对症案例（与 zhili assess warnings --json 相同）")
def warnings(pack: str, period: Optional[str] = Query(None), cases: bool = Query(True), user: Any = Viewer,
             service: Service = Depends(get_service)) -> list[dict[str, Any]]:
    p = _pack(service, pack)
    if p.personal and not can_assess(user):
        raise ApiError(403, "forbidden", str(AssessAccessError()), "Person-level results need an assessor")
    return service.assessments.warnings(p.name, period=period, with_cases=cases, by=user.username)


def _unit(service: Service, pack: str, unit: str, user: Any, *, docx: bool = False) -> Any:
    p = _pack(service, pack)
    try:
        if docx:
            return service.assessments.report_docx(p.name, unit, personal=can_assess(user), by=user.username)
        return service.assessments.unit(p.name, unit, personal=can_assess(user), by=user.username)
    except AssessAccessError as exc:
        raise ApiError(403, "forbidden", str(exc), "Person-level results need an assessor or admin") from None
    except UnitNotFoundError as exc:
        raise ApiError(404, "not_found", str(exc), f"No unit {unit}", field="unit") from None


@router.get("/{pack}/units/{unit}", summary="一个对象：总分、维度、走势、预警（规则依据）、对症案例、培训建议")
async def unit_view(pack: str, unit: str, user: Any = Viewer, service: Service = Depends(get_service)) -> dict[str, Any]:
    return _strip(await run_in_threadpool(_unit, service, pack, unit, user))


@router.get("/{pack}/units/{unit}/report.docx", summary="诊断报告（.docx，公文格式）", responses={200: {"content": {DOCX: {}}}})
async def unit_report(pack: str, unit: str, user: Any = Viewer, service: Service = Depends(get_service)) -> Response:
    data = await run_in_threadpool(_unit, service, pack, unit, user, docx=True)
    return _attachment(data, DOCX, f"{unit}诊断报告.docx")
