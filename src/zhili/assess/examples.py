"""An assessment pack's example histories (`tests.jsonl`), like a rule pack's example problems.

One JSON object per line:

    {"id": "书记空缺-红线", "note": "…", "post": "网格员",
     "history": [{"period": "2025Q1", "values": {}}, {"period": "2025Q2", "values": {"H05": 4}}],
     "expect": {"total": 86.5, "level": "软弱涣散预警", "dimensions": {"班子队伍": 32.5},
                "warnings": [["red_line", "H05"]], "no_warnings": false, "training_include": ["应急处突"]}}

Each period's values start from the previous period's (the first from the pack's `baseline`), so
an example names only what changes. Expectations are checked on the last period; `warnings` is
the exact set of (kind, indicator) pairs that must fire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..rules.schema import Problem
from .engine import PeriodResult, Record, assess
from .pack import AssessmentPack

EXPECT_KEYS = {"total", "level", "dimensions", "dimension_levels", "warnings", "no_warnings", "training_include",
               "gaps"}


@dataclass
class ExampleResult:
    id: str
    line: int
    result: PeriodResult | None
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def load_examples(pack: AssessmentPack) -> tuple[list[dict[str, Any]], list[Problem]]:
    path = pack.tests_file
    rel = f"{pack.name}/tests.jsonl"
    if not path.is_file():
        return [], [Problem(rel, "没有示例文件 tests.jsonl", severity="warning")]
    out, problems = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(rel, f"第 {n} 行不是合法的 JSON：{exc.msg}", row=str(n)))
            continue
        msg = _check(rec, pack)
        if msg:
            problems.append(Problem(rel, f"第 {n} 行：{msg}", row=str(rec.get("id", n)) if isinstance(rec, dict) else str(n)))
            continue
        rec["_line"] = n
        out.append(rec)
    return out, problems


def _check(rec: Any, pack: AssessmentPack) -> str:
    if not isinstance(rec, dict):
        return "应为 JSON 对象"
    hist = rec.get("history")
    if not isinstance(hist, list) or not hist or not all(isinstance(h, dict) and isinstance(h.get("period"), str)
                                                         for h in hist):
        return "history 应为 [{\"period\": \"2025Q1\", \"values\": {…}}, …]"
    unknown = {k for h in hist for k in (h.get("values") or {}) if pack.indicator(k) is None}
    if unknown:
        return f"history 中有未知指标：{'、'.join(sorted(unknown))}"
    bad = set(rec.get("expect") or {}) - EXPECT_KEYS
    if bad:
        return f"expect 中有未知的检查项：{'、'.join(sorted(bad))}（可用：{'、'.join(sorted(EXPECT_KEYS))}）"
    return ""


def run_example(pack: AssessmentPack, rec: dict[str, Any]) -> ExampleResult:
    values = dict(pack.baseline)
    records = []
    for h in rec["history"]:
        values = {**values, **{k: float(v) for k, v in (h.get("values") or {}).items()}}
        records.append(Record("示例", h["period"], dict(values), post=str(rec.get("post", ""))))
    missing = [i.id for i in pack.indicators if i.id not in values]
    if missing:
        return ExampleResult(str(rec.get("id")), rec.get("_line", 0), None,
                             [f"缺少指标取值（pack.json 的 baseline 也没有）：{'、'.join(missing)}"])
    last = assess(pack, records)["示例"][-1]
    return ExampleResult(str(rec.get("id")), rec.get("_line", 0), last, check(last, rec.get("expect") or {}))


def check(r: PeriodResult, expect: dict[str, Any]) -> list[str]:
    f: list[str] = []
    if "total" in expect and abs(r.total - float(expect["total"])) > 0.01:
        f.append(f"总分应为 {expect['total']}，得到 {r.total}")
    if "level" in expect and r.level != expect["level"]:
        f.append(f"等次应为“{expect['level']}”，得到“{r.level}”（{r.level_reason}）")
    for name, score in (expect.get("dimensions") or {}).items():
        got = r.dimensions.get(name, {}).get("score")
        if got is None or abs(got - float(score)) > 0.01:
            f.append(f"维度“{name}”应为 {score}，得到 {got}")
    for name, level in (expect.get("dimension_levels") or {}).items():
        got = r.dimensions.get(name, {}).get("level")
        if got != level:
            f.append(f"维度“{name}”等次应为“{level}”，得到“{got}”")
    for name, gap in (expect.get("gaps") or {}).items():
        got = r.dimensions.get(name, {}).get("gap")
        if got is None or abs(got - float(gap)) > 0.01:
            f.append(f"维度“{name}”差距应为 {gap}，得到 {got}")
    fired = sorted({(w.kind, w.indicator) for w in r.warnings})
    if "warnings" in expect:
        want = sorted({(k, i) for k, i in expect["warnings"]})
        if want != fired:
            f.append(f"预警应为 {want}，得到 {fired}")
    if expect.get("no_warnings") and fired:
        f.append(f"不应有预警，得到 {fired}")
    got_training = {t["dimension"] for t in r.training}
    missing = [d for d in expect.get("training_include") or [] if d not in got_training]
    if missing:
        f.append(f"培训建议缺少维度 {missing}（得到 {sorted(got_training)}）")
    return f


def run_examples(pack: AssessmentPack) -> tuple[list[ExampleResult], list[Problem]]:
    examples, problems = load_examples(pack)
    return [run_example(pack, rec) for rec in examples], problems
