"""Was a recommended case useful? Feedback ties a logged query to one case."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder

from ...access.auth import Editor, Searcher
from ...access.errors import ApiError
from ...feedback import FeedbackRefused
from ...service import Service
from ..deps import get_service, require_json
from ..schemas import FeedbackRequest

router = APIRouter(prefix="/feedback", tags=["反馈"])


@router.post("", status_code=201, dependencies=[Depends(require_json)], summary="对推荐结果反馈")
def add_feedback(body: FeedbackRequest, user: Any = Searcher,
                 service: Service = Depends(get_service)) -> dict[str, Any]:
    """`verdict`：adopted 已采纳 / helpful 有帮助 / irrelevant 不相关。与查询权限相同（默认匿名可用）。
    只接受这次查询推荐结果中的案例（否则 422 `case_not_in_answer`，不区分案例是否存在）。"""
    try:
        fid = service.add_feedback(body.query_id, body.case_id, body.verdict, user)
    except FeedbackRefused as exc:
        raise ApiError(exc.status, exc.code, exc.message, exc.message_en, field=exc.field) from None
    return {"id": fid, "query_id": body.query_id, "case_id": body.case_id, "verdict": body.verdict}


@router.get("", summary="反馈列表")
def list_feedback(query_id: str | None = Query(None, max_length=64), limit: int = Query(100, ge=1, le=1000),
                  _user: Any = Editor, service: Service = Depends(get_service)) -> dict[str, Any]:
    return {"items": jsonable_encoder(service.store.feedback.list(query_id=query_id, limit=limit))}
