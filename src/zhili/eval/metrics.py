"""Retrieval metrics (via ir_measures / pytrec_eval) and the no-fit separation.

gov-dev's protocol: nDCG with gain = grade; Recall@10 and MRR count grade ≥ 2 as relevant; all
are averaged over queries with at least one grade ≥ 2 document. Queries with none ("no-fit")
are excluded there and instead measure how well the engine says "nothing fits".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import ir_measures
import numpy as np
from ir_measures import AP, RR, Judged, Measure, P, R, nDCG

from .dataset import Qrels

Run = dict[str, list[str]]
"""query id → doc ids ranked best first. Rankings, not scores, are stored: trec_eval would
break score ties by doc id, and the order the engine chose is what is being measured."""

REL = 2  # grade from which a document counts as relevant for recall, MRR and no-fit

DEFAULT_MEASURES: dict[str, Measure] = {
    "ndcg@10": nDCG @ 10,
    "ndcg@30": nDCG @ 30,
    "recall@10": R(rel=REL) @ 10,
    "mrr": RR(rel=REL),
}
# The LeCaRD paper's table: P@k and MAP count only grade 3 as relevant (official metrics.py).
LECARD_MEASURES: dict[str, Measure] = {
    "p@5": P(rel=3) @ 5,
    "p@10": P(rel=3) @ 10,
    "map": AP(rel=3),
    "ndcg@10": nDCG @ 10,
    "ndcg@20": nDCG @ 20,
    "ndcg@30": nDCG @ 30,
}


@dataclass
class RetrievalMetrics:
    """Means over the evaluated queries, overall and per group (style), plus per-query values."""

    overall: dict[str, float]
    per_query: dict[str, dict[str, float]]
    by_group: dict[str, dict[str, float]] = field(default_factory=dict)
    group_sizes: dict[str, int] = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)
    unjudged_at_10: float | None = None
    unjudged_per_query: dict[str, float] = field(default_factory=dict)


@dataclass
class NoFitSeparation:
    """How well fit_score and the no_fit flag tell no-fit queries from the rest."""

    n_fit: int
    n_no_fit: int
    auc: float | None
    flagged: int
    precision: float | None
    recall: float | None
    accuracy: float | None


@dataclass
class MatchCalibration:
    """Does the shown 匹配度 mean what it says? Per level (高/中/低) over the top `depth` results
    of every query: how many results, their mean percent, and the share actually relevant
    (graded ≥ rel; unjudged counts as not relevant; every result of a no-fit query is not)."""

    depth: int
    n: int
    levels: list[dict[str, Any]]
    brier: float | None


def scored_run(run: Mapping[str, Sequence[str]]) -> dict[str, dict[str, float]]:
    """Rankings → strictly decreasing scores for ir_measures; a repeated doc keeps its first rank."""
    out: dict[str, dict[str, float]] = {}
    for qid, docs in run.items():
        scores: dict[str, float] = {}
        for i, doc in enumerate(docs):
            scores.setdefault(doc, float(len(docs) - i))
        out[qid] = scores
    return out


def ranking_from_scores(scores: Mapping[str, Mapping[str, float]]) -> Run:
    """Score dicts → rankings; ties go to the smaller doc id so the result is deterministic."""
    return {q: [d for d, _ in sorted(s.items(), key=lambda x: (-x[1], x[0]))]
            for q, s in scores.items()}


def _mean(values: Iterable[float]) -> float:
    vals = list(values)
    return float(np.mean(vals)) if vals else float("nan")


def evaluate(run: Mapping[str, Sequence[str]], qrels: Qrels, *,
             query_ids: Iterable[str] | None = None, groups: Mapping[str, str] | None = None,
             measures: Mapping[str, Measure] | None = None, rel: int = REL) -> RetrievalMetrics:
    """Score `run` against `qrels` over `query_ids` (default: the judged queries).

    A query absent from the run, or with an empty ranking, scores 0 rather than vanishing from
    the mean (pytrec_eval skips such queries). Unjudged@10 (1 − ir_measures' Judged@10) is
    averaged over every query with results, no-fit ones included.
    """
    measures = dict(measures or DEFAULT_MEASURES)
    ids = sorted(set(query_ids) if query_ids is not None else set(qrels))
    fit = [q for q in ids if any(g >= rel for g in qrels.get(q, {}).values())]
    fit_set, id_set = set(fit), set(ids)
    excluded = [q for q in ids if q not in fit_set]
    scored = {q: s for q, s in scored_run(run).items() if s and q in id_set}

    per_query = {q: {name: 0.0 for name in measures} for q in fit}
    names = {m: name for name, m in measures.items()}
    fit_qrels = {q: qrels[q] for q in fit}
    fit_run = {q: scored[q] for q in fit if q in scored}
    if fit_run:
        for metric in ir_measures.iter_calc(list(measures.values()), fit_qrels, fit_run):
            per_query[metric.query_id][names[metric.measure]] = float(metric.value)

    unjudged: dict[str, float] = {q: 1.0 for q in scored if not qrels.get(q)}
    judged_qrels = {q: qrels[q] for q in scored if qrels.get(q)}
    if judged_qrels:
        for metric in ir_measures.iter_calc([Judged @ 10], judged_qrels,
                                            {q: scored[q] for q in judged_qrels}):
            unjudged[metric.query_id] = 1.0 - float(metric.value)

    overall = {name: _mean(per_query[q][name] for q in fit) for name in measures}
    by_group: dict[str, dict[str, float]] = {}
    sizes: dict[str, int] = {}
    if groups:
        for label in sorted({groups[q] for q in fit if q in groups}):
            members = [q for q in fit if groups.get(q) == label]
            sizes[label] = len(members)
            by_group[label] = {name: _mean(per_query[q][name] for q in members)
                               for name in measures}
    return RetrievalMetrics(
        overall=overall, per_query=per_query, by_group=by_group, group_sizes=sizes,
        excluded=excluded, unjudged_at_10=_mean(unjudged.values()) if unjudged else None,
        unjudged_per_query=unjudged)


def roc_auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """P(a positive scores above a negative), ties counting one half.

    This is the exact pairwise definition (= Mann–Whitney U / n₁n₀): with tens of queries the
    n₁×n₀ comparison is instant, needs no curve interpolation, and avoids depending on scipy,
    which zhili only gets indirectly through bm25s.
    """
    pos, neg = np.asarray(positive, float), np.asarray(negative, float)
    if not len(pos) or not len(neg):
        return None
    diff = pos[:, None] - neg[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())


MATCH_LEVELS = (("高", 60, 101), ("中", 30, 60), ("低", 0, 30))


def match_calibration(qrels: Qrels, percents: Mapping[str, Sequence[tuple[str, int | None]]],
                      query_ids: Iterable[str] | None = None, depth: int = 10,
                      rel: int = REL) -> MatchCalibration:
    """Calibration of the per-result 匹配度 (`percents`: query → [(case id, percent)], ranked)."""
    ids = sorted(set(query_ids) if query_ids is not None else set(percents))
    pairs = [(float(p), qrels.get(q, {}).get(doc, 0) >= rel)
             for q in ids for doc, p in list(percents.get(q, []))[:depth] if p is not None]
    levels = []
    for name, lo, hi in MATCH_LEVELS:
        sel = [(p, r) for p, r in pairs if lo <= p < hi]
        levels.append({"level": name, "n": len(sel),
                       "mean_percent": _mean(p for p, _ in sel) if sel else None,
                       "relevant": _mean(float(r) for _, r in sel) if sel else None})
    brier = _mean((p / 100 - r) ** 2 for p, r in pairs) if pairs else None
    return MatchCalibration(depth=depth, n=len(pairs), levels=levels, brier=brier)


def no_fit_separation(qrels: Qrels, fit_scores: Mapping[str, float],
                      no_fit_flags: Mapping[str, bool], query_ids: Iterable[str] | None = None,
                      rel: int = REL) -> NoFitSeparation:
    """AUC of fit_score (fit vs no-fit queries) and precision/recall/accuracy of the no_fit flag.

    Truth: a query is no-fit when no document is graded ≥ rel. The flag's positive class is
    "no-fit", so precision = share of flagged queries that truly have no fit.
    """
    ids = sorted(set(query_ids) if query_ids is not None else set(fit_scores) | set(no_fit_flags))
    truth = {q: not any(g >= rel for g in qrels.get(q, {}).values()) for q in ids}
    for q in ids:
        if q in fit_scores and not np.isfinite(fit_scores[q]):
            raise ValueError(f"查询 {q} 的 fit_score 不是有限数：{fit_scores[q]!r}")
    scored = [q for q in ids if q in fit_scores]
    auc = roc_auc([fit_scores[q] for q in scored if not truth[q]],
                  [fit_scores[q] for q in scored if truth[q]])
    flagged_ids = [q for q in ids if q in no_fit_flags]
    tp = sum(1 for q in flagged_ids if no_fit_flags[q] and truth[q])
    flagged = sum(1 for q in flagged_ids if no_fit_flags[q])
    actual = sum(1 for q in flagged_ids if truth[q])
    correct = sum(1 for q in flagged_ids if bool(no_fit_flags[q]) == truth[q])
    return NoFitSeparation(
        n_fit=sum(1 for q in ids if not truth[q]), n_no_fit=sum(1 for q in ids if truth[q]),
        auc=auc, flagged=flagged,
        precision=tp / flagged if flagged else None,
        recall=tp / actual if actual else None,
        accuracy=correct / len(flagged_ids) if flagged_ids else None)
