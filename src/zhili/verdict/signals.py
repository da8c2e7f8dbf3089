"""Signals that something in the library fits a problem, each a plain number on fixed inputs.

All are computed over the cases that pass the filters, from what ranking already has in hand:

- `dense_lead`    semantic model: top-1 cosine minus the median case's, in units of 0.05
- `bm25_top`      keyword model: log(1 + top-1 BM25 score) / log(21)
- `agreement`     share of the BM25 top 10 that is also in the semantic top 10 (the two methods
                  agree on what the problem is about)
- `rule_confidence`  the 问题分类 rules' strongest domain weight (how clearly the text names a
                  governance domain the rules know); absent when the rules did not run
- `key_coverage`  share (by weight) of the problem's key terms (`terms.KeyTerms`, up to 8) that
                  occur in the top 3 cases' title, problem and mechanism names (what a case is
                  about; its practice text mentions too much in passing); absent with fewer
                  than 2 key terms
- `topic_coverage`  for the problem's main topics (`topics.TopicLexicon`, those with ≥ 20 % of
                  its topic keywords), the share named by each of the top 5 cases' title and
                  mechanism names (what a case is *about*, not what it mentions in passing),
                  averaged; absent when the text names no topic
- `problem_similarity`  semantic model: mean cosine of the problem with the top 3 cases' title
                  and problem alone (`zhili.retrieval.about`) — whether the problem a case
                  addresses is this one, not whether its whole text mentions the same things;
                  absent without a semantic model, and for texts of fewer than 8 Chinese
                  characters: a few words name a topic or a method (积分制, 议事厅), not a
                  problem to compare with what a case addresses
- `governance_terms`  how many governance words (lexicon terms and topic keywords) the text has

A signal that cannot be computed (no semantic model, rules off, no topic) is left out of the
dict; the fit model then uses its neutral value.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

import numpy as np

from .terms import KeyTerms
from .topics import dominant

COVERAGE_TOP = 3          # cases whose text must cover the problem's key terms
PROBLEM_TOP = 3           # cases whose title+problem is compared with the problem
MIN_PROBLEM_CHARS = 8     # Chinese characters a text needs to be read as a problem statement
TOPIC_TOP = 5             # cases whose titles and mechanisms must name the problem's topics
KEY_TERMS = 8             # key terms of the problem that are checked
MIN_KEY_TERMS = 2
TOPIC_SHARE = 0.2         # a topic with this share of the problem's topic keywords is a main topic
AGREEMENT_TOP = 10
DENSE_UNIT = 0.05
BM25_SCALE = math.log1p(20.0)
_HAN = re.compile(r"[\u4e00-\u9fff]")

COSINE_SIGNALS = ("dense_lead", "problem_similarity")
"""Read on one embedder's cosine scale: meaningful only for the model the fit was fitted with."""

SIGNAL_LABELS = {
    "dense_lead": "语义领先度",
    "bm25_top": "关键词匹配强度",
    "agreement": "两种检索的一致度",
    "rule_confidence": "规则分类把握",
    "key_coverage": "关键词被案例覆盖的比例",
    "topic_coverage": "问题主题被案例覆盖的比例",
    "problem_similarity": "与案例所针对问题的语义相近度",
    "governance_terms": "治理用语个数",
}
"""Chinese names of the signals, for the 详情 view."""


def dense_lead(dense: np.ndarray, median: float | None = None) -> float:
    """(top-1 − median) / 0.05 over the filtered cases; `median` when the backend knows it
    for the whole filtered library (large libraries rank only the top candidates)."""
    if not len(dense):
        return 0.0
    if median is None or median != median:
        median = float(np.median(dense))
    return float(dense.max() - median) / DENSE_UNIT


def bm25_top(sparse: np.ndarray) -> float:
    return math.log1p(max(0.0, float(sparse.max()))) / BM25_SCALE if len(sparse) else 0.0


def agreement(sparse: np.ndarray, dense: np.ndarray, k: int = AGREEMENT_TOP) -> float:
    """|BM25 top-k ∩ semantic top-k| / k (k capped at the number of cases); ties by position."""
    n = min(k, len(sparse))
    if n == 0:
        return 0.0
    a = set(np.argsort(-sparse, kind="stable")[:n].tolist())
    b = set(np.argsort(-dense, kind="stable")[:n].tolist())
    return len(a & b) / n


def rule_confidence(domain_weights: dict[str, float]) -> float:
    return max(domain_weights.values(), default=0.0)


def key_coverage(weights: dict[str, float], docs: Sequence[str]) -> float | None:
    """Weighted share of the key terms found in any of `docs`; None with fewer than
    MIN_KEY_TERMS of them (one word found somewhere says little)."""
    total = sum(weights.values())
    if len(weights) < MIN_KEY_TERMS or total <= 0:
        return None
    text = "\n".join(docs)
    return sum(w for t, w in weights.items() if t in text) / total


def topic_coverage(query_topics: dict[str, int], doc_topics: Iterable[set[str]],
                   share: float = TOPIC_SHARE, cap: int = 3) -> float | None:
    """Mean over the docs of the share of the problem's main topics (weighted by keyword count,
    up to `cap`) that the doc also names; None when the problem names no topic."""
    main = dominant(query_topics, share)
    if not main:
        return None
    weight = {t: min(query_topics[t], cap) for t in main}
    total = sum(weight.values())
    per_doc = [sum(w for t, w in weight.items() if t in topics) / total for topics in doc_topics]
    return float(np.mean(per_doc)) if per_doc else 0.0


def problem_similarity(sims: Sequence[float] | None, text: str = "", k: int = PROBLEM_TOP) -> float | None:
    """Mean cosine with the top `k` cases' title+problem vectors; None when there are none or
    `text` is too short to state a problem (MIN_PROBLEM_CHARS Chinese characters)."""
    if not sims or len(_HAN.findall(text)) < MIN_PROBLEM_CHARS:
        return None
    return float(np.mean(list(sims)[:k]))


def compute(*, text: str, sparse: np.ndarray, dense: np.ndarray | None, dense_median: float | None,
            top_docs: Sequence[str], top_topics: Sequence[set[str]], domain_weights: dict[str, float] | None,
            evidence: int, key_terms: KeyTerms, query_topics: dict[str, int],
            problem_sims: Sequence[float] | None = None, dense_scale: bool = True) -> dict[str, float]:
    """The signals (see the module docstring) from the filtered cases' raw scores, the texts of
    the top-ranked cases (normalised like the query, best first) and the topics their titles and
    mechanisms name. `dense_scale` False (an embedder the fit model was not fitted with): the
    signals read on the cosine scale (COSINE_SIGNALS) are left out; `agreement` (ranks) stays."""
    out: dict[str, float] = {"bm25_top": bm25_top(sparse)}
    if dense is not None and len(dense):
        out["dense_lead"] = dense_lead(dense, dense_median)
        out["agreement"] = agreement(sparse, dense)
    if domain_weights is not None:
        out["rule_confidence"] = rule_confidence(domain_weights)
    docs = list(top_docs[:COVERAGE_TOP])
    cov = key_coverage(key_terms.weights(text, KEY_TERMS), docs) if docs else 0.0
    if cov is not None:
        out["key_coverage"] = cov
    tcov = topic_coverage(query_topics, list(top_topics[:TOPIC_TOP]))
    if tcov is not None:
        out["topic_coverage"] = tcov
    psim = problem_similarity(problem_sims, text)
    if psim is not None:
        out["problem_similarity"] = psim
    out["governance_terms"] = float(evidence)
    if not dense_scale:
        for name in COSINE_SIGNALS:
            out.pop(name, None)
    return {k: round(float(v), 4) for k, v in out.items()}
