"""Problem → recommended cases: one at a time, or a file of work orders."""

from __future__ import annotations

import json
from urllib.parse import quote
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError

from ...access.auth import Searcher
from ...access.errors import ApiError
from ...access.login import client_of
from ...engine import EmptyLibraryError, QueryError
from ...service import Service
from ...workorders import WorkOrderFileError, read_workorders
from ..deps import engine_error, get_service, require_json, require_multipart
from ..schemas import BriefRequest, FilterFields, RecommendRequest, RecommendResponse
from ..settings import ApiSettings
from ..uploads import read_upload

router = APIRouter(tags=["问题匹配"])
NDJSON = "application/x-ndjson"


@router.post("/recommend", response_model=RecommendResponse, dependencies=[Depends(require_json)],
             summary="为问题描述推荐实践案例")
def recommend(body: RecommendRequest, request: Request, user: Any = Searcher,
              service: Service = Depends(get_service)) -> JSONResponse:
    """与 `zhili recommend --json` 输出相同，另加 `query_id`（用于反馈）。查询文本脱敏后记录。
    未登录时每个客户端每分钟的结果数有上限（429，见 Retry-After）。"""
    spend_anonymous(request, user, 1)
    try:
        query_id, answer = service.recommend(body.text, top=body.top, filters=body.filters(), user=user,
                                             use_rules=body.rules)
    except (QueryError, EmptyLibraryError, ValidationError) as exc:
        raise engine_error(exc) from None
    return JSONResponse({"query_id": query_id, **answer.model_dump(mode="json")})


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.post("/brief", dependencies=[Depends(require_json)], summary="决策参考：把一次检索导出为 Word 或可打印网页",
             responses={200: {"content": {DOCX: {}, "text/html": {}}}})
def brief(body: BriefRequest, request: Request, user: Any = Searcher,
          service: Service = Depends(get_service)) -> Response:
    """与网页“导出决策参考”相同（问题文本脱敏，来源、规则依据随附）；不另记一次查询。"""
    spend_anonymous(request, user, 1)
    try:
        _answer, data = service.brief(body.text, top=body.top, filters=body.filters(), fmt=body.format,
                                      author=getattr(user, "username", None))
    except (QueryError, EmptyLibraryError, ValidationError) as exc:
        raise engine_error(exc) from None
    if body.format == "html":
        return Response(data, media_type="text/html; charset=utf-8")
    return Response(data, media_type=DOCX, headers={
        "Content-Disposition": f"attachment; filename=\"brief.docx\"; filename*=UTF-8''{quote('决策参考.docx')}"})


def spend_anonymous(request: Request, user: Any, answers: int) -> None:
    """Anonymous callers draw on their client's per-minute budget (429 when it is used up)."""
    if user is None:
        request.app.state.answer_budget.take(client_of(request), answers)


def batch_limits(settings: ApiSettings, anonymous: bool) -> tuple[int, int]:
    """(work orders, work orders × top) one batch may ask for; stricter without a login."""
    if anonymous:
        return (min(settings.anonymous_batch_rows, settings.max_batch_rows),
                min(settings.anonymous_batch_results, settings.max_batch_results))
    return settings.max_batch_rows, settings.max_batch_results


def _check_size(settings: ApiSettings, orders: list[Any], top: int, anonymous: bool) -> None:
    """413 naming the limit when the batch would cost too much (time, memory, response size)."""
    max_rows, max_results = batch_limits(settings, anonymous)
    hint = (f"（未登录时的上限；登录后单次最多 {settings.max_batch_rows} 条工单、"
            f"{settings.max_batch_results} 条结果）" if anonymous else "")
    if len(orders) > max_rows:
        raise ApiError(413, "too_many_rows", f"工单过多：{len(orders)} 条，超过单次 {max_rows} 条上限{hint}，请拆分后提交",
                       f"{len(orders)} work orders; at most {max_rows} per request", field="file",
                       extra={"limit": max_rows})
    results = sum(order.top or top for order in orders)
    if results > max_results:
        raise ApiError(413, "batch_too_large",
                       f"本次需要返回 {results} 条结果（{len(orders)} 条工单 × 每条 top 条），超过单次 "
                       f"{max_results} 条上限{hint}；请减少工单或调低 top 后重试",
                       f"{results} results requested (work orders x top); at most {max_results}",
                       field="top", extra={"limit": max_results})


def _row_error(row: int | None, field: str, reason: str, order_id: Any = None) -> dict[str, Any]:
    where = f"第 {row} 行" if row is not None else (f"工单 {order_id}" if order_id is not None else "文件")
    return {"id": order_id, "row": row, "field": field or None, "message": f"{where}：{reason}"}


def _answers(service: Service, orders: list[Any], top: int, user: Any) -> Iterator[dict[str, Any]]:
    """One item per work order: its answer, or the error that order hit."""
    for order in orders:
        try:
            filters = FilterFields.model_validate(order.filters).filters()
            # a row's own top wins; rows that name none take the request's
            query_id, answer = service.recommend(order.text, top=order.top or top, filters=filters, user=user)
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(map(str, err.get("loc", ()))) or "filters"
            yield {"error": _row_error(None, field, str(err.get("msg", "")).removeprefix("Value error, "),
                                       order.id)}
            continue
        except QueryError as exc:
            yield {"error": _row_error(None, "text", str(exc), order.id)}
            continue
        yield {"id": order.id, "query_id": query_id, **answer.model_dump(mode="json")}


@router.post("/recommend/batch", dependencies=[Depends(require_multipart)],
             summary="批量推荐：上传工单文件（JSONL 或 CSV）",
             responses={200: {"content": {"application/json": {}, NDJSON: {}},
                              "description": "JSON：{count, results, errors}；Accept: application/x-ndjson 时每行一个结果或错误"}})
def recommend_batch(request: Request, file: UploadFile = File(..., description="工单文件：.jsonl 或 .csv，字段 id、text（可选 top、province、level、domain）"),
                    top: int = Form(10, ge=1, le=200), user: Any = Searcher,
                    service: Service = Depends(get_service)) -> Any:
    """每个工单一行结果（含 `query_id`）；有问题的行单独报错（行号、字段、原因），不影响其他行。
    工单数与“工单数 × top”有上限（413，`too_many_rows` / `batch_too_large`，未登录时更低）；
    未登录时每条工单计入每分钟的结果数上限（429）。"""
    data = read_upload(file, request.app.state.settings.max_upload_bytes)
    filename = file.filename or "upload.jsonl"
    try:
        orders, problems = read_workorders(data, filename)
    except WorkOrderFileError as exc:
        rows = [_row_error(p.row, p.field, p.reason) for p in exc.errors]
        raise ApiError(422, "invalid_file", rows[0]["message"] if rows else "工单文件无法读取",
                       "The work-order file cannot be used", field="file", extra={"rows": rows}) from None
    errors = [_row_error(p.row, p.field, p.reason) for p in problems]
    _check_size(request.app.state.settings, orders, top, anonymous=user is None)
    if not orders:
        raise ApiError(422, "invalid_file", errors[0]["message"] if errors else "文件中没有工单",
                       "No usable work order in the file", field="file", extra={"rows": errors})
    spend_anonymous(request, user, len(orders))
    try:
        service.engine()  # an empty library fails the request once, not every row
    except EmptyLibraryError as exc:
        raise engine_error(exc) from None
    if NDJSON in request.headers.get("accept", ""):
        def lines() -> Iterator[bytes]:
            for e in errors:
                yield (json.dumps({"error": e}, ensure_ascii=False) + "\n").encode("utf-8")
            for item in _answers(service, orders, top, user):
                yield (json.dumps(item, ensure_ascii=False) + "\n").encode("utf-8")
        return StreamingResponse(lines(), media_type=NDJSON)
    results: list[dict[str, Any]] = []
    for item in _answers(service, orders, top, user):
        (errors.append(item["error"]) if "error" in item else results.append(item))
    errors.sort(key=lambda e: (e["row"] is not None, e["row"] or 0))
    return JSONResponse({"count": len(results), "results": results, "errors": errors})
