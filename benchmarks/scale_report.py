"""Markdown for docs/benchmarks.md's "Scale" section from a scale.py results JSON.

    .venv/bin/python benchmarks/scale_report.py benchmarks/results/scale-2026-11-26.json
    .venv/bin/python benchmarks/scale_report.py merge OUT.json RUN1.json RUN2.json …   # later runs win per part
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _f(x, fmt: str = ".0f") -> str:
    return "–" if x is None else format(x, fmt)


def size_rows(results: dict) -> list[str]:
    rows = ["| cases | build s | cases/s | index MB | build peak RSS MB | cold start s | p50 | p95 | p99 "
            "| long p50 | nDCG@10 strict / inherited | serving RSS MB (peak) | ANN recall@10 |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["sizes"]:
        z, b = r["zhili"], r["build"]
        ann = z.get("ann", {})
        rec = "exact" if ann.get("exhaustive") else f"{ann.get('recall10')}"
        rows.append(f"| {r['size']:,} | {b['build_s']:.1f} | {b['cases_per_s']:,.0f} | {b['index_mb']:.0f} "
                    f"| {b['peak_rss_mb']:.0f} | {z['cold_start_s']:.1f} | {z['latency']['p50_ms']:.0f} "
                    f"| {z['latency']['p95_ms']:.0f} | {z['latency']['p99_ms']:.0f} | {z['latency_long']['p50_ms']:.0f} "
                    f"| {z['ndcg10']:.3f} / {z['ndcg10_inherited']:.3f} | {z['rss_mb']:.0f} ({z['peak_rss_mb']:.0f}) | {rec} |")
    return rows


def baseline_rows(results: dict) -> list[str]:
    rows = ["| cases | zhili p50 ms | baseline p50 ms | speed-up (p50) | zhili long p50 | baseline long p50 "
            "| nDCG@10 strict zhili / base | inherited zhili / base | baseline build s (jieba + BM25Okapi) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["sizes"]:
        z, b = r["zhili"], r.get("baseline", {})
        if "latency" not in b:
            rows.append(f"| {r['size']:,} | {z['latency']['p50_ms']:.0f} | – | – | {z['latency_long']['p50_ms']:.0f} "
                        f"| – | {z['ndcg10']:.3f} / – | {z['ndcg10_inherited']:.3f} / – | {b.get('skipped', 'not run')} |")
            continue
        rows.append(f"| {r['size']:,} | {z['latency']['p50_ms']:.0f} | {b['latency']['p50_ms']:.0f} "
                    f"| {b['latency']['p50_ms'] / z['latency']['p50_ms']:.1f}× | {z['latency_long']['p50_ms']:.0f} "
                    f"| {b['latency_long']['p50_ms']:.0f} | {z['ndcg10']:.3f} / {b['ndcg10']:.3f} "
                    f"| {z['ndcg10_inherited']:.3f} / {b['ndcg10_inherited']:.3f} "
                    f"| {b['tokenize_s'] + b['build_s']:.0f} |")
    return rows


def http_rows(results: dict) -> list[str]:
    rows = ["| cases | store import s | serve cold start s | 1 client p50 / p95 ms | wrk 8 conn: req/s, p50, p99 ms "
            "| wrk 32 conn: req/s, p50, p99 ms | non-2xx | server RSS max MB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["sizes"]:
        h = r.get("http")
        if not h or "cold_start_s" not in h:
            continue
        w8, w32 = h.get("wrk_c8", {}), h.get("wrk_c32", {})
        rows.append(f"| {r['size']:,} | {_f(h['prepare'].get('import_s'), '.1f')} | {h['cold_start_s']:.1f} "
                    f"| {h['latency_1_client']['p50_ms']:.0f} / {h['latency_1_client']['p95_ms']:.0f} "
                    f"| {_f(w8.get('rps'), '.1f')}, {_f(w8.get('p50_ms'))}, {_f(w8.get('p99_ms'))} "
                    f"| {_f(w32.get('rps'), '.1f')}, {_f(w32.get('p50_ms'))}, {_f(w32.get('p99_ms'))} "
                    f"| {w8.get('non2xx', 0) + w32.get('non2xx', 0) + w8.get('socket_errors', 0) + w32.get('socket_errors', 0)} "
                    f"| {_f(h['server'].get('rss_max_during_load_mb'))} |")
    return rows


def embedding_rows(results: dict) -> list[str]:
    e = results.get("embedding")
    if not e or "error" in e:
        return [f"(not measured: {e.get('error', '')[:200] if e else 'skipped'})"]
    rows = ["| passages | processes × OpenMP threads | passages/s |", "|---|---|---:|"]
    for key in ("throughput_300", "throughput_condensed"):
        for t in e.get(key, []):
            rows.append(f"| {t.get('passage', key)} (n={t['passages']}) "
                        f"| {t['processes']} × {t['omp_threads']} | {t['passages_per_s']:.1f} |")
    q = e["quality"]
    rows += ["", "| gov-dev nDCG@10 (223 real cases) | all | long | colloquial | plain | short |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in q.items():
        st = r["by_style"]
        rows.append(f"| {name} | {r['ndcg10']:.3f} | {st.get('long', 0):.3f} | {st.get('colloquial', 0):.3f} "
                    f"| {st.get('plain', 0):.3f} | {st.get('short', 0):.3f} |")
    qs = e["query_side"]
    rows += ["", f"Query embedding p50 (one process, default threads): long work orders ({qs['long_chars']} chars) "
             f"{qs['embed_long_ms_p50']} ms; lexicon-condensed ({qs['condensed_chars']} chars) "
             f"{qs['embed_condensed_ms_p50']} ms; first 96 chars {qs.get('embed_head_ms_p50')} ms; "
             f"other dev queries (mean {qs['other_chars_mean']} chars) {qs['embed_other_ms_p50']} ms."]
    if e.get("query_threads"):
        rows += ["", "| query embedding, 60 dev queries | p50 ms | p95 ms | load average |", "|---|---:|---:|---|"]
        for t in e["query_threads"]:
            rows.append(f"| OMP_NUM_THREADS={t['omp_threads']} | {t['p50_ms']} | {t['p95_ms']} | {t['loadavg']} |")
    return rows


def markdown(results: dict) -> str:
    m = results["machine"]
    out = [f"Run `{results['command']}` from {results['started']} to {results.get('finished')} "
           f"(git {m.get('git_head')}); {results['vectors']}.", "",
           "### zhili (library API, warm, gov-dev queries, query embedding included; ms)", "",
           *size_rows(results), "", "### Against the do-it-yourself baseline", "", *baseline_rows(results),
           "", "### Over HTTP (`zhili serve`, wrk)", "", *http_rows(results), "",
           "### Embedding cost and levers (`benchmarks/embed_levers.py`)", "", *embedding_rows(results), "",
           "### Bars", "",
           "| bar | measured | result |", "|---|---|---|"]
    for b in results.get("bars", []):
        out.append(f"| {b['bar']} | `{json.dumps(b['measured'], ensure_ascii=False)}` | **{b['result']}** |")
    out += ["", f"Machine: {m['lscpu']}, RAM {m['ram_gb']} GB, Python {m['python']}, kernel {m['kernel']}, "
            f"{m.get('wrk')}; packages {m['packages']}."]
    return "\n".join(out)


def merge(paths: list[Path]) -> dict:
    """Several scale.py runs as one result: per size, each part (build, zhili, baseline, http)
    comes from the last run that measured it (a skipped part never replaces a measured one), and
    records which run that was; run-level parts (embedding, real-pool ANN) likewise."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    out = {**runs[0], "merged_from": [{"file": p.name, "command": r["command"], "started": r["started"],
                                       "finished": r.get("finished")} for p, r in zip(paths, runs)]}
    sizes: dict[int, dict] = {}
    for p, r in zip(paths, runs):
        for key in ("embedding", "ann_real_pool"):
            if key in r:
                out[key] = r[key] | {"run": p.name}
        for sr in r["sizes"]:
            cur = sizes.setdefault(sr["size"], {"size": sr["size"], "library": sr["library"]})
            for part in ("build", "zhili", "baseline", "http"):
                val = sr.get(part)
                if val is None or ("skipped" in val and part in cur):
                    continue
                cur[part] = {**val, "run": p.name}
    out["sizes"] = [sizes[k] for k in sorted(sizes)]
    out["command"] = " + ".join(r["command"] for r in runs)
    out["started"], out["finished"] = runs[0]["started"], max(r.get("finished") or "" for r in runs)
    from scale import bars
    out["bars"] = bars(out)
    return out


if __name__ == "__main__":
    if sys.argv[1] == "merge":  # scale_report.py merge OUT.json RUN1.json RUN2.json …
        merged = merge([Path(a) for a in sys.argv[3:]])
        Path(sys.argv[2]).write_text(json.dumps(merged, ensure_ascii=False, indent=1), encoding="utf-8")
        print(markdown(merged))
    else:
        print(markdown(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))))
