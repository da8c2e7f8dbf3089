"""Assessment import and full report at scale: N organisations × P periods of 党组织健康指数.

Synthetic data (seeded random values around the pack's baseline; a few units lose points each
period so warnings fire), written as one .xlsx like a user's upload. Timed, each printed:
  write     — the .xlsx file (openpyxl), for reference only
  import    — read + check every cell + store in one transaction (Service.assessments.import_file)
  results   — scores, levels and warnings of every unit and period (zen-engine loop tables)
  warnings  — the warnings list with the cases for every warning (engine searches, cached per need)
  report    — every unit's view with prescriptions (Service.assessments.full_report)
  docx      — one unit's Word report; xlsx — the overview export
A fresh workspace (SQLite) unless ZHILI_DB_URL is set; the engine is built before timing.

    PYTHONPATH=src python benchmarks/assess.py [--units 500] [--periods 4]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--periods", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhili-assess-bench-") as tmp:
        os.environ.setdefault("ZHILI_HOME", tmp)
        from zhili.assess import Record, load_pack
        from zhili.assess.sheets import write_template
        from zhili.service import Service

        pack = load_pack("health")
        rnd = random.Random(7)
        periods = [f"2025Q{q}" for q in range(1, 5)][: args.periods] if args.periods <= 4 else \
            [f"{2025 + i // 4}Q{i % 4 + 1}" for i in range(args.periods)]
        records = []
        for u in range(args.units):
            values = dict(pack.baseline)
            sliding = u % 10 == 0
            for p in periods:
                values = {k: v for k, v in values.items()}
                for ind in pack.indicators:
                    if ind.unit == "%":
                        base = values[ind.id] - (rnd.uniform(3, 12) if sliding else 0)
                        values[ind.id] = round(max(0, min(100, base + rnd.uniform(-3, 3))), 1)
                values["H05"] = rnd.choice([0] * 40 + [2, 5])
                values["H12"] = rnd.choice([0] * 60 + [1])
                records.append(Record(f"U{u:04d}", p, dict(values), f"合成党组织{u}", f"合成区{u % 8}"))
        path = Path(tmp) / "bench.xlsx"
        t = time.perf_counter()
        path.write_bytes(write_template(pack, records))
        print(f"write     {time.perf_counter() - t:7.2f} s  ({len(records)} rows, {path.stat().st_size / 1e6:.1f} MB)")
        with Service.open() as service:
            t = time.perf_counter()
            service.engine()
            print(f"engine    {time.perf_counter() - t:7.2f} s  (index of the bundled library, not part of the report)")
            a = service.assessments
            t = time.perf_counter()
            summary = a.import_file("health", path, by="bench")
            print(f"import    {time.perf_counter() - t:7.2f} s  ({summary.rows} rows, {summary.units} units)")
            t = time.perf_counter()
            results = a.results("health")
            n_warn = sum(len(r.warnings) for h in results.values() for r in h)
            print(f"results   {time.perf_counter() - t:7.2f} s  ({sum(len(h) for h in results.values())} unit-periods,"
                  f" {n_warn} warnings)")
            t = time.perf_counter()
            items = a.warnings("health", by="bench")
            print(f"warnings  {time.perf_counter() - t:7.2f} s  ({len(items)} units with warnings in {periods[-1]},"
                  f" {len(a._cases)} distinct case searches)")
            t = time.perf_counter()
            views = a.full_report("health", by="bench")
            print(f"report    {time.perf_counter() - t:7.2f} s  ({len(views)} units with prescriptions)")
            t = time.perf_counter()
            a.report_docx("health", "U0000", by="bench")
            print(f"docx      {time.perf_counter() - t:7.2f} s  (one unit)")
            t = time.perf_counter()
            a.overview_xlsx("health", by="bench")
            print(f"xlsx      {time.perf_counter() - t:7.2f} s  (overview export)")


if __name__ == "__main__":
    main()
