"""Coverage on real citizen messages: does the top 3 hold a case that would really help the handler?

The selection is fixed so before/after numbers compare: the first 100 messages at even positions
of ../shared/bench/messages/messages.jsonl (line 1, 3, 5 … 199; 221 messages in the file).

    # print each selected message with the engine's top 3 (to judge by hand)
    python benchmarks/message_coverage.py [--library cases.jsonl] [--json > top3.jsonl]
    # the share judged helpful, and which judged top 3s the engine no longer returns
    python benchmarks/message_coverage.py --judgments tests/data/message_coverage_before.jsonl

Judgments file: one JSON object per line {"id", "helpful": bool, "top3": [case ids], "reason"}.
A judgment holds for the top 3 it names; when the library or engine changes, the script lists the
messages whose top 3 changed — judge those again (after the library grows, most will).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = ROOT.parent / "shared" / "bench" / "messages" / "messages.jsonl"
if not MESSAGES.is_file():
    MESSAGES = Path("/work/shared/bench/messages/messages.jsonl")
SELECTION = 100
TOP = 3


def selection(path: Path) -> list[dict]:
    """The fixed selection: messages at even positions (0, 2, 4 …), the first 100 of them."""
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return rows[::2][:SELECTION]


def engine_for(library: Path | None):
    """An engine over the bundled library (or `library`) in a throw-away workspace; rules on."""
    os.environ["ZHILI_HOME"] = tempfile.mkdtemp(prefix="zhili-coverage-")
    sys.path.insert(0, str(ROOT / "src"))
    from zhili.cases.io import read_cases
    from zhili.config import BUNDLED_CASES
    from zhili.wiring import cases_engine

    cases = read_cases(library or BUNDLED_CASES)
    return cases_engine(cases, Path(os.environ["ZHILI_HOME"]) / "index")


def preload(engine, items: list[dict]) -> None:
    """Message query vectors ship in tests/data (embedding 100 long messages costs ~30 s)."""
    import numpy as np

    path = ROOT / "tests" / "data" / "messages_query_vectors.npz"
    if not path.is_file():
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    from message_vectors import text_key

    with np.load(path, allow_pickle=False) as data:
        have = dict(zip(data["keys"].tolist(), data["vectors"]))
    for it in items:
        dense_text = engine.dense_text(engine.analyze(it["text"]))
        vec = have.get(text_key(dense_text))
        if vec is not None:
            engine.query_cache[dense_text] = np.asarray(vec, dtype=np.float32)


def top3(engine, items: list[dict]) -> list[dict]:
    out = []
    for it in items:
        answer = engine.recommend(it["text"], top_k=TOP)
        out.append({"id": it["id"], "title": it.get("title", ""), "text": it["text"],
                    "verdict": answer.verdict,
                    "top3": [{"id": r.case_id, "title": r.title, "match": r.match.level if r.match else ""}
                             for r in answer.results]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=Path, default=MESSAGES)
    ap.add_argument("--library", type=Path, default=None, help="case file to match (default: bundled library)")
    ap.add_argument("--judgments", type=Path, default=None, help="score a judgments file")
    ap.add_argument("--json", action="store_true", help="one JSON object per message (for judging)")
    args = ap.parse_args()
    items = selection(args.messages)
    engine = engine_for(args.library)
    preload(engine, items)
    answers = top3(engine, items)
    if args.judgments:
        judged = {j["id"]: j for j in map(json.loads, args.judgments.read_text(encoding="utf-8").splitlines()) if j}
        missing = [a["id"] for a in answers if a["id"] not in judged]
        helpful = sum(1 for a in answers if judged.get(a["id"], {}).get("helpful"))
        changed = [a["id"] for a in answers
                   if a["id"] in judged and judged[a["id"]]["top3"] != [r["id"] for r in a["top3"]]]
        print(f"messages {len(answers)}  judged {len(answers) - len(missing)}  helpful {helpful}  "
              f"share helpful {helpful / len(answers):.2f}")
        print(f"top 3 changed since judged: {len(changed)}" + (f"  ({' '.join(changed)})" if changed else ""))
        if missing:
            print(f"not judged: {len(missing)}  ({' '.join(missing)})")
        return
    for a in answers:
        if args.json:
            print(json.dumps({**a, "text": a["text"][:400]}, ensure_ascii=False))
            continue
        print(f"== {a['id']}  [{a['verdict']}]  {a['title']}")
        print(f"   {a['text'][:300]}")
        for r in a["top3"]:
            print(f"   -> {r['id']}  {r['title']}  ({r['match']})")


if __name__ == "__main__":
    main()
