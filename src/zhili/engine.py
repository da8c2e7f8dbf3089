"""One call from problem text to an explained answer: analyse → retrieve → rules → fuse → explain.

Each stage is a plain function of the previous stage's value; `Engine.recommend` just strings
them together, so every stage can be tested on its own.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import config
from .answer import NO_FIT_MESSAGE, Answer, MethodScore, Result, RuleEffect
from .cases import LEADERSHIP, Case
from .explain import matched_terms
from .retrieval.embedders import Embedder
from .retrieval.facets import FacetIndex
from .retrieval.filters import Filters
from .retrieval.fusion import fuse, ranks
from .retrieval.index import Index
from .rules import RuleSet, build_rule_input, load_or_last_good
from .rules.outcome import RuleOutcome
from .text import Analysis, Analyzer

MAX_QUERY_CHARS = 20_000
DOMAIN_TOP_N = 10
QUERY_CACHE = 512


class QueryError(ValueError):
    """The problem text cannot be used (empty, too long); the message says why."""


class EmptyLibraryError(ValueError):
    """There is nothing to match against."""


@dataclass
class Retrieval:
    """Raw per-method scores over the whole library, before fusion."""

    analysis: Analysis
    mask: np.ndarray
    sparse: np.ndarray
    dense: np.ndarray | None


class Engine:
    """A loaded library + index + rules, ready to answer many queries."""

    def __init__(self, index: Index, analyzer: Analyzer, embedder: Embedder | None,
                 settings: config.MatchSettings, rules: RuleSet | None = None,
                 rules_problem: Exception | None = None):
        self.index = index
        self.cases = index.cases
        self.analyzer = analyzer
        self.embedder = embedder
        self.settings = settings
        self.rules = rules
        self.rules_problem = rules_problem  # a RuleCheckError when broken packs were set aside
        self._pos = {c.id: i for i, c in enumerate(self.cases)}
        self.facets = FacetIndex(self.cases)
        self.query_cache: dict[str, np.ndarray] = {}  # insertion-ordered: oldest first

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, corpus: Path | None = None, use_rules: bool = True,
             settings: config.MatchSettings | None = None, rules_dir: Path | None = None,
             rebuild: bool = False, dense: bool | None = None,
             progress: Callable[[str, int, int], None] | None = None) -> "Engine":
        """Open the case library (or an external corpus file) with its index and rules."""
        from .store import load_library
        settings = settings or config.MatchSettings.load()
        cases = load_library(corpus)
        index_dir = config.home() / "index" / "library"
        if corpus is not None:  # one index per external corpus file, beside the library's
            tag = hashlib.sha256(str(Path(corpus).resolve()).encode()).hexdigest()[:10]
            index_dir = index_dir.with_name(f"corpus-{Path(corpus).name.split('.')[0]}-{tag}")
        return cls.from_cases(cases, index_dir, use_rules=use_rules, settings=settings,
                              rules_dir=rules_dir, rebuild=rebuild, dense=dense, progress=progress)

    @classmethod
    def from_cases(cls, cases: list[Case], index_dir: Path, use_rules: bool = True,
                   settings: config.MatchSettings | None = None, rules_dir: Path | None = None,
                   rebuild: bool = False, dense: bool | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> "Engine":
        if not cases:
            raise EmptyLibraryError("案例库中没有案例：请先用 zhili cases import 导入案例文件")
        settings = settings or config.MatchSettings.load()
        analyzer = Analyzer(extra_terms=library_terms(cases), segmentation=settings.segmentation)
        use_dense = settings.embedder != "none" if dense is None else dense
        embedder = None
        if use_dense:
            from .retrieval.embedders import make_embedder
            embedder = make_embedder(settings.embedder)
        index = Index.open(cases, analyzer, embedder, index_dir, bm25=(settings.bm25_k1, settings.bm25_b),
                           vector_cache_dir=config.home() / "vectors", rebuild=rebuild,
                           progress=progress)
        rules, problem = load_rules(rules_dir) if use_rules else (None, None)
        return cls(index, analyzer, embedder, settings, rules, rules_problem=problem)

    # ---------------------------------------------------------------- stages
    def analyze(self, text: str) -> Analysis:
        if not isinstance(text, str) or not text.strip():
            raise QueryError("问题描述不能为空")
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"问题描述过长（{len(text)} 字），请控制在 {MAX_QUERY_CHARS} 字以内")
        return self.analyzer.analyze(text)

    def retrieve(self, analysis: Analysis, filters: Filters, candidates: set[str] | None) -> Retrieval:
        mask = filters.mask(self.cases)
        if candidates is not None:
            mask &= np.fromiter((c.id in candidates for c in self.cases), dtype=bool,
                                count=len(self.cases))
        sparse = self.index.sparse.scores(analysis.tokens)
        dense = None
        if self.embedder is not None and self.index.vectors is not None:
            dense = (self.index.vectors @ self.query_vector(analysis.text or analysis.raw)).astype(np.float32)
        return Retrieval(analysis, mask, sparse, dense)

    def query_vector(self, text: str) -> np.ndarray:
        """The query's embedding, remembered for the last few hundred texts: a cadre refining
        filters on the same problem should not pay for the model again (~20–80 ms a query)."""
        vec = self.query_cache.pop(text, None)
        if vec is None:
            vec = self.embedder.embed_queries([text])[0]
        self.query_cache[text] = vec
        if len(self.query_cache) > QUERY_CACHE:
            self.query_cache.pop(next(iter(self.query_cache)))
        return vec

    def base_scores(self, r: Retrieval) -> np.ndarray:
        s = self.settings
        signals = {"sparse": r.sparse}
        weights = {"sparse": s.w_sparse}
        if r.dense is not None:
            signals["dense"] = r.dense
            weights["dense"] = s.w_dense
        return fuse(signals, weights, r.mask, method=s.fusion, rrf_k=s.rrf_k)

    def domain_scores(self, base: np.ndarray, mask: np.ndarray, top_n: int = DOMAIN_TOP_N) -> dict[str, float]:
        """Share of the top matches' fused score per domain: what matching thinks the problem is."""
        idx = np.flatnonzero(mask)
        top = idx[np.argsort(-base[idx], kind="stable")][:top_n]
        total: dict[str, float] = {}
        for i in top:
            for d in self.cases[i].domains:
                total[d] = total.get(d, 0.0) + float(base[i])
        norm = sum(float(base[i]) for i in top) or 1.0
        return {d: round(v / norm, 4) for d, v in sorted(total.items(), key=lambda kv: -kv[1])}

    def domain_feedback(self, base: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        """Pseudo-relevance feedback on facets: cases sharing the domains of the top matches
        move up (the top few are usually right about *what kind* of problem this is, even when
        their order is not). Returns the per-case prior and the domain shares behind it."""
        shares = self.domain_scores(base, mask, self.settings.domain_top_n)
        prior = np.fromiter((sum(shares.get(d, 0.0) for d in c.domains) for c in self.cases),
                            dtype=np.float32, count=len(self.cases))
        prior[~mask] = 0.0
        return prior, shares

    def fit_score(self, r: Retrieval) -> float:
        """Confidence that something in the library fits: dense top-1 lead over the median
        candidate plus BM25 top-1 strength (both separate no-fit queries on gov-dev)."""
        idx = np.flatnonzero(r.mask)
        if len(idx) == 0:
            return 0.0
        score = math.log1p(float(r.sparse[idx].max())) / math.log1p(20.0)
        if r.dense is not None:
            d = r.dense[idx]
            score += float(d.max() - np.median(d)) / 0.05
        return round(score, 4)

    # ---------------------------------------------------------------- the call
    def recommend(self, text: str, top_k: int = 10, filters: Filters | dict | None = None,
                  candidates: set[str] | None = None, use_rules: bool = True,
                  explain: bool = True) -> Answer:
        """Rank the library for a problem description and explain the answer."""
        if top_k < 1:
            raise QueryError("top_k 至少为 1")
        filters = filters if isinstance(filters, Filters) else Filters.model_validate(filters or {})
        analysis = self.analyze(text)
        r = self.retrieve(analysis, filters, candidates)
        base = self.base_scores(r)
        answer = Answer(query=text, normalized_query=analysis.text, terms=analysis.tokens,
                        lexicon_hits=analysis.lexicon_hits,
                        filters=filters.model_dump(exclude_defaults=True))
        boost = np.zeros(len(self.cases), dtype=np.float32)
        reasons: dict[int, list[str]] = {}
        mask = r.mask
        if use_rules and self.rules is not None:
            outcome = self.run_rules(analysis, filters, base, mask)
            boost, reasons, rule_mask = apply_rule_outcome(outcome, self.facets)
            if (mask & rule_mask).any():
                mask = mask & rule_mask
            attach_rules(answer, outcome)
        prior, _ = self.domain_feedback(base, r.mask)
        final = base + self.settings.w_domain * prior + self.settings.w_rules * boost
        final[~mask] = -np.inf
        answer.candidates = int(mask.sum())
        answer.fit_score = self.fit_score(r)
        answer.no_fit = bool(candidates is None and answer.fit_score < self.settings.no_fit_threshold)
        if answer.no_fit:
            answer.message = NO_FIT_MESSAGE
        order = [i for i in np.argsort(-final, kind="stable")[:top_k] if mask[i]]
        sparse_rank = ranks(r.sparse, mask)
        dense_rank = ranks(r.dense, mask) if r.dense is not None else None
        for rank, i in enumerate(order, 1):
            answer.results.append(self._result(
                rank, i, float(final[i]), answer.no_fit, r, sparse_rank, dense_rank,
                float(prior[i]), float(boost[i]), reasons.get(i, []), analysis if explain else None))
        answer.by_dimension = {dim: [res.case_id for res in answer.results if dim in res.leadership]
                               for dim in LEADERSHIP}
        return answer

    def run_rules(self, analysis: Analysis, filters: Filters, base: np.ndarray,
                  mask: np.ndarray) -> RuleOutcome:
        rule_input = build_rule_input(
            analysis.text, analysis.tokens, analysis.lexicon_hits, self.domain_scores(base, mask),
            province=filters.province[0] if len(filters.province) == 1 else "",
            level=filters.level[0] if len(filters.level) == 1 else "")
        return self.rules.evaluate(rule_input)

    def _result(self, rank, i, score, weak, r, sparse_rank, dense_rank, prior, boost, reasons, analysis):
        c = self.cases[i]
        methods = {"bm25": MethodScore(rank=int(sparse_rank[i]), score=round(float(r.sparse[i]), 4))}
        if r.dense is not None:
            methods["dense"] = MethodScore(rank=int(dense_rank[i]), score=round(float(r.dense[i]), 4))
        methods["domain_feedback"] = MethodScore(score=round(self.settings.w_domain * prior, 4))
        rules = None
        if self.rules is not None and (boost or reasons):
            contribution = self.settings.w_rules * boost
            rules = RuleEffect(boost=round(boost, 4), contribution=round(contribution, 4), reasons=reasons)
        return Result(
            rank=rank, case_id=c.id, title=c.title, place=c.place, province=c.province,
            level=c.level, year=c.year, score=round(score, 4), weak=weak, methods=methods,
            rules=rules, matched_terms=matched_terms(analysis.tokens, c) if analysis else [],
            leadership=c.leadership, domains=c.domains, mechanisms=c.mechanisms, actors=c.actors,
            problem=c.problem, practice=c.practice, outcomes=c.outcomes, source=c.source)


def library_terms(cases: list[Case]) -> tuple[str, ...]:
    """Mechanism and domain names the library uses: segmentation must keep them whole."""
    return tuple(sorted({t for c in cases for t in (*c.mechanisms, *c.domains) if 1 < len(t) <= 12}))


def load_rules(rules_dir: Path | None) -> tuple[RuleSet | None, Exception | None]:
    """(rule set, problem): the active packs, or the last good ones with the check error that
    kept the new ones out; (None, None) when no packs are installed."""
    directory = rules_dir or config.rules_dir()
    if not directory.is_dir() or not any(directory.iterdir()):
        return None, None
    return load_or_last_good(directory, config.home() / "rules-last-good")


def apply_rule_outcome(outcome: RuleOutcome, facets: FacetIndex):
    """Boost per case (sum of matching boost weights), reasons per case, hard-filter mask."""
    n = len(facets.cases)
    boost = np.zeros(n, dtype=np.float32)
    reasons: dict[int, list[str]] = {}
    for b in outcome.boosts:
        hit = facets.mask(b.facet, b.value)
        boost[hit] += b.weight
        why = f"{b.rule}：{b.reason or b.facet + '=' + b.value}（{b.weight:+g}）"
        for i in np.flatnonzero(hit):
            reasons.setdefault(int(i), []).append(why)
    keep = np.ones(n, dtype=bool)
    for f in outcome.filters:
        hit = np.zeros(n, dtype=bool)
        for v in f.values:
            hit |= facets.mask(f.facet, v)
        keep &= ~hit if f.op == "not_in" else hit
    return boost, reasons, keep


def attach_rules(answer: Answer, outcome: RuleOutcome) -> None:
    answer.rules_used = True
    answer.classification = {"domains": outcome.domains, "setting": outcome.setting,
                             "urgency": outcome.urgency}
    answer.routing = outcome.routing
    answer.risk = outcome.risk
    answer.suggestions = outcome.suggestions
    answer.rule_trace = outcome.trace
