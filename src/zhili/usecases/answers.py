"""Answers beyond the logged search (`Service.recommend`): the cases like a given case, and the
决策参考 brief of a search — once, for the pages, the API and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from ..answer import Answer, Result
from ..engine import EmptyLibraryError, QueryError

if TYPE_CHECKING:
    from ..cases import Case
    from ..service import Service

SIMILAR = 5
PROBE_CHARS = 2_000  # a long case body says no more about "similar" than its opening does
BriefFormat = Literal["docx", "html"]


def similar_cases(service: "Service", case: "Case", n: int = SIMILAR) -> list[Result]:
    """Recommend with the case's own problem text; the case itself is left out (not logged:
    nobody asked a question)."""
    probe = (case.problem or case.title + "。" + case.practice)[:PROBE_CHARS]
    try:
        answer = service.engine().recommend(probe, top_k=n + 1)
    except (QueryError, EmptyLibraryError):
        return []
    return [r for r in answer.results if r.case_id != case.id][:n]


def brief(answer: Answer, fmt: BriefFormat = "docx", author: str | None = None) -> bytes:
    """The 决策参考 of an answer: Word (.docx) or a standalone printable HTML page (UTF-8)."""
    if fmt == "docx":
        from ..brief import build_docx

        return build_docx(answer, author=author)
    from ..brief import build_html

    return build_html(answer, author=author).encode("utf-8")
