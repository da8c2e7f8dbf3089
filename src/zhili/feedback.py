"""Recording 采纳/有帮助/不相关 on a recommended case: the one check the API and the web page share.

Feedback counts only for a case that was actually shown for that query. Checking membership in
the logged answer (and nothing else) also means a draft id and an id that does not exist get the
same answer, so the form cannot be used to find out which ids exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .store.errors import QueryNotFoundError

if TYPE_CHECKING:
    from .store import Store

VERDICTS = {"adopted": "采纳", "helpful": "有帮助", "irrelevant": "不相关"}


class FeedbackRefused(ValueError):
    """Why a verdict was not recorded: HTTP status, error code, Chinese and English text, field."""

    def __init__(self, status: int, code: str, message: str, message_en: str, field: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.message_en, self.field = message_en, field


def _query_missing(query_id: str) -> FeedbackRefused:
    return FeedbackRefused(404, "not_found", f"查询“{query_id}”不存在，请重新检索后再反馈",
                           f"Query not found: {query_id}", "query_id")


def record_feedback(store: "Store", query_id: str, case_id: str, verdict: str, user: str | None) -> int:
    """Store one verdict on a case of a logged answer; returns the feedback id."""
    if verdict not in VERDICTS:
        raise FeedbackRefused(422, "validation_error", f"未知的反馈类型“{verdict[:20]}”，可选：adopted、helpful、irrelevant",
                              "Unknown verdict", "verdict")
    query = store.queries.get(query_id) if query_id else None
    if query is None:
        raise _query_missing(query_id)
    if not case_id or case_id not in query.top_case_ids:
        raise FeedbackRefused(422, "case_not_in_answer", f"案例“{case_id}”不在这次查询的推荐结果中",
                              "The case was not recommended for this query", "case_id")
    try:
        return store.feedback.add(query_id, case_id, verdict, user=user)
    except QueryNotFoundError:  # deleted between the check and the write
        raise _query_missing(query_id) from None
