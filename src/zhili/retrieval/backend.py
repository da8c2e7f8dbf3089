"""The search-backend interface: what candidate generation must provide, whatever stores the index.

Retrieval is split in two so the library can grow without the ranking changing meaning:

- a **backend** generates candidates: the ids that pass the filters and that BM25 or the dense
  model put near the top, each with its *raw* per-method scores;
- the **engine** ranks those candidates: fusion, domain feedback, rules, no-fit and the
  explanation all run on the candidates only, so they cost the same at 10^3 and 10^6 cases.

The embedded backend (`zhili.retrieval.embedded`) answers exhaustively below
`MatchSettings.ann_threshold` cases — every case passing the filters is a candidate, every score
exact — so small libraries get exactly the ranking they always had. Above it, and in the Milvus
backend (`zhili.retrieval.milvus`), candidates are BM25 top-k ∪ ANN top-k.

Backends do not tokenize or embed: the engine owns the analyzer and the embedder and hands
both tokens and vectors over, so every backend sees the same text processing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Collection, Protocol, Sequence, runtime_checkable

import numpy as np

from ..cases import Case
from .filters import Filters
from .view import CandidateView

FOUND_SPARSE = 1
"""Bit in `Candidates.found_by`: the id is in the BM25 top-k."""
FOUND_DENSE = 2
"""Bit in `Candidates.found_by`: the id is in the dense (ANN) top-k."""
FOUND_ALL = FOUND_SPARSE | FOUND_DENSE


@dataclass
class ScoreStats:
    """Per-method score statistics over *all* cases passing the filters, not just the candidates.

    Min-max fusion and the no-fit confidence are defined over the whole filtered library; with
    only the top candidates in hand their minimum and median would be too high. Exhaustive
    backends give exact values; sampling backends give estimates; nan means unknown (the engine
    then falls back to the candidates' own minimum/median).
    """

    sparse_min: float = float("nan")
    dense_min: float = float("nan")
    dense_median: float = float("nan")


@dataclass
class Candidates:
    """Cases worth ranking for one query, with raw scores aligned by position.

    `sparse` is the raw BM25 score (each query word counted once, as in Lucene), `dense` the
    cosine between the query vector and the case vector; nan where a method did not score
    the id (e.g. no vector model). A backend should score *every* candidate with every method
    it can (an ANN hit still gets its BM25 score), so fusion compares like with like.
    `found_by` holds FOUND_* bits: which method's top-k brought the id in (FOUND_ALL when
    exhaustive). `total` is how many cases pass the filters.
    """

    ids: list[str]
    sparse: np.ndarray
    dense: np.ndarray
    found_by: np.ndarray
    exhaustive: bool
    total: int
    stats: ScoreStats = field(default_factory=ScoreStats)
    rows: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("sparse", "dense", "found_by"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"候选结果的 {name} 长度 {len(getattr(self, name))} 与 id 数 {n} 不一致")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls, total: int = 0) -> "Candidates":
        return cls([], np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros(0, np.uint8),
                   exhaustive=True, total=total)


@dataclass
class BuildReport:
    """What opening an index took: rebuilt (or reused as it was), cases newly tokenized and embedded."""

    rebuilt: bool
    tokenized: int = 0
    embedded: int = 0


@dataclass(frozen=True)
class BackendInfo:
    """How a backend serves its library, for people (`zhili index`): Chinese phrases, not codes."""

    cases: int
    """Searchable cases now (deleted ones excluded, delta included)."""
    exhaustive: bool
    """Every case passing the filters is scored (no candidate generation)."""
    threshold: str
    """The setting past which candidates are generated, e.g. "案例数低于 ann_threshold=20000"."""
    vectors: str | None
    """How the dense top-k is found ("IVF 向量索引（64 簇，…）", "HNSW 向量索引", …); None: no vectors."""
    storage: str
    """Where the index lives ("常驻内存", "流式存盘、内存映射", "Milvus 集合 …")."""
    delta: int
    """Cases changed since the main index was built, served from a delta until a merge."""
    report: BuildReport
    """What opening the backend took: rebuilt or reused, cases newly tokenized and embedded."""


@runtime_checkable
class SearchBackend(Protocol):
    """Candidate generation over a case library (embedded numpy/bm25s/faiss, or Milvus).

    Everything the engine, the service and the CLI ask of a backend is here, so none of them
    probes for optional methods: a new backend implements all of it or fails `isinstance`."""

    name: str
    """Short stable name, e.g. "embedded" or "milvus"; shown in `zhili index`."""

    def count(self) -> int:
        """Number of searchable cases (deleted ones excluded)."""
        ...

    def exhaustive(self) -> bool:
        """True when an unfiltered search scores every case (small libraries): candidate
        generation is off and every score and statistic is exact."""
        ...

    @property
    def has_vectors(self) -> bool:
        """Whether the backend holds passage vectors: only then does the engine embed the
        query and the cases it changes."""
        ...

    def copy(self) -> "SearchBackend":
        """A backend to apply changes to while this one keeps answering (copy-on-write: an
        engine serving requests keeps a consistent library). A backend over shared external
        state (a Milvus collection) returns itself: every engine on it sees a change at once."""
        ...

    def describe(self) -> BackendInfo:
        """How this backend serves its library (for `zhili index`)."""
        ...

    def upsert(self, cases: Sequence[Case], tokens: Sequence[list[str]],
               vectors: np.ndarray | None) -> None:
        """Add or replace cases by id; searchable as soon as the call returns.

        `tokens[i]` are the analyzer's document tokens of `cases[i]` (fields weighted as in
        `zhili.retrieval.sparse.case_document`); `vectors[i]` its unit-norm passage vector
        (None when dense retrieval is off). Raises ValueError on misaligned input.
        """
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Remove cases by id; unknown ids are ignored. Deleted ids are never returned again."""
        ...

    def search(self, tokens: list[str], vector: np.ndarray | None, k: int,
               filters: Filters, within: Collection[str] | None = None) -> Candidates:
        """Candidates for a query: every filtered case when exhaustive, else the union of the
        BM25 top-k and dense top-k among cases passing `filters` (k per method; a backend may
        take more). `tokens` are the analyzer's query tokens (duplicates allowed; each counts
        once); `vector` the unit-norm query vector or None. `within`: an id pool (evaluation
        reranking) — then every pool member passing the filters is a candidate. Never returns
        a case failing `filters` or a deleted case."""
        ...

    def fetch(self, ids: Sequence[str]) -> list[Case]:
        """The full cases for ids (the few being ranked and shown), in the order given.
        Raises KeyError naming an id that is not in the backend."""
        ...

    def view(self, cands: Candidates) -> CandidateView:
        """What ranking reads about `cands` (facet columns, rule facet masks, the cases), aligned
        by position with `cands.ids`, without loading the rest of the library."""
        ...
