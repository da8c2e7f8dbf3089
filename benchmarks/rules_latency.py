"""Rule evaluation latency: what the rule packs add to one query (target: median < 5 ms).

    python benchmarks/rules_latency.py [--queries FILE] [--rules DIR] [--repeat N]

Text analysis is done once up front (the engine already does it for retrieval); the timed part
is build_rule_input + RuleSet.evaluate (all five packs, with trace). Prints the median over all
query × repeat timings, the p90, and the median of each query's best run (less sensitive to
other processes on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from zhili.rules import RuleSet, analyze, build_rule_input

_ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (a git worktree one level deeper finds it one more level up)
DEFAULT_QUERIES = next((p / "shared" / "bench" / "gov-dev" / "queries.jsonl" for p in _ROOT.parents
                        if (p / "shared" / "bench" / "gov-dev" / "queries.jsonl").is_file()),
                       _ROOT.parent / "shared" / "bench" / "gov-dev" / "queries.jsonl")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--rules", type=Path, default=None, help="rules directory (default: bundled)")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()

    t0 = time.perf_counter()
    rules = RuleSet.load(args.rules)
    load_ms = (time.perf_counter() - t0) * 1000
    texts = [json.loads(line)["text"] for line in args.queries.read_text(encoding="utf-8").splitlines() if line.strip()]
    analysed = [analyze(t) for t in texts]
    for norm, tokens, hits in analysed:  # warm-up
        rules.evaluate(build_rule_input(norm, tokens, hits, {}))

    all_ms: list[float] = []
    best_ms: list[float] = []
    for norm, tokens, hits in analysed:
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            rules.evaluate(build_rule_input(norm, tokens, hits, {}))
            runs.append((time.perf_counter() - t) * 1000)
        all_ms += runs
        best_ms.append(min(runs))
    rows = sum(1 for _ in rules.rows())
    print(f"rule packs: {len(rules.packs)}, rows: {rows}, load+check: {load_ms:.1f} ms")
    print(f"queries: {len(texts)} × {args.repeat} runs")
    print(f"median: {statistics.median(all_ms):.2f} ms   p90: {sorted(all_ms)[int(0.9 * len(all_ms))]:.2f} ms   "
          f"median of best runs: {statistics.median(best_ms):.2f} ms   max: {max(all_ms):.2f} ms")


if __name__ == "__main__":
    main()
