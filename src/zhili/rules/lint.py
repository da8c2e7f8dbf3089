"""Checking a decision graph before anything is loaded.

zen-engine accepts a graph whose cells do not parse and then silently never matches those rows,
so every cell is validated here (`validate_expression` / `validate_unary_expression`) and then
dry-run against a sample input, which also catches what only fails at run time (a bad regular
expression in `matches`, comparing text with a number). Output values are checked against the
vocabularies the code relies on (33 domains, 低/中/高, facets …).
"""

from __future__ import annotations

import json
from typing import Any

import zen

from .cells import (PLAIN_FIELD, ProblemAt, ValueCheck, column_id_problems, lint_input_cell, lint_output_cell, lint_rows,
                    number, one_of, table_problem, text, validation_message)
from .graph import Row, Table, parse_tables
from .inputs import build_rule_input
from .schema import (COLLECT_TARGETS, DOMAINS, FACETS, FILTER_OPS, FIRST_FIELDS, HIT_POLICIES,
                     KNOWN_FIELDS, LEADERSHIP, LEVELS, NODE_TYPES, RISK_KINDS, RISK_LEVELS, SETTINGS,
                     URGENCY_LEVELS, Problem)


def sample_context() -> dict[str, Any]:
    """A realistic input with every field filled, for dry-running cells."""
    ctx = build_rule_input(
        "小区想加装电梯，一楼住户反对，物业说管不了。另反映路灯不亮。",
        ["小区", "加装电梯", "一楼", "住户", "反对", "物业"], ["加装电梯", "物业服务"],
        {"加装电梯": 0.8, "议事协商": 0.4}, province="浙江", level="村社区")
    ctx.update({
        "domains": ["加装电梯", "议事协商"], "primary_domain": "加装电梯",
        "main_domains": ["加装电梯", "议事协商"],
        "domain_weights": {"加装电梯": 2.0, "议事协商": 0.6}, "setting": "城市",
        "urgency": "一般", "urgency_flags": [],
        "routing": {"lead": "街道办事处", "supporting": ["社区居委会"], "basis": ""},
        "risk_level": "中", "risk_flags": ["加装电梯"],
    })
    return ctx


# --- output value checks ----------------------------------------------------------------------

def _str_or_list(allowed: tuple[str, ...] | None = None) -> ValueCheck:
    def check(v: Any) -> str | None:
        items = v if isinstance(v, list) else [v]
        if not items or not all(isinstance(x, str) and x for x in items):
            return "应为文字或文字列表"
        if allowed:
            bad = [x for x in items if x not in allowed]
            if bad:
                return f"取值“{'、'.join(bad)}”不在词表内（可选：{'、'.join(allowed)}）"
        return None
    return check


def _str_list(v: Any) -> str | None:
    if v is None or v == []:
        return None
    return None if isinstance(v, list) and all(isinstance(x, str) for x in v) else "应为文字列表，如 [\"街道办事处\"]"


def _any_text(v: Any) -> str | None:
    return None if v is None or isinstance(v, str) else "应为文字"


VALUE_CHECKS: dict[str, dict[str, ValueCheck]] = {
    "domain_tags": {"domain": _str_or_list(DOMAINS), "weight": number()},
    "urgency_tags": {"flag": text, "level": one_of(URGENCY_LEVELS)},
    "support_tags": {"actors": _str_or_list(), "reason": _any_text},
    "risk_factors": {"factor": text, "level": one_of(RISK_LEVELS), "procedures": _str_list,
                     "reason": text, "kind": one_of(RISK_KINDS, empty_ok=True)},
    "boosts": {"facet": one_of(FACETS), "value": _str_or_list(), "weight": number(),
               "reason": _any_text},
    "filters": {"facet": one_of(FACETS), "op": one_of(FILTER_OPS), "values": _str_or_list(),
                "reason": _any_text},
    "suggestions": {k: _str_list for k in COLLECT_TARGETS["suggestions"]},
    "setting": {"setting": one_of(SETTINGS, empty_ok=True)},
    "routing": {"routing.lead": text, "routing.supporting": _str_list,
                "routing.basis": _any_text},
}
FACET_VALUES = {"domain": DOMAINS, "level": LEVELS, "leadership": LEADERSHIP}


# --- the checks -------------------------------------------------------------------------------

def parse_json(text: str, file: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Problem(file, f"不是合法的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}")]
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return None, [Problem(file, "不是 JDM 决策图：缺少 nodes 列表")]
    return data, []


def lint_graph(graph: dict[str, Any], file: str) -> list[Problem]:
    """Every problem in one decision graph (structure, cells, outputs)."""
    problems: list[Problem] = []
    nodes = [n for n in graph.get("nodes") or [] if isinstance(n, dict)]
    ids = [n.get("id") for n in nodes]
    for n in nodes:
        if n.get("type") not in NODE_TYPES:
            problems.append(Problem(file, f"不支持的节点类型“{n.get('type')}”（可用：{'、'.join(NODE_TYPES)}）",
                                    node=str(n.get("name") or n.get("id"))))
    if len([n for n in nodes if n.get("type") == "inputNode"]) != 1:
        problems.append(Problem(file, "决策图必须有且只有一个输入节点 (inputNode)"))
    if not any(n.get("type") == "outputNode" for n in nodes):
        problems.append(Problem(file, "决策图缺少输出节点 (outputNode)"))
    if len(set(ids)) != len(ids):
        problems.append(Problem(file, "节点 id 重复"))
    targets_in: set[str] = set()
    for e in graph.get("edges") or []:
        if not isinstance(e, dict):
            continue
        for end in ("sourceId", "targetId"):
            if e.get(end) not in ids:
                problems.append(Problem(file, f"连线 {e.get('id')} 的 {end} 指向不存在的节点“{e.get(end)}”"))
        targets_in.add(e.get("targetId"))

    sample = sample_context()
    paths_seen: dict[str, str] = {}
    for table in parse_tables(graph):
        if table.node_id not in targets_in:
            problems.append(Problem(file, "该表没有连线接入，永远不会执行", node=table.label))
        problems += _lint_table(table, file, sample)
        key = table.output_path or ""
        if table.hit_policy == "collect" and key:
            if key in paths_seen:
                problems.append(Problem(
                    file, f"与表“{paths_seen[key]}”使用了相同的输出路径“{key}”，后执行的表会覆盖前者；"
                    f"请改用 {key.split('.')[0]}.子名称", node=table.label))
            paths_seen[key] = table.label
    for n in nodes:
        if n.get("type") == "expressionNode":
            for ex in (n.get("content") or {}).get("expressions") or []:
                value = ex.get("value", "") if isinstance(ex, dict) else ""
                resp = zen.validate_expression(value) if isinstance(value, str) else "not text"
                if resp:
                    problems.append(Problem(file, f"表达式无法解析：{validation_message(resp)}",
                                            node=str(n.get("name")), cell=str(ex.get("key", ""))))
    return problems


def _lint_table(table: Table, file: str, sample: dict[str, Any]) -> list[Problem]:
    P = table_problem(file, table)
    out: list[Problem] = []
    content = table.raw
    if table.hit_policy not in HIT_POLICIES:
        out.append(P(f"命中策略“{table.hit_policy}”不受支持（zen-engine 只支持 first / collect）"))
    if content.get("passThrough") is not True:
        out.append(P("请打开“Pass through”（passThrough: true），否则后面的表看不到原始输入"))
    if content.get("inputField"):
        out.append(P("请把“Input field”留空：规则应读取完整输入"))
    if content.get("executionMode") not in (None, "", "single"):
        out.append(P("执行模式只能是 single"))
    out += column_id_problems(P, table)
    for c in table.outputs:
        if not c.field:
            out.append(P("输出列没有填写字段名", cell=c.name or c.id, column=c.id))

    # contract: what the table writes
    target = table.target
    fields = [c.field for c in table.outputs]
    if table.hit_policy == "collect":
        root = table.output_path.split(".")[0]
        if not table.output_path:
            out.append(P("collect 表必须设置输出路径 (outputPath)，否则结果会替换掉全部输入；"
                         f"可用：{'、'.join(COLLECT_TARGETS)}"))
        elif root not in COLLECT_TARGETS:
            out.append(P(f"输出路径“{table.output_path}”不是已知目标（可用：{'、'.join(COLLECT_TARGETS)}）"))
        else:
            missing = [f for f in COLLECT_TARGETS[root] if f not in fields]
            if missing:
                out.append(P(f"缺少输出字段：{'、'.join(missing)}（{root} 需要 {'、'.join(COLLECT_TARGETS[root])}）"))
    elif table.hit_policy == "first":
        keys = table.output_keys()
        if not target:
            known = [f for fs in FIRST_FIELDS.values() for f in fs]
            out.append(P(f"first 表的输出字段 {keys} 不是已知目标（可用：{'、'.join(known)}）"))
        elif target == "routing":
            missing = [f for f in FIRST_FIELDS["routing"] if f not in keys]
            if missing:
                out.append(P(f"缺少输出字段：{'、'.join(missing)}"))

    # columns read existing fields
    for c in table.inputs:
        if not c.field:
            continue
        if PLAIN_FIELD.match(c.field):
            if c.field.split(".")[0] not in KNOWN_FIELDS:
                out.append(P(f"输入字段“{c.field}”不在规则输入中（可用：{'、'.join(KNOWN_FIELDS)}）",
                             cell=c.name or c.id, column=c.id))
        else:
            resp = zen.validate_expression(c.field)
            if resp:
                out.append(P(f"输入列表达式无法解析：{validation_message(resp)}", cell=c.name or c.id, column=c.id))

    # rows and cells
    col_ids = {c.id for c in table.inputs + table.outputs}

    def check_row(row: Row, rid: str) -> list[Problem]:
        found = [P(f"单元格指向不存在的列“{key}”（已删除的列？）", row=rid, severity="warning")
                 for key in row.cells if key not in col_ids]
        for c in table.inputs:
            found += lint_input_cell(P, rid, c, row.cells.get(c.id, ""), sample)
        values: dict[str, Any] = {}
        for c in table.outputs:
            value, cell_problems = lint_output_cell(P, rid, c, row.cells.get(c.id, ""), sample)
            found += cell_problems
            if not cell_problems:
                values[c.field] = value
        return found + _check_values(P, rid, table, values)

    return out + lint_rows(P, table, check_row)


def _check_values(P: ProblemAt, rid: str, table: Table,
                  values: dict[str, Any]) -> list[Problem]:
    target = table.target
    if not target:
        return []
    out: list[Problem] = []
    checks = VALUE_CHECKS.get(target, {})
    prefix = f"{table.output_path}." if table.output_path and table.hit_policy == "first" else ""
    column = {c.field: c.id for c in table.outputs}  # the column that wrote each output field
    for fld, value in values.items():
        check = checks.get(prefix + fld) or checks.get(fld)
        if check is None:
            continue
        if value is None:
            if target in ("domain_tags", "risk_factors", "boosts", "filters", "urgency_tags") \
                    or prefix + fld == "routing.lead":
                out.append(P("输出为空：该字段必须填写", row=rid, cell=fld, column=column.get(fld, "")))
            continue
        msg = check(value)
        if msg:
            out.append(P(msg, row=rid, cell=fld, column=column.get(fld, "")))
    if target in ("boosts", "filters"):
        facet = values.get("facet")
        allowed = FACET_VALUES.get(facet) if isinstance(facet, str) else None
        raw = values.get("value" if target == "boosts" else "values")
        if allowed and raw is not None:
            items = raw if isinstance(raw, list) else [raw]
            bad = [x for x in items if isinstance(x, str) and x and x not in allowed]
            if bad:
                fld = "value" if target == "boosts" else "values"
                out.append(P(f"{facet} 的取值“{'、'.join(bad)}”不在词表内", row=rid, cell=fld,
                             column=column.get(fld, "")))
    return out
