"""What editing rules in the product costs (issue 13): Excel export/import, linting one table as
the page does while typing, 试运行, publishing (checks + every example + the switch) and the
impact replay, on the bundled packs and library in a temporary workspace (SQLite).

    python benchmarks/rules_editing.py [--messages FILE] [--n 100]

`--messages`: real citizen messages (JSONL with "text") replayed as an uploaded query file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

DEFAULT_MESSAGES = Path(__file__).resolve().parents[2] / "shared" / "bench" / "messages" / "messages.jsonl"


def timed(fn, repeat: int = 1):
    runs, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - t) * 1000)
    return out, statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=Path, default=DEFAULT_MESSAGES)
    ap.add_argument("--n", type=int, default=100, help="messages to replay")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="zhili-rules-bench-"))
    os.environ["ZHILI_HOME"] = str(home)
    os.environ.pop("ZHILI_DB_URL", None)
    from zhili.ruleedit.tables import TableEdit
    from zhili.ruleedit.workbook import export_workbook, import_workbook
    from zhili.service import Service

    service = Service.open(f"sqlite:///{home / 'zhili.db'}")
    _, ms = timed(service.engine)
    print(f"engine build: {ms:.0f} ms")
    edits = service.rule_edits
    files = edits.serving_files()
    book, ms = timed(lambda: export_workbook(files), 3)
    print(f"Excel export (all packs): {ms:.0f} ms, {len(book)} bytes")
    result, ms = timed(lambda: import_workbook(book, files), 3)
    print(f"Excel import + lint (all packs): {ms:.0f} ms, ok={result.ok}")
    draft = edits.create_draft("bench")
    view = edits.view(draft.id)
    routing = next(t for p in view["packs"] if p["id"] == "02-routing" for t in p["tables"] if t["id"] == "routing")
    rows = routing["rows"]
    new = {"_id": "油烟扰民", "_description": "餐饮油烟、噪声扰民",
           "cells": {**{c["id"]: "" for c in routing["inputs"] + routing["outputs"]},
                     "in_focus": 'some(["油烟", "烧烤"], contains($, #))', "out_lead": '"县级生态环境部门"',
                     "out_supporting": '["城市管理综合执法部门", "市场监管部门", "社区居委会"]',
                     "out_basis": '"（基准测试用的示例行）"'}}
    _, ms = timed(lambda: edits.lint(draft.id, "02-routing", "routing", [new, *rows]), 5)
    print(f"lint one table as typed ({len(rows) + 1} rows): {ms:.1f} ms")
    draft = edits.save_draft(draft.id, "bench", edits=[TableEdit("02-routing", "routing", [new, *rows])])
    out, ms = timed(lambda: edits.try_text("小区楼下烧烤店油烟扰民", draft.id, with_cases=False), 5)
    print(f"试运行 rules only: {ms:.1f} ms (牵头 {out['routing']['lead']})")
    out, ms = timed(lambda: edits.try_text("小区楼下烧烤店油烟扰民", draft.id), 5)
    print(f"试运行 with cases: {ms:.1f} ms")
    report, ms = timed(lambda: edits.check(draft.id))
    print(f"check + examples: {ms:.0f} ms ({report['examples']['run']} examples, ok={report['ok']})")
    for cases in (False, True):
        body, ms = timed(lambda: edits.replay(draft.id, sources=["examples"], with_cases=cases))
        s = body["summary"]
        print(f"replay examples ({'with' if cases else 'without'} cases): {ms:.0f} ms for {s['queries']} queries, "
              f"{s['changed']} changed, routing {s['routing_changed']}")
    if args.messages.is_file():
        lines = [json.loads(x) for x in args.messages.read_text(encoding="utf-8").splitlines() if x.strip()][: args.n]
        upload = "\n".join(json.dumps({"id": m.get("id", i), "text": m["text"]}, ensure_ascii=False) for i, m in enumerate(lines))
        for cases in (False, True):
            body, ms = timed(lambda: edits.replay(draft.id, sources=["upload"], upload=upload, limit=500, with_cases=cases))
            s = body["summary"]
            print(f"replay {s['queries']} real messages ({'with' if cases else 'without'} cases): {ms:.0f} ms, "
                  f"{s['changed']} changed, routing {s['routing_changed']}, domains {s['domains_changed']}, "
                  f"risk {s['risk_changed']}, top-10 moved {s['top_changed']}")
    version, ms = timed(lambda: edits.publish(draft.id, "bench", "基准测试"))
    print(f"publish (checks + examples + record + switch): {ms:.0f} ms → version {version.id}")
    t = time.perf_counter()
    answer = service.engine().recommend("小区楼下烧烤店油烟扰民")
    print(f"first answer after publishing: {(time.perf_counter() - t) * 1000:.0f} ms, 牵头 {answer.routing.lead}")
    back, ms = timed(lambda: edits.restore(service.store.rule_versions.list()[-1].id, "bench", "回退"))
    print(f"restore: {ms:.0f} ms → version {back.id}; 牵头 now {service.engine().recommend('小区楼下烧烤店油烟扰民').routing.lead}")
    service.close()


if __name__ == "__main__":
    main()
