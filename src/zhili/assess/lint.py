"""Checking assessment tables cell by cell, with the rule packs' own cell checks.

Each graph kind has a contract like the rule packs' targets: which item fields its columns may
read, which output fields it must write and which values they may take. Cells are validated and
dry-run on a sample item by `zhili.rules.cells` (so a cell that would never match is caught the
same way), then `lint_scoring_coverage` runs every indicator's range through the scoring table:
a value that no row scores is an error, not a silent zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..rules.cells import (ValueCheck, column_id_problems, lint_input_cell, lint_output_cell, lint_rows, number,
                           one_of, table_problem, text)
from ..rules.graph import Row, parse_tables
from ..rules.schema import Problem

if TYPE_CHECKING:
    from .pack import AssessmentPack, Dimension, Indicator

KINDS = ("red_line", "drop", "decline")
KIND_LABELS = {"red_line": "红线预警", "drop": "骤降预警", "decline": "连续下滑预警"}
SEVERITY_LABELS = {3: "红", 2: "橙", 1: "黄"}

# kind → (hit policy, item fields a column may read, output fields required)
CONTRACT: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "scoring": ("first", ("indicator", "value", "dimension", "post"), ("points", "reason")),
    "levels": ("first", ("scope", "score", "red_lines", "warnings", "post"), ("level", "reason")),
    "warnings": ("collect", ("indicator", "dimension", "value", "points", "previous", "drop", "declines",
                             "decline_points", "periods", "post"), ("kind", "severity", "reason")),
    "profiles": ("first", ("post", "dimension"), ("required", "reason")),
    "training": ("collect", ("dimension", "gap", "score", "level", "post"), ("suggestion", "reason")),
}
KIND_TITLES = {"scoring": "指标评分", "levels": "等次评定", "warnings": "动态预警", "profiles": "岗位能力要求",
               "training": "培训建议"}


def sample_item(kind: str, indicators: list["Indicator"], dims: list["Dimension"]) -> dict[str, Any]:
    ind = indicators[0].id if indicators else "X01"
    dim = dims[0].name if dims else "维度"
    return {
        "scoring": {"indicator": ind, "value": 90.0, "dimension": dim, "post": ""},
        "levels": {"scope": "总分", "score": 85.0, "red_lines": 0, "warnings": 0, "post": ""},
        "warnings": {"indicator": ind, "dimension": dim, "value": 90.0, "points": 85.0, "previous": 100.0,
                     "drop": 15.0, "declines": 1, "decline_points": 15.0, "periods": 2, "post": ""},
        "profiles": {"post": "", "dimension": dim},
        "training": {"dimension": dim, "gap": 10.0, "score": 70.0, "level": "", "post": ""},
    }[kind]


def _value_check(kind: str, meta: dict[str, Any]) -> dict[str, ValueCheck]:
    levels = [x for x in meta.get("levels") or [] if isinstance(x, str)] + \
        [x for x in meta.get("weak_levels") or [] if isinstance(x, str)]
    return {
        "scoring": {"points": number(0, 100), "reason": text},
        "levels": {"level": one_of(levels), "reason": text},
        "warnings": {"kind": one_of(KINDS), "severity": one_of((1, 2, 3)), "reason": text},
        "profiles": {"required": number(0, 100), "reason": text},
        "training": {"suggestion": text, "reason": text},
    }[kind]


def lint_pack_graph(graph: Any, file: str, kind: str, meta: dict[str, Any], indicators: list["Indicator"],
                    dims: list["Dimension"]) -> list[Problem]:
    """Every problem of one assessment graph: one loop table keeping the contract of `kind`."""
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
        return [Problem(file, "不是 JDM 决策图：缺少 nodes 列表")]
    tables = parse_tables(graph)
    if len(tables) != 1:
        return [Problem(file, f"测评决策图应只有一张决策表（现有 {len(tables)} 张）")]
    table = tables[0]
    policy, fields, outputs = CONTRACT[kind]
    P = table_problem(file, table)
    out: list[Problem] = []
    c = table.raw
    if table.hit_policy != policy:
        out.append(P(f"{KIND_TITLES[kind]}表的命中策略应为 {policy}（现为“{table.hit_policy}”）"))
    if c.get("executionMode") != "loop" or c.get("inputField") != "items" or table.output_path != "results":
        out.append(P("测评表须逐项执行：executionMode 为 loop，inputField 为 items，outputPath 为 results"))
    edges = graph.get("edges") or []
    if not any(isinstance(e, dict) and e.get("targetId") == table.node_id for e in edges):
        out.append(P("该表没有连线接入，永远不会执行"))
    have = [col.field for col in table.outputs]
    missing = [f for f in outputs if f not in have]
    if missing:
        out.append(P(f"缺少输出字段：{'、'.join(missing)}（{KIND_TITLES[kind]}表需要 {'、'.join(outputs)}）"))
    for col in table.inputs:
        if col.field and col.field not in fields:
            out.append(P(f"输入字段“{col.field}”不在该表的输入中（可用：{'、'.join(fields)}）", cell=col.name or col.id))
    out += column_id_problems(P, table)
    sample = sample_item(kind, indicators, dims)
    checks = _value_check(kind, meta)
    known = {i.id for i in indicators} | {"总分"}

    def check_row(row: Row, rid: str) -> list[Problem]:
        found: list[Problem] = []
        for col in table.inputs:
            cell = row.cells.get(col.id, "")
            found += lint_input_cell(P, rid, col, cell, sample)
            if col.field == "indicator" and isinstance(cell, str) and cell.strip().startswith('"'):
                name = cell.strip().strip('"')
                if name not in known:
                    found.append(P(f"指标“{name}”不在指标清单中", row=rid, cell=col.name))
        for col in table.outputs:
            cell = row.cells.get(col.id, "")
            value, cell_problems = lint_output_cell(P, rid, col, cell, sample)
            found += cell_problems
            check = checks.get(col.field)
            if not cell_problems and check is not None:
                if value is None and col.field in outputs and not (isinstance(cell, str) and cell.strip()):
                    found.append(P("输出为空：该字段必须填写", row=rid, cell=col.name or col.field))
                elif value is not None and (msg := check(value)):
                    found.append(P(msg, row=rid, cell=col.name or col.field))
        return found

    return out + lint_rows(P, table, check_row)


def lint_scoring_coverage(pack: "AssessmentPack", file: str) -> list[Problem]:
    """Every indicator's min, max and a few values between must hit a scoring row."""
    from .engine import run_graph

    items = []
    for ind in pack.indicators:
        span = ind.max - ind.min
        for v in sorted({ind.min, ind.min + span * 0.25, ind.min + span * 0.5, ind.min + span * 0.75, ind.max,
                         float(pack.baseline.get(ind.id, ind.min))}):
            items.append({"indicator": ind.id, "value": v, "dimension": ind.dimension, "post": ""})
    rows = run_graph(pack.graphs["scoring"], items)
    problems = []
    reported: set[str] = set()
    for item, hit in zip(items, rows):
        if hit is None and item["indicator"] not in reported:
            reported.add(item["indicator"])
            problems.append(Problem(file, f"指标 {item['indicator']} 取值 {item['value']:g} 没有任何评分行命中",
                                    node="指标评分", cell=item["indicator"]))
        elif hit is not None and not isinstance(hit[0].get("points"), (int, float)):
            problems.append(Problem(file, f"指标 {item['indicator']} 取值 {item['value']:g} 的得分不是数字",
                                    node="指标评分", row=hit[1], cell="points"))
    return problems
