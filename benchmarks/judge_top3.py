"""Print, for given message ids, the message text and the engine's top 3 cases (for judging by hand).

No scores, match levels or no-fit flags are printed on purpose (the judge must read, not peek).

    python benchmarks/judge_top3.py [--library cases.jsonl] [--ids-file F | --rest | ID ...] [--json]

--rest: every message not yet labelled in tests/data/messages_fit_labels_grown.jsonl.
--json: one line per message {"id", "top3": [ids]} (to diff top 3s after the library changes).
--changed: the labelled messages that record a top3 and whose top 3 now differs (ids, one a
  line: old → new); feed them back with --ids-file to print them for re-judging, e.g.
    python benchmarks/judge_top3.py --library NEW.jsonl --changed > ids.txt
    python benchmarks/judge_top3.py --library NEW.jsonl --ids-file ids.txt
"""
from __future__ import annotations

import argparse, json, os, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = Path("/work/shared/bench/messages/messages.jsonl")
LABELS = ROOT / "tests" / "data" / "messages_fit_labels_grown.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("ids", nargs="*")
    ap.add_argument("--library", type=Path, default=None)
    ap.add_argument("--ids-file", type=Path, default=None)
    ap.add_argument("--rest", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--changed", action="store_true")
    ap.add_argument("--chars", type=int, default=700)
    args = ap.parse_args()
    os.environ["ZHILI_HOME"] = tempfile.mkdtemp(prefix="zhili-judge-")
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from zhili.cases.io import read_cases
    from zhili.config import BUNDLED_CASES
    from zhili.wiring import cases_engine
    from message_coverage import preload

    msgs = [json.loads(x) for x in MESSAGES.read_text(encoding="utf-8").splitlines() if x.strip()]
    ids = list(args.ids)
    if args.ids_file:
        ids += [x.strip() for x in args.ids_file.read_text().split() if x.strip()]
    labelled = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    if args.changed:
        ids += [lab["id"] for lab in labelled if lab.get("top3")]
    if args.rest:
        done = {json.loads(x)["id"] for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()}
        ids += [m["id"] for m in msgs if m["id"] not in done]
    by_id = {m["id"]: m for m in msgs}
    items = [by_id[i] for i in ids]
    cases = read_cases(args.library or BUNDLED_CASES)
    case_by_id = {c.id: c for c in cases}
    engine = cases_engine(cases, Path(os.environ["ZHILI_HOME"]) / "index")
    preload(engine, items)
    for it in items:
        ans = engine.recommend(it["text"], top_k=3)
        top = [r.case_id for r in ans.results]
        if args.changed:
            old = next(lab["top3"] for lab in labelled if lab["id"] == it["id"])
            if old != top:
                print(it["id"], file=sys.stdout)
                print(f"{it['id']}: {' '.join(old)} -> {' '.join(top)}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({"id": it["id"], "top3": top}, ensure_ascii=False))
            continue
        print(f"=== {it['id']}")
        print("MSG:", it["text"][: args.chars].replace("\n", " "))
        for cid in top:
            c = case_by_id[cid]
            print(f"  -> {cid} {c.title}")
            print(f"     问题: {c.problem}")
            print(f"     做法: {c.practice}")
            print(f"     机制: {'、'.join(c.mechanisms)}")
        print()


if __name__ == "__main__":
    main()
