"""Warm query latency of `Engine.recommend` on the bundled library (p50/p95, rules on and off).

    python benchmarks/latency.py [QUERIES.jsonl] [--reps N]

Prints medians measured in one run; the machines are shared and noisy, so compare ratios
within a run rather than absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from zhili.cases.io import read_cases
from zhili.config import BUNDLED_CASES
from zhili.wiring import cases_engine


def percentile(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("queries", nargs="?", default="../shared/bench/gov-dev/queries.jsonl")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    texts = [json.loads(l)["text"] for l in Path(args.queries).read_text(encoding="utf-8").splitlines() if l.strip()]
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        engine = cases_engine(read_cases(BUNDLED_CASES), Path(home) / "index")
        print(f"cold open (index build from shipped vectors): {1000 * (time.perf_counter() - t0):.0f} ms")
        for t in texts:  # warm-up: model load, caches
            engine.recommend(t)
        for label, use_rules, fresh in (("rules on", True, True), ("rules off", False, True),
                                        ("rules on, repeated text (query vector cached)", True, False)):
            samples = []
            for _ in range(args.reps):
                for t in texts:
                    if fresh:
                        engine.query_cache.clear()
                    s = time.perf_counter()
                    engine.recommend(t, top_k=10, use_rules=use_rules)
                    samples.append(1000 * (time.perf_counter() - s))
            print(f"{label:9s}: n={len(samples)}  p50 {statistics.median(samples):.1f} ms  "
                  f"p95 {percentile(samples, 95):.1f} ms  max {max(samples):.1f} ms")


if __name__ == "__main__":
    main()
