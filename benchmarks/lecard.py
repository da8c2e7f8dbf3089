"""LeCaRD (SIGIR 2021) with zhili's retrieval machinery, side by side with the published table.

    ZHILI_HOME=bench-cache/lecard-home python benchmarks/lecard.py [--dense] [--dir ../shared/bench/lecard]

Protocol A (label rerank: only each query's judged docs, what the paper's table measures) and
B (pool rerank: each query's ~100 candidates, the recommended setting). Dense scores need the
corpus vectors in the cache first (`benchmarks/embed_corpus.py`, hours on 2 cores); without
--dense the run is BM25 over zhili's analyser only.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from zhili import config
from zhili.eval.dataset import load_eval_dir
from zhili.eval.runner import report, run_engine
from zhili.wiring import open_engine

PUBLISHED = {  # authors' README, protocol A, all 107 queries / test20
    "all": {"BM25": (0.406, 0.381, 0.484, 0.731, 0.797, 0.888),
            "TF-IDF": (0.304, 0.261, 0.457, 0.795, 0.832, 0.848),
            "LMIR": (0.436, 0.406, 0.495, 0.769, 0.818, 0.900)},
    "test20": {"BM25": (0.380, 0.350, 0.498, 0.739, 0.804, 0.894),
               "LMIR": (0.450, 0.435, 0.512, 0.769, 0.807, 0.896),
               "BERT": (0.470, 0.430, 0.568, 0.774, 0.821, 0.899)},
}
COLS = ("p@5", "p@10", "map", "ndcg@10", "ndcg@20", "ndcg@30")


def row(name: str, values) -> str:
    return f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="../shared/bench/lecard")
    ap.add_argument("--dense", action="store_true", help="fuse dense scores (vectors must be cached)")
    ap.add_argument("--segmentation", default="precise",
                    help="precise suits these long documents (search mode: see docs/benchmarks.md)")
    ap.add_argument("--w-sparse", type=float, default=None)
    ap.add_argument("--w-dense", type=float, default=None)
    args = ap.parse_args()
    evalset = load_eval_dir(args.dir)
    settings = config.MatchSettings.load()
    settings.w_domain = 0.0  # the legal corpus has no domain facets
    settings.segmentation = args.segmentation
    if args.w_sparse is not None:
        settings.w_sparse = args.w_sparse
    if args.w_dense is not None:
        settings.w_dense = args.w_dense
    t0 = time.time()
    engine = open_engine(corpus=evalset.corpus, use_rules=False, settings=settings, dense=args.dense)
    print(f"index ready in {time.time() - t0:.0f} s ({engine.backend.describe().report}); dense={args.dense} "
          f"segmentation={settings.segmentation} k1={settings.bm25_k1} "
          f"w_sparse={settings.w_sparse} w_dense={settings.w_dense if args.dense else 0}")
    test20 = [q for q in evalset.queries if q.meta.get("test20")]
    header = "| setting | " + " | ".join(COLS) + " |\n" + "|---" * (len(COLS) + 1) + "|"
    for mode, label in (("label", "A. label rerank"), ("pool", "B. pool rerank")):
        t0 = time.time()
        run, fit, flags = run_engine(engine, evalset, depth=110, mode=mode, use_rules=False)
        print(f"\n## {label} ({time.time() - t0:.0f} s)\n{header}")
        for name, queries in (("all 107", evalset.queries), ("test20", test20)):
            sub = dataclasses.replace(evalset, queries=queries)
            rep = report(sub, {q.id: run[q.id] for q in queries}, fit, flags, mode=mode, use_rules=False)
            print(row(f"zhili {name}", [rep.retrieval.overall[c] for c in COLS]))
        if mode == "label":
            for split, table in PUBLISHED.items():
                for model, vals in table.items():
                    print(row(f"published {model} ({split})", vals))


if __name__ == "__main__":
    main()
