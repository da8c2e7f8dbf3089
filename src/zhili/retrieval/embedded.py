"""The embedded search backend: bm25s + numpy/faiss in-process, main index + delta + tombstones.

Design (what scales how):

- **Small libraries** (live cases < `ann_threshold`): every case passing the filters is a
  candidate, scored exactly as always (bm25s numpy scores, one matrix-vector product) — the
  ranking is exactly the exhaustive one.
- **Large libraries**: candidates = BM25 top-`ann_k` (bm25s numba top-k with the filter as a
  weight mask) ∪ IVF top-`ann_k` (faiss, filter as an ID selector); each candidate then gets
  its exact BM25 (CSC posting lookup) and cosine (its row of the memory-mapped vectors), so the
  engine fuses exact scores. Filters that leave fewer than `exact_below` cases are searched
  exhaustively — exact, and cheaper than probing cells that hold few of them.
- **Statistics** the engine normalises with (min, median over *all* filtered cases) are exact
  when exhaustive and estimated from a fixed sample of 8192 rows otherwise.
- **Updates** (`upsert`/`delete`, copy-on-write through `updated`): changed/new cases go to a
  small `Delta` scored exhaustively on every query; their old rows become tombstones in the
  `alive` mask, so a deleted or superseded row is never returned. `Index` rebuilds fold the
  delta into the main index.
- **Per-query work** is numpy over arrays (filters on `Columns`, masks, top-k) plus Python over
  the candidates only — never a Python loop over the library.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Collection, Sequence

import numpy as np

from ..cases import Case
from .casefile import CaseFile
from .backend import FOUND_ALL, FOUND_DENSE, FOUND_SPARSE, BackendInfo, Candidates, ScoreStats
from .delta import Delta
from .facets import FacetIndex
from .filters import Filters
from .index import Index
from .view import CandidateView

SAMPLE_ROWS = 8192


@dataclass
class ScaleSettings:
    ann_threshold: int = 20_000
    ann_k: int = 200
    nprobe: int = 0
    exact_below: int = 20_000

    @classmethod
    def from_match(cls, s) -> "ScaleSettings":
        return cls(s.ann_threshold, s.ann_k, s.ann_nprobe, s.exact_below)


class EmbeddedBackend:
    """`SearchBackend` over an `Index` (main rows) plus a `Delta` (see module docstring)."""

    name = "embedded"

    def __init__(self, index: Index, settings: ScaleSettings | None = None,
                 delta: Delta | None = None, alive: np.ndarray | None = None):
        self.index = index
        self.settings = settings or ScaleSettings()
        self.delta = delta or Delta()
        self.alive = alive  # None = every main row alive
        self._n = len(index.ids)
        self._facets: FacetIndex | None = None
        self._pos: dict[str, int] | None = None
        self._sample: tuple[np.ndarray, np.ndarray] | None = None
        self._ids: np.ndarray | None = None
        if not self.exhaustive():  # compile the numba top-k off the request path
            threading.Thread(target=index.sparse.warm, daemon=True, name="bm25-warm").start()

    # ------------------------------------------------------------ bookkeeping
    @property
    def positions(self) -> dict[str, int]:
        """id → main row, built on first need (deletes, pools)."""
        if self._pos is None:
            self._pos = {cid: i for i, cid in enumerate(self.index.ids)}
        return self._pos

    def count(self) -> int:
        dead = 0 if self.alive is None else int(self._n - self.alive.sum())
        return self._n - dead + len(self.delta)

    def exhaustive(self) -> bool:
        return self.count() < self.settings.ann_threshold

    @property
    def has_vectors(self) -> bool:
        return self.index.vectors is not None

    def describe(self) -> BackendInfo:
        idx = self.index
        vectors = None
        if idx.vectors is not None:
            vectors = (f"IVF 向量索引（{idx.ann.nlist} 簇，nprobe={self.settings.nprobe or '自动'}）"
                       if idx.ann is not None else "精确向量打分")
        return BackendInfo(
            cases=self.count(), exhaustive=self.exhaustive(),
            threshold=f"案例数低于 ann_threshold={self.settings.ann_threshold}", vectors=vectors,
            storage="流式存盘、内存映射" if idx.manifest.get("layout") == "large" else "常驻内存",
            delta=len(self.delta), report=idx.report)

    def copy(self) -> "EmbeddedBackend":
        """Shares the immutable main index (and its caches); delta and tombstones are replaced,
        never mutated."""
        other = EmbeddedBackend(self.index, self.settings, self.delta, self.alive)
        other._facets, other._pos, other._sample, other._ids = self._facets, self._pos, self._sample, self._ids
        return other

    def upsert(self, cases: Sequence[Case], tokens: Sequence[list[str]],
               vectors: np.ndarray | None) -> None:
        if len(tokens) != len(cases) or (vectors is not None and len(vectors) != len(cases)):
            raise ValueError(f"案例数 {len(cases)} 与分词数 {len(tokens)} 或向量数不一致")
        if self.index.vectors is not None and vectors is None and cases:
            raise ValueError("索引含语义向量：新增或修改的案例也必须提供向量")
        self._kill([c.id for c in cases])
        self.delta = self.delta.with_changes(list(cases), list(tokens),
                                             None if self.index.vectors is None else vectors, set())

    def delete(self, ids: Sequence[str]) -> None:
        self._kill(ids)
        gone = set(ids) & {c.id for c in self.delta.cases}
        if gone:
            self.delta = self.delta.with_changes([], [], None, gone)

    def _kill(self, ids: Sequence[str]) -> None:
        rows = [self.positions[i] for i in ids if i in self.positions]
        if rows:
            alive = np.ones(self._n, dtype=bool) if self.alive is None else self.alive.copy()
            alive[rows] = False
            self.alive = alive

    def fetch(self, ids: Sequence[str]) -> list[Case]:
        out = []
        for cid in ids:
            j = self.delta.position(cid)
            if j is not None:
                out.append(self.delta.cases[j])
                continue
            row = self.positions.get(cid)
            if row is None or (self.alive is not None and not self.alive[row]):
                raise KeyError(f"检索后端中没有案例 {cid}")
            out.append(self.index.cases[row])
        return out

    # ------------------------------------------------------------ search
    def search(self, tokens: list[str], vector: np.ndarray | None, k: int, filters: Filters,
               within: Collection[str] | None = None) -> Candidates:
        idx, s = self.index, self.settings
        mask = idx.columns.mask(filters)
        if self.alive is not None:
            mask &= self.alive
        dmask = self.delta.columns.mask(filters)
        if within is not None:
            pool = np.zeros(self._n, dtype=bool)
            pool[[self.positions[i] for i in within if i in self.positions]] = True
            mask &= pool
            dmask &= np.asarray([c.id in within for c in self.delta.cases], dtype=bool)
        total = int(mask.sum()) + int(dmask.sum())
        use_dense = vector is not None and idx.vectors is not None
        exhaustive = self.exhaustive() or within is not None or total <= s.exact_below
        if not exhaustive:
            restricted = not bool(mask.all())
            kk = max(k, s.ann_k)
            srows, _ = idx.sparse.top(tokens, kk, mask if restricted else None)
            drows = np.zeros(0, np.int64)
            if use_dense and idx.ann is not None:
                drows, _ = idx.ann.search(vector, kk, s.nprobe, mask if restricted else None)
            elif use_dense:  # no vector index (library grew past the threshold through updates)
                allv = (idx.vectors @ vector).astype(np.float32)
                allv[~mask] = -np.inf
                drows = np.argpartition(-allv, min(kk, len(allv) - 1))[:kk]
                drows = drows[np.isfinite(allv[drows])]
            rows = np.union1d(srows, drows).astype(np.int64)
            # too few hits for the filter (probed cells hold few passing cases): be exact instead
            exhaustive = use_dense and len(drows) < min(kk, int(mask.sum()))
        if exhaustive:
            rows = np.flatnonzero(mask)
            if len(rows) * 8 >= self._n:  # most of the library: whole-array scoring is cheaper
                sparse = idx.sparse.scores(tokens)[rows]
                dense = (idx.vectors @ vector).astype(np.float32)[rows] if use_dense else None
            else:
                sparse = idx.sparse.scores_for(tokens, rows)
                dense = (np.asarray(idx.vectors[rows]) @ vector).astype(np.float32) if use_dense else None
            found = np.full(len(rows), FOUND_ALL, dtype=np.uint8)
        else:
            found = (np.isin(rows, srows) * FOUND_SPARSE + np.isin(rows, drows) * FOUND_DENSE).astype(np.uint8)
            sparse = idx.sparse.scores_for(tokens, rows)
            dense = (np.asarray(idx.vectors[rows]) @ vector).astype(np.float32) if use_dense else None
        if dense is None:
            dense = np.full(len(rows), np.nan, dtype=np.float32)
        # the delta is small: always scored whole
        drows_d = np.flatnonzero(dmask)
        d_sparse = self.delta.sparse_scores(tokens, idx.sparse)[drows_d]
        d_dense = self.delta.dense_scores(vector if use_dense else None)[drows_d]
        ids = self._id_array()[rows].tolist() + [self.delta.cases[j].id for j in drows_d]
        sparse = np.concatenate([sparse, d_sparse]).astype(np.float32)
        dense = np.concatenate([dense, d_dense]).astype(np.float32)
        found = np.concatenate([found, np.full(len(drows_d), FOUND_ALL, np.uint8)])
        stats = self._stats(sparse, dense, exhaustive, mask, vector if use_dense else None)
        return Candidates(ids, sparse, dense, found, exhaustive, total, stats,
                          rows=np.concatenate([rows, self._n + drows_d]).astype(np.int64))

    def _stats(self, sparse, dense, exhaustive, mask, vector) -> ScoreStats:
        if exhaustive:
            if not len(sparse):
                return ScoreStats()
            has_dense = not np.isnan(dense).all()
            return ScoreStats(float(sparse.min()),
                              float(np.nanmin(dense)) if has_dense else float("nan"),
                              float(np.nanmedian(dense)) if has_dense else float("nan"))
        if vector is None:
            return ScoreStats(0.0)
        rows, vecs = self._sample_rows()
        picked = mask[rows]
        known = dense[~np.isnan(dense)]
        seen = (vecs @ vector)[picked] if picked.any() else known
        if not len(seen):
            return ScoreStats(0.0)
        low = float(seen.min()) if not len(known) else float(min(seen.min(), known.min()))
        # at this size some filtered case contains none of the query words: BM25 floor is 0
        return ScoreStats(0.0, low, float(np.median(seen)))

    def _id_array(self) -> np.ndarray:
        """Row → id as an object array: picking thousands of ids is one C-level take."""
        if self._ids is None:
            self._ids = np.asarray(self.index.ids, dtype=object)
        return self._ids

    def _sample_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """A fixed random sample of main rows and their vectors (in memory: ~12 MB)."""
        if self._sample is None:
            rng = np.random.default_rng(0)
            rows = np.sort(rng.choice(self._n, size=min(SAMPLE_ROWS, self._n), replace=False))
            self._sample = (rows, np.asarray(self.index.vectors[rows], dtype=np.float32))
        return self._sample

    # ------------------------------------------------------------ ranking support
    def view(self, cands: Candidates) -> CandidateView:
        """Facets of the candidates without a Python loop over the library: columns by row,
        rule facet masks from a library-wide cache (small libraries) or the candidates."""
        rows = cands.rows
        main = rows < self._n
        columns = self.index.columns.take(rows[main])
        if not main.all():
            columns = columns.concat(self.delta.columns.take(rows[~main] - self._n))

        def fetch(i: int) -> Case:
            r = int(rows[i])
            return self.index.cases[r] if r < self._n else self.delta.cases[r - self._n]

        light = fetch
        if isinstance(self.index.cases, CaseFile):
            def light(i: int) -> Case:
                r = int(rows[i])
                return self.index.cases.light(r) if r < self._n else self.delta.cases[r - self._n]

        masks = None
        if self.exhaustive() and main.all() and isinstance(self.index.cases, list):
            if self._facets is None:
                self._facets = FacetIndex(self.index.cases)
            masks = lambda facet, value: self._facets.mask(facet, value)[rows]  # noqa: E731
        return CandidateView(len(rows), columns, fetch, masks, light)
