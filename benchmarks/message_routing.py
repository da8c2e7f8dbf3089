"""Classification and routing on real citizen messages: accuracy of the main domain and lead body.

Data (not part of the repository): ../shared/bench/messages/messages.jsonl (221 网络问政 messages,
see its README). Labels: tests/data/message_routing_labels.jsonl, written by hand before the rule
content was changed, one line per message:

    {"id", "domain": expected main domain, "domain_ok": other domains a fair reader would accept,
     "lead": expected lead body, "lead_any": words any acceptable lead contains, "reason"}

Selection (documented, not picked by content): the 64 messages whose sha256(id) hex digests sort
first (`select()` below reproduces it; the script refuses labels that do not match it).

    python benchmarks/message_routing.py                 # rules alone (no retrieval scores)
    python benchmarks/message_routing.py --engine        # also through the full engine
    python benchmarks/message_routing.py --rules DIR -v  # another rule directory, every miss

A main domain counts as right when the rules' primary domain is `domain` or one of `domain_ok`
(also printed: strict, `domain` only); a lead counts as right when it contains one of `lead_any`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (a worktree one level deeper looks one more level up)
MESSAGES = next((p / "shared" / "bench" / "messages" / "messages.jsonl" for p in ROOT.parents
                 if (p / "shared" / "bench" / "messages" / "messages.jsonl").is_file()),
                ROOT.parent / "shared" / "bench" / "messages" / "messages.jsonl")
LABELS = ROOT / "tests" / "data" / "message_routing_labels.jsonl"
N_SELECTED = 64


def select(messages: list[dict]) -> list[dict]:
    """The documented selection: first N_SELECTED messages by sha256(id)."""
    return sorted(messages, key=lambda m: hashlib.sha256(m["id"].encode()).hexdigest())[:N_SELECTED]


def score(labels: list[dict], outcomes: dict[str, tuple[str, str]], verbose: bool, title: str) -> None:
    n = len(labels)
    strict = loose = lead = 0
    misses = []
    for lab in labels:
        primary, lead_text = outcomes[lab["id"]]
        ok_strict = primary == lab["domain"]
        ok_loose = ok_strict or primary in lab.get("domain_ok", [])
        ok_lead = any(w in lead_text for w in lab["lead_any"])
        strict += ok_strict
        loose += ok_loose
        lead += ok_lead
        if not (ok_loose and ok_lead):
            misses.append((lab, primary, lead_text, ok_loose, ok_lead))
    print(f"[{title}] messages: {n}")
    print(f"[{title}] main domain accuracy: {loose / n:.1%} ({loose}/{n}); "
          f"strict (first label only): {strict / n:.1%} ({strict}/{n})")
    print(f"[{title}] lead body accuracy: {lead / n:.1%} ({lead}/{n})")
    if verbose:
        for lab, primary, lead_text, ok_d, ok_l in misses:
            print(f"  {lab['id']}: domain {'✓' if ok_d else '✗'} {primary or '—'} (want {lab['domain']}); "
                  f"lead {'✓' if ok_l else '✗'} {lead_text or '—'} (want {lab['lead']})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=Path, default=MESSAGES)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--rules", type=Path, default=None, help="rules directory (default: bundled)")
    ap.add_argument("--engine", action="store_true", help="also run the full engine (retrieval scores)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = ap.parse_args()

    messages = [json.loads(x) for x in args.messages.read_text(encoding="utf-8").splitlines() if x.strip()]
    labels = [json.loads(x) for x in args.labels.read_text(encoding="utf-8").splitlines() if x.strip()]
    chosen = select(messages)
    if [m["id"] for m in chosen] != [lab["id"] for lab in labels]:
        sys.exit("标注文件与文档所述的抽样（sha256(id) 排序前 64 条）不一致")
    text = {m["id"]: m["text"] for m in chosen}

    from zhili.rules import RuleSet, rule_input_for

    rules = RuleSet.load(args.rules)
    outcomes = {}
    for lab in labels:
        o = rules.evaluate(rule_input_for(text[lab["id"]]))
        outcomes[lab["id"]] = (o.primary_domain, o.routing.lead)
    score(labels, outcomes, args.verbose, "rules only")

    if args.engine:
        from zhili.wiring import open_engine

        engine = open_engine(rules_dir=args.rules)
        outcomes = {}
        for lab in labels:
            ans = engine.recommend(text[lab["id"]], top_k=10, explain=False)
            domains = ans.classification.get("domains") or [""]
            outcomes[lab["id"]] = (domains[0], ans.routing.lead if ans.routing else "")
        score(labels, outcomes, args.verbose, "engine")


if __name__ == "__main__":
    main()
