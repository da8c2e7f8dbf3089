"""Was a recommended case useful? Feedback ties a logged query to one case."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from ...service import Service, username_of
from ..auth import Editor, Searcher
from ..deps import get_service, require_json
from ..errors import ApiError, not_found
from ..schemas import FeedbackRequest

router = APIRouter(prefix="/feedback", tags=["反馈"])


@router.post("", status_code=201, dependencies=[Depends(require_json)], summary="对推荐结果反馈")
def add_feedback(body: FeedbackRequest, user: Any = Searcher,
                 service: Service = Depends(get_service)) -> dict[str, Any]:
    """`verdict`：adopted 已采纳 / helpful 有帮助 / irrelevant 不相关。与查询权限相同（默认匿名可用）。"""
    query = service.store.queries.get(body.query_id)
    if query is None:
        raise not_found("查询", body.query_id, field="query_id")
    if service.store.cases.get_record(body.case_id) is None:
        raise not_found("案例", body.case_id, field="case_id")
    if body.case_id not in query.top_case_ids:
        raise ApiError(422, "case_not_in_answer", f"案例“{body.case_id}”不在这次查询的推荐结果中",
                       "The case was not recommended for this query", field="case_id")
    fid = service.store.feedback.add(body.query_id, body.case_id, body.verdict, user=username_of(user))
    return {"id": fid, "query_id": body.query_id, "case_id": body.case_id, "verdict": body.verdict}


@router.get("", summary="反馈列表")
def list_feedback(query_id: str | None = Query(None, max_length=64), limit: int = Query(100, ge=1, le=1000),
                  _user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    return {"items": jsonable_encoder(service.store.feedback.list(query_id=query_id, limit=limit))}
