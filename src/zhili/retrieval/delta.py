"""The delta: cases added or changed since the main index was built, searchable at once.

bm25s and the IVF index are built once for the whole library; a saved case must not wait for
that. New and changed cases go into this small in-memory set (their old main rows become
tombstones); it is scored exhaustively on every query — BM25 and cosine over a few hundred or
thousand rows cost well under a millisecond — and merged into the main index on the next
rebuild (`zhili index --merge`, or automatically once it holds `MatchSettings.delta_merge` cases).

BM25 comparability: a delta case is scored with the *main* index's statistics — document count
and document frequency summed over main + delta (so a word only the delta contains gets the
high idf a rebuild would give it), average document length of the main index, same k1/b and
Lucene formula as bm25s. Its scores therefore sit on the same scale as the main rows', and a
rebuild changes them only as much as the library's statistics themselves change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..cases import Case
from .columns import Columns
from .sparse import SparseIndex


@dataclass
class Delta:
    cases: list[Case] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    vectors: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.vectors is not None and len(self.vectors) != len(self.cases):
            raise ValueError(f"增量索引行数不一致：{len(self.cases)} 个案例、{len(self.vectors)} 个向量")
        self.columns = Columns.build(self.cases)
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        rows: dict[str, list[int]] = {}
        tfs: dict[str, list[int]] = {}
        for i, toks in enumerate(self.tokens):
            for t, n in Counter(toks or ["∅"]).items():
                rows.setdefault(t, []).append(i)
                tfs.setdefault(t, []).append(n)
        self._postings = {t: (np.asarray(rows[t], np.int64), np.asarray(tfs[t], np.float32)) for t in rows}
        self._lengths = np.asarray([len(t or ["∅"]) for t in self.tokens], dtype=np.float32)
        self._pos = {c.id: i for i, c in enumerate(self.cases)}

    def __len__(self) -> int:
        return len(self.cases)

    def position(self, case_id: str) -> int | None:
        return self._pos.get(case_id)

    def with_changes(self, changed: list[Case], tokens: list[list[str]], vectors: np.ndarray | None,
                     removed: set[str]) -> "Delta":
        """A new delta: `removed` and re-saved ids dropped, `changed` appended (copy-on-write).

        Rows stay aligned: the kept rows keep their vectors whether or not this change brings
        any (a delete brings none), and a delta with vectors refuses changed cases without."""
        drop = removed | {c.id for c in changed}
        keep = [i for i, c in enumerate(self.cases) if c.id not in drop]
        cases = [self.cases[i] for i in keep] + list(changed)
        toks = [self.tokens[i] for i in keep] + list(tokens)
        if vectors is not None and len(vectors) != len(changed):
            raise ValueError(f"{len(changed)} 个案例却有 {len(vectors)} 个向量")
        if changed and self.vectors is not None and len(self) and vectors is None:
            raise ValueError("增量索引含语义向量：新增或修改的案例也必须提供向量")
        parts = []
        if self.vectors is not None:
            parts.append(self.vectors[keep])
        if vectors is not None and len(changed):
            parts.append(np.asarray(vectors, np.float32))
        vecs = np.concatenate(parts).astype(np.float32) if parts else None
        if vecs is not None and len(vecs) != len(cases):
            raise ValueError(f"增量索引行数不一致：{len(cases)} 个案例、{len(vecs)} 个向量")
        return Delta(cases, toks, vecs)

    def sparse_scores(self, query_tokens: list[str], main: SparseIndex) -> np.ndarray:
        """BM25 of every delta case on the main index's scale (see module docstring)."""
        out = np.zeros(len(self), dtype=np.float32)
        if not len(self):
            return out
        params = main.model
        k1, b = float(params.k1), float(params.b)
        avgdl = main.avgdl or float(self._lengths.mean())
        n_docs = main.num_docs + len(self)
        norm = k1 * ((1 - b) + b * self._lengths / avgdl)
        for t in dict.fromkeys(query_tokens):
            hit = self._postings.get(t)
            if hit is None:
                continue
            rows, tf = hit
            df = len(rows) + (int(main.doc_freq(np.asarray([main.vocab[t]]))[0]) if t in main.vocab else 0)
            idf = np.float32(np.log(1 + (n_docs - df + 0.5) / (df + 0.5)))
            out[rows] += idf * tf / (norm[rows] + tf)
        return out

    def dense_scores(self, vector: np.ndarray | None) -> np.ndarray:
        if vector is None or self.vectors is None or not len(self):
            return np.full(len(self), np.nan, dtype=np.float32)
        return (self.vectors @ vector).astype(np.float32)
