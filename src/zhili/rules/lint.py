"""Checking a decision graph before anything is loaded.

zen-engine accepts a graph whose cells do not parse and then silently never matches those rows,
so every cell is validated here (`validate_expression` / `validate_unary_expression`) and then
dry-run against a sample input, which also catches what only fails at run time (a bad regular
expression in `matches`, comparing text with a number). Output values are checked against the
vocabularies the code relies on (33 domains, 低/中/高, facets …).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

import zen

from .graph import Table, get_path, parse_tables
from .inputs import build_rule_input
from .schema import (COLLECT_TARGETS, DOMAINS, FACETS, FILTER_OPS, FIRST_FIELDS, HIT_POLICIES,
                     KNOWN_FIELDS, LEADERSHIP, LEVELS, NODE_TYPES, RISK_KINDS, RISK_LEVELS, SETTINGS,
                     URGENCY_LEVELS, Problem)

_PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[^.\s]+)*$")


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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    try:
        data = json.loads(text)
        return f"{data.get('type', '')}: {data.get('source', '')}".strip(": ")
    except (ValueError, AttributeError):
        return text


def _validation_message(resp: Any) -> str:
    if isinstance(resp, dict):
        return f"{resp.get('type', '')}: {resp.get('source', '')}"
    return str(resp)


# --- output value checks ----------------------------------------------------------------------

def _str_or_list(allowed: tuple[str, ...] | None = None) -> Callable[[Any], str | None]:
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


def _one_of(allowed: tuple[str, ...], empty_ok: bool = False) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if empty_ok and v in ("", None):
            return None
        return None if v in allowed else f"取值“{v}”无效（可选：{'、'.join(allowed)}）"
    return check


def _number(v: Any) -> str | None:
    return None if isinstance(v, (int, float)) and not isinstance(v, bool) else "应为数字"


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "应为非空文字"


def _str_list(v: Any) -> str | None:
    if v is None or v == []:
        return None
    return None if isinstance(v, list) and all(isinstance(x, str) for x in v) else "应为文字列表，如 [\"街道办事处\"]"


def _any_text(v: Any) -> str | None:
    return None if v is None or isinstance(v, str) else "应为文字"


VALUE_CHECKS: dict[str, dict[str, Callable[[Any], str | None]]] = {
    "domain_tags": {"domain": _str_or_list(DOMAINS), "weight": _number},
    "urgency_tags": {"flag": _text, "level": _one_of(URGENCY_LEVELS)},
    "support_tags": {"actors": _str_or_list(), "reason": _any_text},
    "risk_factors": {"factor": _text, "level": _one_of(RISK_LEVELS), "procedures": _str_list,
                     "reason": _text, "kind": _one_of(RISK_KINDS, empty_ok=True)},
    "boosts": {"facet": _one_of(FACETS), "value": _str_or_list(), "weight": _number,
               "reason": _any_text},
    "filters": {"facet": _one_of(FACETS), "op": _one_of(FILTER_OPS), "values": _str_or_list(),
                "reason": _any_text},
    "suggestions": {k: _str_list for k in COLLECT_TARGETS["suggestions"]},
    "setting": {"setting": _one_of(SETTINGS, empty_ok=True)},
    "routing": {"routing.lead": _text, "routing.supporting": _str_list,
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
                    problems.append(Problem(file, f"表达式无法解析：{_validation_message(resp)}",
                                            node=str(n.get("name")), cell=str(ex.get("key", ""))))
    return problems


def _lint_table(table: Table, file: str, sample: dict[str, Any]) -> list[Problem]:
    P = lambda msg, row="", cell="", severity="error", column="": Problem(  # noqa: E731
        file, msg, node=table.label, row=row, cell=cell, severity=severity, column=column)
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
    col_ids = [c.id for c in table.inputs + table.outputs]
    if "" in col_ids or len(set(col_ids)) != len(col_ids):
        out.append(P("列 id 为空或重复"))
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
        if _PLAIN_FIELD.match(c.field):
            if c.field.split(".")[0] not in KNOWN_FIELDS:
                out.append(P(f"输入字段“{c.field}”不在规则输入中（可用：{'、'.join(KNOWN_FIELDS)}）",
                             cell=c.name or c.id, column=c.id))
        else:
            resp = zen.validate_expression(c.field)
            if resp:
                out.append(P(f"输入列表达式无法解析：{_validation_message(resp)}", cell=c.name or c.id, column=c.id))

    # rows and cells
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
        for key in row.cells:
            if key not in col_ids:
                out.append(P(f"单元格指向不存在的列“{key}”（已删除的列？）", row=rid, severity="warning"))
        for c in table.inputs:
            cell = row.cells.get(c.id, "")
            out += _lint_input_cell(P, rid, c, cell, sample)
        values: dict[str, Any] = {}
        for c in table.outputs:
            cell = row.cells.get(c.id, "")
            ok, value = _lint_output_cell(P, out, rid, c, cell, sample)
            if ok:
                values[c.field] = value
        out += _check_values(P, rid, table, values)
    return out


def _lint_input_cell(P: Callable[..., Problem], rid: str, c: Any, cell: Any,
                     sample: dict[str, Any]) -> list[Problem]:
    label = c.name or c.field or c.id
    P = functools.partial(P, column=c.id)  # by id: several columns may read the same field
    if not isinstance(cell, str):
        return [P("单元格应为文字", row=rid, cell=label)]
    if not cell.strip():
        return []
    resp = zen.validate_unary_expression(cell)
    if resp:
        hint = "（文字要加英文双引号，如 contains($, \"电梯\")）" if "lexer" in str(resp) else ""
        return [P(f"条件无法解析{hint}：{_validation_message(resp)}；单元格内容：{cell}", row=rid, cell=label)]
    problems: list[Problem] = []
    if c.field and _mixes_and_or(cell):
        problems.append(P("同一个条件里同时用了 and 和 or：有字段的列按从左到右计算（a or b and c 等于 "
                          "(a or b) and c），且不能用括号；请拆成两行，或把条件拆到两列（列与列之间是“并且”）",
                          row=rid, cell=label, severity="warning"))
    dollar = get_path(sample, c.field) if c.field and _PLAIN_FIELD.match(c.field) else None
    try:
        zen.evaluate_unary_expression(cell, {**sample, "$": dollar})
    except Exception as exc:  # zen raises RuntimeError with a JSON payload
        severity = "warning" if dollar is None else "error"
        hint = "（有字段的列里不能用括号组合条件）" if "Incomplete parser output" in str(exc) else ""
        problems.append(P(f"条件试运行出错，该行将永远不会命中{hint}：{_first_line(exc)}；单元格内容：{cell}",
                          row=rid, cell=label, severity=severity))
    return problems


def _mixes_and_or(cell: str) -> bool:
    """True when `and` and `or` both appear outside strings, brackets and function calls."""
    depth, quote, top = 0, "", []
    for ch in cell:
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            top.append(ch)
    words = "".join(top).split()
    return "and" in words and "or" in words


def _lint_output_cell(P: Callable[..., Problem], out: list[Problem], rid: str, c: Any, cell: Any,
                      sample: dict[str, Any]) -> tuple[bool, Any]:
    label = c.name or c.field or c.id
    P = functools.partial(P, column=c.id)
    if not isinstance(cell, str):
        out.append(P("单元格应为文字", row=rid, cell=label))
        return False, None
    if not cell.strip():
        return True, None
    resp = zen.validate_expression(cell)
    if resp:
        hint = "（文字要加英文双引号，如 \"街道办事处\"）" if "Unmatched symbol" in str(resp) or "lexer" in str(resp) else ""
        out.append(P(f"输出表达式无法解析{hint}：{_validation_message(resp)}；单元格内容：{cell}",
                     row=rid, cell=label))
        return False, None
    try:
        return True, zen.evaluate_expression(cell, sample)
    except Exception as exc:
        out.append(P(f"输出表达式试运行出错：{_first_line(exc)}；单元格内容：{cell}", row=rid, cell=label))
        return False, None


def _check_values(P: Callable[..., Problem], rid: str, table: Table,
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
