"""Checking assessment tables cell by cell, with the rule packs' own cell checks.

Each graph kind has a contract like the rule packs' targets: which item fields its columns may
read, which output fields it must write and which values they may take. Cells are validated and
dry-run on a sample item by `zhili.rules.lint` (so a cell that would never match is caught the
same way), then `lint_scoring_coverage` runs every indicator's range through the scoring table:
a value that no row scores is an error, not a silent zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..rules.graph import parse_tables
from ..rules.lint import _lint_input_cell, _lint_output_cell  # the rule packs' cell checks
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


def _value_check(kind: str, meta: dict[str, Any], dims: list["Dimension"]) -> dict[str, Callable[[Any], str | None]]:
    levels = [x for x in meta.get("levels") or [] if isinstance(x, str)] + \
        [x for x in meta.get("weak_levels") or [] if isinstance(x, str)]

    def number(lo: float | None = None, hi: float | None = None) -> Callable[[Any], str | None]:
        def check(v: Any) -> str | None:
            if v is None:
                return None  # an expression over the item (e.g. value) — dry-run decides
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                return "应为数字"
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                return f"应在 {lo}–{hi} 之间"
            return None
        return check

    def text(v: Any) -> str | None:
        return None if isinstance(v, str) and v.strip() else "应为非空文字"

    def one_of(allowed: list[str] | tuple[str, ...]) -> Callable[[Any], str | None]:
        return lambda v: None if v in allowed else f"取值“{v}”无效（可选：{'、'.join(allowed)}）"

    return {
        "scoring": {"points": number(0, 100), "reason": text},
        "levels": {"level": one_of(levels), "reason": text},
        "warnings": {"kind": one_of(KINDS), "severity": one_of((1, 2, 3)), "reason": text},  # type: ignore[arg-type]
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
    P = lambda msg, row="", cell="", severity="error", column="": Problem(  # noqa: E731
        file, msg, node=table.label, row=row, cell=cell, severity=severity, column=column)
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
    col_ids = [col.id for col in table.inputs + table.outputs]
    if "" in col_ids or len(set(col_ids)) != len(col_ids):
        out.append(P("列 id 为空或重复"))
    sample = sample_item(kind, indicators, dims)
    checks = _value_check(kind, meta, dims)
    known = {i.id for i in indicators} | {"总分"}
    seen: set[str] = set()
    if not table.rows:
        out.append(P("表中没有规则行", severity="warning"))
    for row in table.rows:
        rid = row.id or f"#{row.index + 1}"
        if not row.id:
            out.append(P("规则行缺少 _id", row=rid))
        elif row.id in seen:
            out.append(P("规则行 _id 重复", row=rid))
        seen.add(row.id)
        for col in table.inputs:
            cell = row.cells.get(col.id, "")
            out += _lint_input_cell(P, rid, col, cell, sample)
            if col.field == "indicator" and isinstance(cell, str) and cell.strip().startswith('"'):
                name = cell.strip().strip('"')
                if name not in known:
                    out.append(P(f"指标“{name}”不在指标清单中", row=rid, cell=col.name))
        for col in table.outputs:
            cell = row.cells.get(col.id, "")
            ok, value = _lint_output_cell(P, out, rid, col, cell, sample)
            check = checks.get(col.field)
            if ok and check is not None:
                if value is None and col.field in outputs and not (isinstance(cell, str) and cell.strip()):
                    out.append(P("输出为空：该字段必须填写", row=rid, cell=col.name or col.field))
                elif value is not None and (msg := check(value)):
                    out.append(P(msg, row=rid, cell=col.name or col.field))
    return out


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
