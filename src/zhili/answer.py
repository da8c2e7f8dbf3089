"""The answer's shape: what the CLI renders, `--json` prints and the API will return.

Field names here are the stable JSON contract for integrators; add fields, never rename.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .cases import Outcome, Source
from .rules.outcome import Risk, Routing

NO_FIT_MESSAGE = "库中暂无高度匹配的案例。以下为最接近的案例，仅作弱匹配参考。"
CAUTION_MESSAGE = "以下案例与问题领域相近，但针对的具体问题可能不同，借鉴前请核对其做法是否适用。"

Verdict = Literal["fit", "no_fit", "off_topic", "empty"]
"""fit: cases that fit; no_fit: only weak matches (shown, marked weak); off_topic: not a
governance problem (no cases, no rules); empty: no case passes the filters."""


class MethodScore(BaseModel):
    """One retrieval method's view of a case: its rank among candidates and its raw score."""

    rank: int | None = None
    score: float = 0.0


class Span(BaseModel):
    field: str
    start: int
    end: int


class TermMatch(BaseModel):
    term: str
    spans: list[Span] = Field(default_factory=list)


class RuleEffect(BaseModel):
    """How much the rules moved this case: raw boost, its share of the final score, why."""

    boost: float = 0.0
    contribution: float = 0.0
    reasons: list[str] = Field(default_factory=list)


class Match(BaseModel):
    """匹配度 of one result on one scale for every query: level 高/中/低 (fixed cut-offs on the
    percent: 高 ≥ 60, 中 ≥ 30), percent 0–100 (calibrated probability that the case is a useful
    match, see zhili.verdict.match) and one sentence saying why."""

    level: str
    percent: int
    explanation: str


class Result(BaseModel):
    rank: int
    case_id: str
    title: str
    place: str
    province: str
    level: str
    year: int | None
    score: float
    weak: bool = False
    match: Match | None = None
    methods: dict[str, MethodScore] = Field(default_factory=dict)
    rules: RuleEffect | None = None
    matched_terms: list[TermMatch] = Field(default_factory=list)
    leadership: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    mechanisms: list[str] = Field(default_factory=list)
    actors: list[str] = Field(default_factory=list)
    problem: str = ""
    practice: str = ""
    outcomes: list[Outcome] = Field(default_factory=list)
    source: Source = Field(default_factory=Source)


class Answer(BaseModel):
    query: str
    normalized_query: str
    terms: list[str]
    lexicon_hits: list[str] = Field(default_factory=list)
    filters: dict[str, Any] = Field(default_factory=dict)
    candidates: int = 0
    verdict: Verdict = "fit"
    no_fit: bool = False  # True for every verdict but "fit"
    fit_score: float = 0.0  # estimated probability (0–1) that the library has a useful case
    message: str = ""
    caution: bool = Field(default=False, description=(
        "有匹配（verdict 为 fit）但把握不高（fit_score 低于 caution_threshold）：案例与问题领域相近，"
        "针对的具体问题可能不同；message 为提示语。"))
    fit_signals: dict[str, float] = Field(default_factory=dict)
    results: list[Result] = Field(default_factory=list)
    by_dimension: dict[str, list[str]] = Field(default_factory=dict)
    rules_used: bool = False
    classification: dict[str, Any] = Field(default_factory=dict)
    routing: Routing | None = None
    risk: Risk | None = None
    suggestions: dict[str, list[str]] = Field(default_factory=dict)
    rule_trace: list[dict[str, Any]] = Field(default_factory=list, description=(
        "命中的每一行规则，按执行顺序：pack、pack_id、table、target、row_id、description、"
        "summary（一句中文说明，如“命中“养老服务”分类规则：文中出现“独居、高龄””、"
        "“牵头：街道办事处（依据：《…》）”）、inputs（[{column, field, test, value}]）、outputs（原始键值）"))
