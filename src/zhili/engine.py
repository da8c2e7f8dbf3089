"""One call from problem text to an explained answer: analyse → retrieve → rules → fuse → explain.

Each stage is a plain function of the previous stage's value; `Engine.recommend` just strings
them together, so every stage can be tested on its own.

Retrieval goes through a `SearchBackend` (`zhili.retrieval.backend`): the backend returns the
candidates with raw scores, the engine ranks only those. The embedded backend returns every
filtered case below `MatchSettings.ann_threshold` (exact, as always) and BM25 top-k ∪ IVF top-k
above it; a Milvus backend does the same from a collection. Which backend, embedder and rules an
engine gets is decided in `zhili.wiring`; the engine only takes its parts. `updated()` gives a
new engine with saved/removed cases searchable at once (copy-on-write: callers holding the old
engine keep a consistent view).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config
from .answer import CAUTION_MESSAGE, NO_FIT_MESSAGE, Answer, Match, MethodScore, Result, RuleEffect
from .cases import LEADERSHIP, Case
from .cases.model import DOMAINS
from .explain import matched_terms
from .retrieval.about import AboutVectors
from .retrieval.backend import Candidates, SearchBackend
from .retrieval.condense import condense
from .retrieval.embedded import EmbeddedBackend
from .retrieval.embedders import Embedder
from .retrieval.filters import Filters
from .retrieval.fusion import RankOf, fuse, top_order
from .retrieval.index import case_vectors
from .retrieval.sparse import case_document
from .retrieval.view import CandidateView
from .rules import RuleSet, build_rule_input
from .rules.outcome import RuleOutcome
from .text import Analysis, Analyzer
from .verdict import OFF_TOPIC_MESSAGE, Assessment, Judge, empty_message, match_of
from .verdict.judge import keyword_rows
from .verdict.signals import PROBLEM_TOP, TOPIC_TOP

MAX_QUERY_CHARS = 20_000
COVERAGE_FIELDS = {"title": 1, "problem": 1, "mechanisms": 1}  # what a case is about (zhili.verdict)
DOMAIN_TOP_N = 10
QUERY_CACHE = 512


class QueryError(ValueError):
    """The problem text cannot be used (empty, too long); the message says why."""


class EmptyLibraryError(ValueError):
    """There is nothing to match against."""


@dataclass
class Retrieval:
    """Raw per-method scores over the candidates (the whole filtered library when exhaustive),
    aligned by position with `candidates.ids` and `view`, before fusion."""

    analysis: Analysis
    mask: np.ndarray
    sparse: np.ndarray
    dense: np.ndarray | None
    candidates: Candidates | None = None
    view: CandidateView | None = None
    query: np.ndarray | None = None  # the query's embedding, when the dense model ran


class Engine:
    """A library's search backend + analyzer + embedder + rules, ready to answer many queries.

    Build one with `zhili.wiring` (which backend, embedder and rules the settings ask for)."""

    def __init__(self, backend: SearchBackend, analyzer: Analyzer, embedder: Embedder | None,
                 settings: config.MatchSettings, rules: RuleSet | None = None,
                 rules_problem: Exception | None = None):
        self.backend = backend
        self.analyzer = analyzer
        self.embedder = embedder
        self.settings = settings
        self.rules = rules
        self.rules_problem = rules_problem  # a RuleCheckError when broken packs were set aside
        self.query_cache: dict[str, np.ndarray] = {}  # insertion-ordered: oldest first

    @property
    def in_memory(self) -> bool:
        """An embedded library held as Case objects (not the memory-mapped large layout, not
        Milvus): the only kind `updated` can re-index exactly rather than through a delta."""
        return isinstance(self.backend, EmbeddedBackend) and isinstance(self.backend.index.cases, list)

    # ---------------------------------------------------------------- changes
    def updated(self, changed: list[Case], removed: list[str], exact_only: bool = False) -> "Engine | None":
        """A new engine where `changed` cases (new or edited) and `removed` ids take effect at
        once; this engine is left untouched (requests in flight keep a consistent library).

        Small libraries are re-indexed in memory (`_reindexed`: answers exactly a from-scratch
        build's). `exact_only`: return None rather than fall back to the delta when that is not
        possible — the caller then makes a full build (`Service` does, below
        `exact_update_below` cases, so small libraries always answer like a rebuild).

        Changed cases are tokenized and embedded (vector caches first) and go to the backend's
        delta; the on-disk index folds them in on its next rebuild. Unknown removed ids are
        ignored. Raises EmptyLibraryError when nothing would be left.
        """
        if not changed and not removed:
            return self
        tokens = [self.analyzer.analyze_document(case_document(c)) for c in changed]
        vectors = None
        if changed and self.embedder is not None and self.backend.has_vectors:
            vectors, _ = case_vectors(list(changed), self.embedder, config.home() / "vectors")
        exact = self._reindexed(changed, removed, tokens, vectors)
        if exact is not None or exact_only:
            return exact
        backend = self.backend.copy()
        backend.delete(list(removed))
        backend.upsert(list(changed), tokens, vectors)
        if backend.count() == 0:
            raise EmptyLibraryError("案例库中没有案例：删除后已没有可匹配的案例")
        return self._with_backend(backend)

    def _with_backend(self, backend: SearchBackend) -> "Engine":
        """This engine's parts over another backend, its query-vector cache carried over."""
        engine = Engine(backend, self.analyzer, self.embedder, self.settings, self.rules,
                        rules_problem=self.rules_problem)
        engine.query_cache = dict(self.query_cache)
        engine.share_judge(self)
        if "_about" in self.__dict__:
            engine.__dict__["_about"] = self.__dict__["_about"]
        return engine

    def with_rules(self, rules: RuleSet | None, rules_problem: Exception | None = None) -> "Engine":
        """This engine answering with other rules (a draft being tried, a version published):
        the index is shared, this engine is left untouched (requests in flight keep theirs).
        Query embedding goes through this engine's `query_vector` (its cache, and the lock a
        service may have put around it), since the query text is all it depends on."""
        engine = self._with_backend(self.backend)
        engine.rules, engine.rules_problem = rules, rules_problem
        for name in ("query_vector", "embed_about"):
            if name in self.__dict__:  # wrapped by the service: keep the wrapper
                setattr(engine, name, self.__dict__[name])
        return engine

    def _reindexed(self, changed: list[Case], removed: list[str], tokens: list[list[str]],
                   vectors: np.ndarray | None) -> "Engine | None":
        """The small-library update: the whole index rebuilt in memory from known tokens and
        vectors, so the answers are exactly those of a from-scratch build of the same library
        (ordered by id, as the store and `Service` build it). None when this engine cannot —
        a large or delta-served library, tokens not at hand, or a change to the library's own
        terms (every case would need re-tokenizing: a full build's job)."""
        backend = self.backend
        if (not isinstance(backend, EmbeddedBackend) or not self.in_memory or len(backend.delta)
                or backend.alive is not None or backend.index.ann is not None):
            return None
        index = backend.index
        old_tokens = index.case_tokens()
        if old_tokens is None:
            return None
        gone = set(removed) | {c.id for c in changed}
        rows = {c.id: (c, old_tokens[i], i) for i, c in enumerate(index.cases) if c.id not in gone}
        rows.update({c.id: (c, t, j) for j, (c, t) in enumerate(zip(changed, tokens))})
        if not rows:
            raise EmptyLibraryError("案例库中没有案例：删除后已没有可匹配的案例")
        if len(rows) >= self.settings.exact_update_below:
            return None
        order = sorted(rows)
        cases = [rows[i][0] for i in order]
        if set(library_terms(cases)) != set(library_terms(index.cases)):
            return None
        new_vectors = None
        if index.vectors is not None:
            if changed and vectors is None:
                return None
            fresh = {c.id for c in changed}
            new_vectors = np.stack([vectors[rows[i][2]] if i in fresh else np.asarray(index.vectors[rows[i][2]])
                                    for i in order]).astype(np.float32)
        new_index = index.with_changes(cases, [rows[i][1] for i in order], new_vectors)
        return self._with_backend(EmbeddedBackend(new_index, backend.settings))

    # ---------------------------------------------------------------- stages
    def analyze(self, text: str) -> Analysis:
        if not isinstance(text, str) or not text.strip():
            raise QueryError("问题描述不能为空")
        if len(text) > MAX_QUERY_CHARS:
            raise QueryError(f"问题描述过长（{len(text)} 字），请控制在 {MAX_QUERY_CHARS} 字以内")
        return self.analyzer.analyze(text)

    def retrieve(self, analysis: Analysis, filters: Filters, candidates: set[str] | None,
                 k: int | None = None) -> Retrieval:
        """Candidates from the backend (filters applied there), with their raw scores."""
        vector = None
        if self.embedder is not None and self.backend.has_vectors:
            vector = self.query_vector(self.dense_text(analysis))
        cands = self.backend.search(analysis.tokens, vector, k or self.settings.ann_k, filters,
                                    within=candidates)
        view = self.backend.view(cands)
        sparse = cands.sparse
        if np.isnan(sparse).any():
            sparse = np.nan_to_num(sparse, nan=np.nanmin(sparse) if not np.isnan(sparse).all() else 0.0)
        dense = None if vector is None or np.isnan(cands.dense).all() else cands.dense
        if dense is not None and np.isnan(dense).any():
            dense = np.nan_to_num(dense, nan=float(np.nanmin(dense)))
        return Retrieval(analysis, np.ones(len(cands), dtype=bool), sparse, dense, cands, view,
                         vector if dense is not None else None)

    def dense_text(self, analysis: Analysis) -> str:
        """What the dense model embeds: the normalised query without its addresses (a named
        estate or square says nothing about the problem), condensed when long (embedding cost
        grows with length; BM25, rules and the explanation still read all of it)."""
        return condense(analysis.content or analysis.text or analysis.raw, self.settings.query_embed_chars)

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
        floors = None
        if r.candidates is not None and not r.candidates.exhaustive:
            floors = {"sparse": r.candidates.stats.sparse_min, "dense": r.candidates.stats.dense_min}
        return fuse(signals, weights, r.mask, method=s.fusion, rrf_k=s.rrf_k, floors=floors)

    def domain_scores(self, base: np.ndarray, mask: np.ndarray, view: CandidateView,
                      top_n: int = DOMAIN_TOP_N) -> dict[str, float]:
        """Share of the top matches' fused score per domain: what matching thinks the problem is."""
        idx = np.flatnonzero(mask)
        top = idx[top_order(base[idx], top_n)]
        total: dict[str, float] = {}
        for i in top:
            for d in view.case(int(i)).domains:
                total[d] = total.get(d, 0.0) + float(base[i])
        norm = sum(float(base[i]) for i in top) or 1.0
        return {d: round(v / norm, 4) for d, v in sorted(total.items(), key=lambda kv: -kv[1])}

    def domain_feedback(self, base: np.ndarray, mask: np.ndarray,
                        view: CandidateView) -> tuple[np.ndarray, dict[str, float]]:
        """Pseudo-relevance feedback on facets: cases sharing the domains of the top matches
        move up (the top few are usually right about *what kind* of problem this is, even when
        their order is not). Returns the per-case prior and the domain shares behind it."""
        shares = self.domain_scores(base, mask, view, self.settings.domain_top_n)
        prior = view.columns.domain_prior(shares)
        prior[~mask] = 0.0
        return prior, shares

    @property
    def judge(self) -> Judge:
        """Word lists and the case-text cache behind the verdict (built on first use)."""
        judge = self.__dict__.get("_judge")
        if judge is None:
            judge = self.__dict__["_judge"] = Judge(self.analyzer.normalize, self.analyzer.lists.stopwords)
        return judge

    @property
    def about(self) -> AboutVectors | None:
        """The cases' title+problem vectors (`zhili.retrieval.about`); None without a dense model."""
        if self.embedder is None:
            return None
        about = self.__dict__.get("_about")
        if about is None or about.name != self.embedder.name:
            about = self.__dict__["_about"] = AboutVectors(self.embedder.name, config.home() / "vectors")
        return about

    def embed_about(self, texts: list[str]) -> np.ndarray:
        """Embed case about-texts met at query time without a stored vector (the service puts
        its model lock around this, as around `query_vector`)."""
        return self.embedder.embed_passages(texts)

    @property
    def dense_calibrated(self) -> bool:
        """The fit and 匹配度 models were fitted with this embedder: its cosines can be read on
        their scale (`MatchSettings.fit_embedder`)."""
        return self.embedder is not None and self.embedder.name == self.settings.fit_embedder

    def problem_similarities(self, r: Retrieval, order: list[int]) -> list[float] | None:
        """Cosine of the query with the top cases' title+problem vectors, best case first."""
        about = self.about
        if about is None or r.query is None or not order or not self.dense_calibrated:
            return None
        cases = [r.view.case(int(i)) for i in order[:PROBLEM_TOP]]
        mat = about.vectors(cases, self.embed_about)
        if mat is None or mat.shape[1] != len(r.query):
            return None
        return [float(x) for x in mat @ np.asarray(r.query, dtype=np.float32)]

    def share_judge(self, other: "Engine") -> None:
        """Reuse `other`'s judge (same analyser: same word lists and case-text cache)."""
        if other.analyzer is self.analyzer and "_judge" in other.__dict__:
            self.__dict__["_judge"] = other.__dict__["_judge"]

    def assess(self, analysis: Analysis, r: Retrieval, mask: np.ndarray, order: list[int],
               outcome: RuleOutcome | None) -> Assessment:
        """The fit signals and the fit model's probability for one ranked query (zhili.verdict)."""
        idx = np.flatnonzero(mask)
        dense = r.dense[idx] if r.dense is not None else None
        median = None
        if dense is not None and r.candidates is not None and not r.candidates.exhaustive:
            median = r.candidates.stats.dense_median
        top = [(c.id, case_document(c, COVERAGE_FIELDS), " ".join([c.title, *c.mechanisms]))
               for c in (r.view.case(int(i)) for i in order[:TOPIC_TOP])]
        s = self.settings
        weights = None
        if outcome is not None:
            # a domain no candidate case is tagged with (e.g. one the rules know before the library
            # has cases for it) says nothing about whether the library holds a fitting case
            listed = r.view.columns.domains[idx].any(axis=0) if len(idx) else np.zeros(len(DOMAINS), bool)
            covered = {DOMAINS[j] for j in np.flatnonzero(listed)}
            weights = {d: w for d, w in outcome.domain_weights.items() if d in covered}
        return self.judge.assess(
            raw=analysis.raw, text=analysis.text, lexicon_hits=analysis.lexicon_hits,
            sparse=r.sparse[idx], dense=dense, dense_median=median, top_cases=top,
            domain_weights=weights, problem_sims=self.problem_similarities(r, order),
            weights=s.fit_weights, neutral=s.fit_neutral,
            rule_rows=keyword_rows(outcome.trace) if outcome is not None else (),
            dense_scale=self.dense_calibrated)

    # ---------------------------------------------------------------- the call
    def recommend(self, text: str, top_k: int = 10, filters: Filters | dict | None = None,
                  candidates: set[str] | None = None, use_rules: bool = True,
                  explain: bool = True) -> Answer:
        """Rank the library for a problem description and explain the answer."""
        if top_k < 1:
            raise QueryError("top_k 至少为 1")
        filters = filters if isinstance(filters, Filters) else Filters.model_validate(filters or {})
        analysis = self.analyze(text)
        r = self.retrieve(analysis, filters, candidates, k=max(top_k, self.settings.ann_k))
        view = r.view
        base = self.base_scores(r)
        answer = Answer(query=text, normalized_query=analysis.text, terms=analysis.tokens,
                        lexicon_hits=analysis.lexicon_hits,
                        filters=filters.model_dump(exclude_defaults=True))
        boost = np.zeros(len(r.mask), dtype=np.float32)
        reasons = RuleReasons()
        mask = r.mask
        outcome = None
        if use_rules and self.rules is not None:
            outcome = self.run_rules(analysis, filters, base, mask, view)
            boost, reasons, rule_mask = apply_rule_outcome(outcome, view)
            if (mask & rule_mask).any():
                mask = mask & rule_mask
        prior, _ = self.domain_feedback(base, r.mask, view)
        final = base + self.settings.w_domain * prior + self.settings.w_rules * boost
        final[~mask] = -np.inf
        exhaustive = r.candidates.exhaustive
        answer.candidates = int(mask.sum()) if exhaustive or not bool(mask.all()) else r.candidates.total
        ranked = [int(i) for i in top_order(final, max(top_k, TOPIC_TOP)) if mask[i]]
        order = ranked[:top_k]
        judged = self.assess(analysis, r, mask, ranked, outcome)  # the same signals whatever top_k
        answer.fit_score, answer.fit_signals = judged.fit_score, judged.signals
        empty = not bool(mask.any())
        threshold = self.settings.no_fit_threshold
        if candidates is None and judged.off_topic(threshold, empty):
            answer.verdict, answer.message = "off_topic", OFF_TOPIC_MESSAGE
        elif empty:
            answer.verdict, answer.message = "empty", empty_message(answer.filters)
        elif candidates is None and judged.fit_score < threshold:
            answer.verdict, answer.message = "no_fit", NO_FIT_MESSAGE
        answer.no_fit = answer.verdict != "fit"
        if answer.verdict == "fit" and candidates is None and judged.fit_score < self.settings.caution_threshold:
            answer.caution, answer.message = True, CAUTION_MESSAGE
        if answer.verdict == "off_topic":
            answer.by_dimension = {dim: [] for dim in LEADERSHIP}
            return answer  # not a governance problem: no cases, no rules
        if outcome is not None:
            attach_rules(answer, outcome)
        weak = answer.verdict == "no_fit"
        sparse_rank = RankOf(r.sparse, mask)
        dense_rank = RankOf(r.dense, mask) if r.dense is not None else None
        ctx = self._match_context(r, mask)
        for rank, i in enumerate(order, 1):
            res = self._result(rank, i, float(final[i]), weak, r, sparse_rank, dense_rank,
                               float(prior[i]), float(boost[i]), reasons.get(i, []),
                               analysis if explain else None)
            res.match = self._match(res, i, r, ctx, answer.fit_score, weak)
            answer.results.append(res)
        answer.by_dimension = {dim: [res.case_id for res in answer.results if dim in res.leadership]
                               for dim in LEADERSHIP}
        return answer

    def _match_context(self, r: Retrieval, mask: np.ndarray) -> tuple[float | None, float]:
        """(semantic median, best BM25 score) over the filtered cases: what a case's own scores
        are read against for its 匹配度."""
        idx = np.flatnonzero(mask)
        median = None
        if r.dense is not None and len(idx):
            median = float(np.median(r.dense[idx]))
            if r.candidates is not None and not r.candidates.exhaustive:
                known = r.candidates.stats.dense_median
                median = known if known == known else median
        best = float(r.sparse[idx].max()) if len(idx) else 0.0
        return median, best

    def _match(self, res: Result, i: int, r: Retrieval, ctx: tuple[float | None, float],
               fit_score: float, weak: bool) -> Match:
        median, best = ctx
        s = self.settings
        dense = float(r.dense[i]) if r.dense is not None and self.dense_calibrated else None
        return match_of(score=res.score, dense=dense,
                        dense_median=median, bm25=float(r.sparse[i]), bm25_best=best,
                        fit_score=fit_score, rules=bool(res.rules and res.rules.boost > 0),
                        no_fit=weak, weights=s.match_weights, neutral=s.match_neutral)

    def run_rules(self, analysis: Analysis, filters: Filters, base: np.ndarray,
                  mask: np.ndarray, view: CandidateView) -> RuleOutcome:
        rule_input = build_rule_input(
            analysis.text, analysis.tokens, analysis.lexicon_hits, self.domain_scores(base, mask, view),
            province=filters.province[0] if len(filters.province) == 1 else "",
            level=filters.level[0] if len(filters.level) == 1 else "")
        return self.rules.evaluate(rule_input)

    def _result(self, rank, i, score, weak, r, sparse_rank, dense_rank, prior, boost, reasons, analysis):
        c = r.view.case(int(i))
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


class RuleReasons:
    """Why the rules moved each candidate, worked out only for the cases actually shown
    (a boost can touch most of a large library; listing reasons for all of it is waste)."""

    def __init__(self) -> None:
        self._hits: list[tuple[np.ndarray, str]] = []

    def add(self, hit: np.ndarray, why: str) -> None:
        self._hits.append((hit, why))

    def get(self, i: int, default: list[str] | None = None) -> list[str]:
        found = [why for hit, why in self._hits if hit[i]]
        return found or (default if default is not None else [])


def apply_rule_outcome(outcome: RuleOutcome, facets: CandidateView):
    """Boost per candidate (sum of matching boost weights), reasons per candidate, hard-filter mask."""
    n = facets.n
    boost = np.zeros(n, dtype=np.float32)
    reasons = RuleReasons()
    for b in outcome.boosts:
        hit = facets.mask(b.facet, b.value)
        boost[hit] += b.weight
        reasons.add(hit, f"{b.rule}：{b.reason or b.facet + '=' + b.value}（{b.weight:+g}）")
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
