"""匹配度: how likely a shown case is a useful match, on one scale for every query.

    percent = 100 × fit_score × P(relevant | the case's own scores)

`fit_score` is the query-level probability that the library has a useful case at all (the fit
model, `zhili.verdict.judge`); P(relevant | …) is a logistic (Platt) calibration of the case's
scores, fitted on gov-dev's graded judgments (relevant = grade ≥ 2) over the top 20 of each
query that has a fit: features are the fused score, the case's semantic lead over the median
case (cosine − median, in units of 0.05) and its BM25 score (log(1 + s) / log 21). The
coefficients are `MatchSettings.match_weights` (benchmarks/nofit.py fits and checks them; the
reliability table is in docs/benchmarks.md). The fused score alone could not do this: it is
min-max normalised per query, so every query's best case scores about the same.

Levels are fixed cut-offs on the percent: 高 ≥ 60, 中 ≥ 30, 低 below. The percent never shows
100: no score makes a case certain to fit.
"""

from __future__ import annotations

import math

from ..answer import Match
from .judge import sigmoid

HIGH = 60
MEDIUM = 30
MAX_PROBABILITY = 0.99  # never shown as certain
# semantic lead (units of 0.05) read as 相近 / 有一定关联: the median of cases judged relevant
# on gov-dev (0.7) and the upper quartile of those judged not relevant (0.45–0.5)
SEMANTIC_CLOSE = 0.7
SEMANTIC_RELATED = 0.45
DENSE_UNIT = 0.05
BM25_SCALE = math.log1p(20.0)


def level_of(percent: int) -> str:
    return "高" if percent >= HIGH else "中" if percent >= MEDIUM else "低"


def case_features(score: float, dense: float | None, dense_median: float | None,
                  bm25: float) -> dict[str, float]:
    """The calibration's inputs for one case (dense None when there is no semantic model)."""
    out = {"score": float(score), "bm25": math.log1p(max(0.0, float(bm25))) / BM25_SCALE}
    if dense is not None and dense_median is not None and dense_median == dense_median:
        out["dense"] = (float(dense) - float(dense_median)) / DENSE_UNIT
    return out


def relevance(features: dict[str, float], weights: dict[str, float],
              neutral: dict[str, float]) -> float:
    z = float(weights.get("intercept", 0.0))
    for name, w in weights.items():
        if name != "intercept":
            z += float(w) * float(features.get(name, neutral.get(name, 0.0)))
    return sigmoid(z)


def explain(*, bm25_share: float, dense_lead: float | None, rules: bool, no_fit: bool) -> str:
    """One sentence a cadre understands. `bm25_share`: this case's BM25 score over the best
    BM25 score of the query (how much of the wording it shares, relative to the best);
    `dense_lead`: its semantic lead over the median case in units of 0.05."""
    words = ("问题用词与案例高度重合" if bm25_share >= 0.7 else
             "问题用词与案例部分重合" if bm25_share >= 0.35 else "问题用词与案例重合不多")
    if dense_lead is None:
        meaning = ""
    elif dense_lead >= SEMANTIC_CLOSE:
        meaning = "语义也相近" if bm25_share >= 0.35 else "但语义相近"
    elif dense_lead >= SEMANTIC_RELATED:
        meaning = "语义有一定关联"
    else:
        meaning = "语义关联也较弱" if bm25_share < 0.35 else "但语义关联较弱"
    sentence = "，".join(p for p in (words, meaning) if p)
    if rules:
        sentence += "，且属于规则研判的问题领域"
    if no_fit:
        sentence = "库中没有与本问题高度相符的案例，此案仅作参考：" + sentence
    return sentence + "。"


def match_of(*, score: float, dense: float | None, dense_median: float | None, bm25: float,
             bm25_best: float, fit_score: float, rules: bool, no_fit: bool,
             weights: dict[str, float], neutral: dict[str, float]) -> Match:
    feats = case_features(score, dense, dense_median, bm25)
    p = fit_score * relevance(feats, weights, neutral)
    percent = int(round(100 * min(MAX_PROBABILITY, max(0.0, p))))
    share = float(bm25) / bm25_best if bm25_best > 0 else 0.0
    return Match(level=level_of(percent), percent=percent,
                 explanation=explain(bm25_share=share, dense_lead=feats.get("dense"), rules=rules,
                                     no_fit=no_fit))
