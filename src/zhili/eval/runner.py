"""Run the engine over an evaluation set and turn its answers into a report.

Three protocols, differing only in the candidates each query may rank: "full" (the whole
collection), "pool" (pools.tsv, LeCaRD's recommended setting) and "label" (only the query's
judged documents, what LeCaRD's published table measures).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Protocol, Sequence

from .dataset import EvalFormatError, EvalSet
from .metrics import (
    DEFAULT_MEASURES, LECARD_MEASURES, REL, MatchCalibration, Measure, NoFitSeparation,
    RetrievalMetrics, Run, evaluate, match_calibration, no_fit_separation,
)

Mode = Literal["full", "pool", "label"]
MODES: tuple[str, ...] = ("full", "pool", "label")


class _Match(Protocol):
    percent: int


class _Result(Protocol):
    case_id: str
    score: float
    match: _Match | None


class _Answer(Protocol):
    no_fit: bool
    fit_score: float
    results: Sequence[_Result]


class Recommender(Protocol):
    """The part of zhili.engine.Engine that evaluation uses."""

    def recommend(self, text: str, top_k: int = 10, filters: Any = None,
                  candidates: set[str] | None = None, use_rules: bool = True,
                  explain: bool = True) -> _Answer: ...


def candidate_sets(evalset: EvalSet, mode: str) -> dict[str, set[str]] | None:
    """Per-query candidates for a protocol; None means the whole collection."""
    if mode == "full":
        return None
    if mode == "label":
        return {q.id: set(evalset.qrels.get(q.id, {})) for q in evalset.queries}
    if mode == "pool":
        if evalset.pools is None:
            raise EvalFormatError(f"{evalset.root} 中没有 pools.tsv，无法按候选池重排")
        return {q.id: set(evalset.pools.get(q.id, set())) for q in evalset.queries}
    raise ValueError(f"未知评测模式 {mode!r}，可选：{', '.join(MODES)}")


def measures_for(mode: str) -> dict[str, Measure]:
    """gov-dev's measures, plus the LeCaRD table's when reranking pools or labels."""
    return DEFAULT_MEASURES if mode == "full" else {**DEFAULT_MEASURES, **LECARD_MEASURES}


def run_engine(engine: Recommender, evalset: EvalSet, depth: int = 100, mode: str = "full",
               use_rules: bool = True, progress: Callable[[int], None] | None = None,
               matches: dict[str, list[tuple[str, int | None]]] | None = None,
               ) -> tuple[Run, dict[str, float], dict[str, bool]]:
    """Ask the engine every query; returns (rankings, fit scores, no-fit flags).

    `progress` is called with 1 after each query. A query whose candidate set is empty is not
    sent (an empty set could read as "no restriction") and gets an empty ranking. `matches`,
    when given, receives each query's ranked (case id, 匹配度 percent).
    """
    if depth < 1:
        raise ValueError("depth 必须 ≥ 1")
    cands = candidate_sets(evalset, mode)
    run: Run = {}
    fit_scores: dict[str, float] = {}
    flags: dict[str, bool] = {}
    for query in evalset.queries:
        allowed = None if cands is None else cands[query.id]
        if allowed is not None and not allowed:
            run[query.id] = []
        else:
            kwargs: dict[str, Any] = {"top_k": depth, "use_rules": use_rules, "explain": False}
            if allowed is not None:
                kwargs["candidates"] = allowed
            answer = engine.recommend(query.text, **kwargs)
            ranked = [r.case_id for r in answer.results]
            run[query.id] = ranked if allowed is None else [d for d in ranked if d in allowed]
            fit_scores[query.id] = float(answer.fit_score)
            flags[query.id] = bool(answer.no_fit)
            if matches is not None:
                matches[query.id] = [(r.case_id, r.match.percent if getattr(r, "match", None) else None)
                                     for r in answer.results
                                     if allowed is None or r.case_id in allowed]
        if progress is not None:
            progress(1)
    return run, fit_scores, flags


@dataclass
class EvalReport:
    """Everything `zhili eval` prints; `to_dict` is the stable JSON form."""

    dataset: str
    mode: str
    use_rules: bool
    depth: int
    corpus: str | None
    n_queries: int
    retrieval: RetrievalMetrics
    no_fit: NoFitSeparation
    styles: dict[str, str]
    fit_scores: dict[str, float]
    no_fit_flags: dict[str, bool]
    match: MatchCalibration | None = None

    def to_dict(self) -> dict[str, Any]:
        r, s = self.retrieval, self.no_fit
        per_query = {}
        for qid in sorted(set(r.per_query) | set(r.excluded)):
            per_query[qid] = {
                "style": self.styles.get(qid),
                "no_fit_truth": qid in r.excluded,
                "no_fit": self.no_fit_flags.get(qid),
                "fit_score": _num(self.fit_scores.get(qid)),
                "unjudged@10": _num(r.unjudged_per_query.get(qid)),
                "metrics": {k: _num(v) for k, v in r.per_query.get(qid, {}).items()},
            }
        return {
            "dataset": self.dataset,
            "mode": self.mode,
            "rules": self.use_rules,
            "depth": self.depth,
            "corpus": self.corpus,
            "queries": self.n_queries,
            "evaluated": len(r.per_query),
            "relevant_grade": REL,
            "metrics": {k: _num(v) for k, v in r.overall.items()},
            "unjudged@10": _num(r.unjudged_at_10),
            "by_style": {g: {"n": r.group_sizes[g], **{k: _num(v) for k, v in m.items()}}
                         for g, m in r.by_group.items()},
            "no_fit": {
                "queries": sorted(r.excluded), "fit": s.n_fit, "no_fit": s.n_no_fit,
                "auc": _num(s.auc), "flagged": s.flagged, "precision": _num(s.precision),
                "recall": _num(s.recall), "accuracy": _num(s.accuracy),
            },
            "match": None if self.match is None else {
                "depth": self.match.depth, "results": self.match.n, "brier": _num(self.match.brier),
                "levels": [{"level": row["level"], "n": row["n"], "mean_percent": _num(row["mean_percent"]),
                            "relevant": _num(row["relevant"])} for row in self.match.levels],
            },
            "per_query": per_query,
        }


def _num(value: float | None) -> float | None:
    """Rounded for stable JSON; NaN (an empty group) becomes null."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)


def report(evalset: EvalSet, run: Run, fit_scores: Mapping[str, float],
           no_fit_flags: Mapping[str, bool], *, mode: str = "full", use_rules: bool = True,
           depth: int = 100, corpus: Path | None = None,
           measures: Mapping[str, Measure] | None = None,
           matches: Mapping[str, Sequence[tuple[str, int | None]]] | None = None) -> EvalReport:
    """Metrics for a finished run over `evalset` (see metrics.evaluate for the protocol);
    with `matches` (from run_engine) also the 匹配度 calibration over the top 10."""
    ids = [q.id for q in evalset.queries]
    styles = evalset.styles()
    retrieval = evaluate(run, evalset.qrels, query_ids=ids, groups=styles or None,
                         measures=measures or measures_for(mode))
    separation = no_fit_separation(evalset.qrels, fit_scores, no_fit_flags, query_ids=ids)
    return EvalReport(
        dataset=evalset.name, mode=mode, use_rules=use_rules, depth=depth,
        corpus=str(corpus) if corpus else None, n_queries=len(ids), retrieval=retrieval,
        no_fit=separation, styles=styles, fit_scores=dict(fit_scores),
        no_fit_flags=dict(no_fit_flags),
        match=match_calibration(evalset.qrels, matches, query_ids=ids) if matches else None)
