"""Example problems per pack (`tests.jsonl`): run them, check expectations, measure classification.

One JSON object per line:

    {"id": "加梯-低层反对", "text": "问题描述……", "province": "", "level": "",
     "expect": {"domains_include": ["加装电梯"], "lead": "街道办事处", "risk_level": "中"},
     "labels": {"domains": ["加装电梯", "议事协商"]}, "note": "出处或说明"}

`expect` keys (all optional; each is checked against the outcome of the whole rule set):
    domains_include, domains_exclude, primary_domain, setting, urgency, urgency_flags_include,
    lead, lead_contains, supporting_include (an actor also matches “actor（remark）”), basis_contains,
    risk_level, risk_kind (重大行政决策/矛盾纠纷/""), procedures_include, procedures_exclude,
    boosts_include [{facet, value, negative?}], filters_include [{facet, op?, values?}],
    suggestions_include {维度: [做法…]}, fired_include ["row_id" or "table/row_id"]
`labels.domains` is the full correct domain set (first = main domain), used for accuracy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .inputs import rule_input_for
from .outcome import RuleOutcome
from .ruleset import RuleSet
from .schema import DOMAINS, Problem

EXPECT_KEYS = {
    "domains_include", "domains_exclude", "primary_domain", "setting", "urgency",
    "urgency_flags_include", "lead", "lead_contains", "supporting_include", "basis_contains", "risk_kind",
    "risk_level", "procedures_include", "procedures_exclude", "boosts_include",
    "filters_include", "suggestions_include", "fired_include",
}
EXAMPLE_KEYS = {"id", "text", "province", "level", "expect", "labels", "note"}


@dataclass
class Example:
    pack_id: str
    file: str
    line: int
    id: str
    text: str
    province: str = ""
    level: str = ""
    expect: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass
class ExampleResult:
    example: Example
    outcome: RuleOutcome
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def load_examples(rules: RuleSet, pack: str | None = None) -> tuple[list[Example], list[Problem]]:
    """Examples of every pack (or one pack, by folder name or title) and format problems."""
    examples: list[Example] = []
    problems: list[Problem] = []
    for p in rules.packs:
        if pack and pack not in (p.id, p.title):
            continue
        path = p.tests_file
        if not path.is_file():
            continue
        rel = f"{p.id}/{path.name}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(rel, f"第 {n} 行不是合法的 JSON：{exc.msg}", row=str(n)))
                continue
            msg = _check_record(rec)
            if msg:
                problems.append(Problem(rel, f"第 {n} 行：{msg}", row=str(rec.get("id", n))
                                        if isinstance(rec, dict) else str(n)))
                continue
            examples.append(Example(p.id, rel, n, str(rec.get("id") or f"{p.id}:{n}"),
                                    rec["text"], rec.get("province", ""), rec.get("level", ""),
                                    rec.get("expect") or {}, rec.get("labels") or {},
                                    rec.get("note", "")))
    return examples, problems


def _check_record(rec: Any) -> str:
    if not isinstance(rec, dict):
        return "应为 JSON 对象"
    if not isinstance(rec.get("text"), str) or not rec["text"].strip():
        return "缺少 text（问题描述）"
    unknown = set(rec) - EXAMPLE_KEYS
    if unknown:
        return f"未知字段：{'、'.join(sorted(unknown))}"
    bad = set(rec.get("expect") or {}) - EXPECT_KEYS
    if bad:
        return f"expect 中有未知的检查项：{'、'.join(sorted(bad))}（可用：{'、'.join(sorted(EXPECT_KEYS))}）"
    labels = (rec.get("labels") or {}).get("domains", [])
    wrong = [d for d in labels if d not in DOMAINS]
    if wrong:
        return f"labels.domains 中有未知领域：{'、'.join(wrong)}"
    return ""


def _missing(have: list[str], want: list[str]) -> list[str]:
    return [w for w in want if w not in have]


def check(outcome: RuleOutcome, expect: dict[str, Any]) -> list[str]:
    """Human-readable failures of one outcome against its expectations."""
    f: list[str] = []
    o = outcome
    if m := _missing(o.domains, expect.get("domains_include", [])):
        f.append(f"领域缺少 {m}（得到 {o.domains}）")
    if bad := [d for d in expect.get("domains_exclude", []) if d in o.domains]:
        f.append(f"领域不应包含 {bad}（得到 {o.domains}）")
    for key, got in (("primary_domain", o.primary_domain), ("setting", o.setting),
                     ("urgency", o.urgency), ("lead", o.routing.lead),
                     ("risk_level", o.risk.level), ("risk_kind", o.risk.kind)):
        if key in expect and expect[key] != got:
            f.append(f"{key} 应为“{expect[key]}”，得到“{got}”")
    if m := _missing(o.urgency_flags, expect.get("urgency_flags_include", [])):
        f.append(f"紧急情形缺少 {m}（得到 {o.urgency_flags}）")
    if "lead_contains" in expect and expect["lead_contains"] not in o.routing.lead:
        f.append(f"牵头单位应包含“{expect['lead_contains']}”，得到“{o.routing.lead}”")
    have = [*o.routing.supporting, *(re.split(r"[（(]", a, maxsplit=1)[0] for a in o.routing.supporting)]
    if m := _missing(have, expect.get("supporting_include", [])):  # “公安派出所” = “公安派出所（…）”
        f.append(f"配合单位缺少 {m}（得到 {o.routing.supporting}）")
    if "basis_contains" in expect and expect["basis_contains"] not in o.routing.basis:
        f.append(f"依据应提到“{expect['basis_contains']}”")
    if m := _missing(o.risk.procedures, expect.get("procedures_include", [])):
        f.append(f"必经程序缺少 {m}（得到 {o.risk.procedures}）")
    if bad := [p for p in expect.get("procedures_exclude", []) if p in o.risk.procedures]:
        f.append(f"必经程序不应包含 {bad}")
    for want in expect.get("boosts_include", []):
        hit = [b for b in o.boosts if b.facet == want.get("facet") and b.value == want.get("value")]
        if want.get("negative") is not None:
            hit = [b for b in hit if (b.weight < 0) == bool(want["negative"])]
        if not hit:
            f.append(f"缺少加分 {want}")
    for want in expect.get("filters_include", []):
        hit = [x for x in o.filters if x.facet == want.get("facet")
               and ("op" not in want or x.op == want["op"])
               and ("values" not in want or x.values == want["values"])]
        if not hit:
            f.append(f"缺少筛选 {want}（得到 {[x.model_dump(exclude={'rule'}) for x in o.filters]}）")
    for dim, items in (expect.get("suggestions_include") or {}).items():
        if m := _missing(o.suggestions.get(dim, []), items):
            f.append(f"{dim}建议缺少 {m}")
    fired = {(t["table"], t["row_id"]) for t in o.trace}
    for ref in expect.get("fired_include", []):
        table, _, row = ref.rpartition("/")
        if not any(r == row and (not table or t == table) for t, r in fired):
            f.append(f"规则行 {ref} 没有命中")
    return f


def run_examples(rules: RuleSet, pack: str | None = None) -> tuple[list[ExampleResult], list[Problem]]:
    examples, problems = load_examples(rules, pack)
    results = []
    for ex in examples:
        outcome = rules.evaluate(rule_input_for(ex.text, ex.province, ex.level))
        results.append(ExampleResult(ex, outcome, check(outcome, ex.expect)))
    return results, problems


def classification_accuracy(results: list[ExampleResult]) -> dict[str, Any]:
    """问题分类 against `labels.domains` of the examples that have them.

    primary_accuracy   predicted main domain == labelled main domain
    primary_in_labels  predicted main domain is one of the labelled domains
    precision/recall/f1 micro-averaged over the domain sets; exact = identical sets
    """
    labelled = [r for r in results if r.example.labels.get("domains")]
    n = len(labelled)
    if not n:
        return {"n": 0}
    tp = fp = fn = 0
    primary = primary_in = exact = 0
    misses = []
    for r in labelled:
        gold = list(r.example.labels["domains"])
        pred = list(r.outcome.domains)
        tp += len(set(gold) & set(pred))
        fp += len(set(pred) - set(gold))
        fn += len(set(gold) - set(pred))
        primary += bool(pred) and pred[0] == gold[0]
        primary_in += bool(pred) and pred[0] in gold
        exact += set(gold) == set(pred)
        if not pred or pred[0] != gold[0]:
            misses.append({"id": r.example.id, "gold": gold, "predicted": pred})
    p = tp / (tp + fp) if tp + fp else 0.0
    rc = tp / (tp + fn) if tp + fn else 0.0
    return {
        "n": n,
        "primary_accuracy": round(primary / n, 3),
        "primary_in_labels": round(primary_in / n, 3),
        "precision": round(p, 3), "recall": round(rc, 3),
        "f1": round(2 * p * rc / (p + rc), 3) if p + rc else 0.0,
        "exact": round(exact / n, 3),
        "primary_misses": misses,
    }
