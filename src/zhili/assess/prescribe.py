"""From a weak point to the practice cases that fixed it elsewhere: 诊断 → 开方.

Each warning and each weak dimension becomes a query for the engine: the indicator's (or
dimension's) meaning in words — "组织生活不规范，“三会一课”不按期开展" — plus domain steering,
a filter to the domains where such fixes are filed (基层党组织建设 / 党员教育管理). The engine answers
as it does for a cadre's question, so every case comes with its usual 匹配度 and explanation.
A filter that leaves nothing is dropped rather than returning no prescription at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .engine import PeriodResult
from .pack import TOTAL, AssessmentPack

SUFFIX = "，如何整改提升"
CASES_PER_NEED = 3


@dataclass(frozen=True)
class Need:
    key: str            # "indicator:H05" or "dimension:班子队伍": one search per key, shared by units
    label: str          # 书记空缺月数 / 班子队伍
    query: str
    domains: tuple[str, ...]


def indicator_need(pack: AssessmentPack, indicator_id: str) -> Need:
    ind = pack.indicator(indicator_id)
    assert ind is not None, indicator_id
    return Need(f"indicator:{ind.id}", ind.name, pack.query_prefix + ind.meaning + SUFFIX, ind.domains)


def dimension_need(pack: AssessmentPack, name: str) -> Need:
    dim = pack.dimension(name)
    assert dim is not None, name
    return Need(f"dimension:{dim.name}", dim.name, pack.query_prefix + dim.meaning + SUFFIX, dim.domains)


def needs(pack: AssessmentPack, result: PeriodResult) -> list[tuple[str, Need]]:
    """(what it is for, need) for every warning (a total-score warning: the weakest dimension)
    and every weak dimension, each need once."""
    out: list[tuple[str, Need]] = []
    seen: set[str] = set()
    weakest = min(result.dimensions, key=lambda d: result.dimensions[d]["score"]) if result.dimensions else ""
    for w in result.warnings:
        need = dimension_need(pack, weakest) if w.indicator == TOTAL else indicator_need(pack, w.indicator)
        if need.key not in seen:
            seen.add(need.key)
            out.append((f"{w.kind_label}：{w.indicator_name}", need))
    for name in result.weak_dimensions(pack):
        need = dimension_need(pack, name)
        if need.key not in seen:
            seen.add(need.key)
            out.append((f"短板维度：{name}", need))
    return out


def case_json(r: Any) -> dict[str, Any]:
    """A result as the assessment pages show it: the case, where, 匹配度 and why."""
    return {"case_id": r.case_id, "title": r.title, "place": r.place, "year": r.year,
            "domains": list(r.domains), "leadership": list(r.leadership),
            "match": r.match.model_dump() if r.match else None,
            "why": r.match.explanation if r.match else "",
            "practice": r.practice, "weak": r.weak,
            "source": r.source.model_dump() if r.source else {}}


def search(recommend: Callable[..., Any], need: Need, top: int = CASES_PER_NEED) -> dict[str, Any]:
    """The engine's answer for one need: {"query", "domains", "steered", "cases": [...]}."""
    steered = True
    answer = recommend(need.query, top_k=top, filters={"domain": list(need.domains)} if need.domains else None)
    if not answer.results and need.domains:
        steered = False
        answer = recommend(need.query, top_k=top, filters=None)
    return {"query": need.query, "domains": list(need.domains), "steered": steered,
            "verdict": answer.verdict, "cases": [case_json(r) for r in answer.results]}
