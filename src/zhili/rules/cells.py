"""Checking one decision table's rows and cells: the part the rule packs (`zhili.rules.lint`) and
the assessment packs (`zhili.assess.lint`) share, so a cell is judged the same way in both.

zen-engine accepts a cell that does not parse and then silently never matches that row, so every
cell is validated (`validate_unary_expression` / `validate_expression`) and dry-run on a sample
input, which also catches what only fails at run time (a bad regular expression in `matches`,
comparing text with a number). Each table's own contract (which fields, which values) stays
with its linter; the value checks here are the vocabulary-free ones both contracts use.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from typing import Any, Callable

import zen

from .graph import Column, Row, Table, get_path
from .schema import Problem

PLAIN_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[^.\s]+)*$")
ProblemAt = Callable[..., Problem]  # P(message, row=, cell=, severity=, column=) for one table
ValueCheck = Callable[[Any], "str | None"]


def table_problem(file: str, table: Table) -> ProblemAt:
    """A Problem maker bound to one table, so each check names only what differs."""
    def make(msg: str, row: str = "", cell: str = "", severity: str = "error", column: str = "") -> Problem:
        return Problem(file, msg, node=table.label, row=row, cell=cell, severity=severity, column=column)
    return make


def first_line(exc: BaseException) -> str:
    """zen's run-time error (often a JSON payload) as one readable line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    try:
        data = json.loads(text)
        return f"{data.get('type', '')}: {data.get('source', '')}".strip(": ")
    except (ValueError, AttributeError):
        return text


def validation_message(resp: Any) -> str:
    """zen's validation answer (a dict or text) as `type: source`."""
    if isinstance(resp, dict):
        return f"{resp.get('type', '')}: {resp.get('source', '')}"
    return str(resp)


def column_id_problems(P: ProblemAt, table: Table) -> list[Problem]:
    """Cells are keyed by column id: an empty or repeated id makes them ambiguous."""
    col_ids = [c.id for c in table.inputs + table.outputs]
    return [P("列 id 为空或重复")] if "" in col_ids or len(set(col_ids)) != len(col_ids) else []


def lint_rows(P: ProblemAt, table: Table, check_row: Callable[[Row, str], list[Problem]]) -> list[Problem]:
    """Every row's `_id` (present, unique: traces and edits point at it), then `check_row`'s
    problems for that row, in table order; `check_row` gets the row and its label."""
    out: list[Problem] = []
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
        out += check_row(row, rid)
    return out


def lint_input_cell(P: ProblemAt, rid: str, c: Column, cell: Any, sample: dict[str, Any]) -> list[Problem]:
    """A condition cell: parses, does not mix and/or, and dry-runs on `sample`."""
    label = c.name or c.field or c.id
    P = functools.partial(P, column=c.id)  # by id: several columns may read the same field
    if not isinstance(cell, str):
        return [P("单元格应为文字", row=rid, cell=label)]
    if not cell.strip():
        return []
    resp = zen.validate_unary_expression(cell)
    if resp:
        hint = "（文字要加英文双引号，如 contains($, \"电梯\")）" if "lexer" in str(resp) else ""
        return [P(f"条件无法解析{hint}：{validation_message(resp)}；单元格内容：{cell}", row=rid, cell=label)]
    problems: list[Problem] = []
    if c.field and mixes_and_or(cell):
        problems.append(P("同一个条件里同时用了 and 和 or：有字段的列按从左到右计算（a or b and c 等于 "
                          "(a or b) and c），且不能用括号；请拆成两行，或把条件拆到两列（列与列之间是“并且”）",
                          row=rid, cell=label, severity="warning"))
    dollar = get_path(sample, c.field) if c.field and PLAIN_FIELD.match(c.field) else None
    try:
        zen.evaluate_unary_expression(cell, {**sample, "$": dollar})
    except Exception as exc:  # zen raises RuntimeError with a JSON payload
        severity = "warning" if dollar is None else "error"
        hint = "（有字段的列里不能用括号组合条件）" if "Incomplete parser output" in str(exc) else ""
        problems.append(P(f"条件试运行出错，该行将永远不会命中{hint}：{first_line(exc)}；单元格内容：{cell}",
                          row=rid, cell=label, severity=severity))
    return problems


def mixes_and_or(cell: str) -> bool:
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


def lint_output_cell(P: ProblemAt, rid: str, c: Column, cell: Any,
                     sample: dict[str, Any]) -> tuple[Any, list[Problem]]:
    """An output cell's value on `sample` (None when empty) and its problems; the value is only
    worth checking further when there are none."""
    label = c.name or c.field or c.id
    P = functools.partial(P, column=c.id)
    if not isinstance(cell, str):
        return None, [P("单元格应为文字", row=rid, cell=label)]
    if not cell.strip():
        return None, []
    resp = zen.validate_expression(cell)
    if resp:
        hint = "（文字要加英文双引号，如 \"街道办事处\"）" if "Unmatched symbol" in str(resp) or "lexer" in str(resp) else ""
        return None, [P(f"输出表达式无法解析{hint}：{validation_message(resp)}；单元格内容：{cell}",
                        row=rid, cell=label)]
    try:
        return zen.evaluate_expression(cell, sample), []
    except Exception as exc:
        return None, [P(f"输出表达式试运行出错：{first_line(exc)}；单元格内容：{cell}", row=rid, cell=label)]


# --- output value checks both contracts use -----------------------------------------------------

def one_of(allowed: Sequence[Any], empty_ok: bool = False) -> ValueCheck:
    """The value must be one of `allowed` (text or numbers, listed in the message)."""
    def check(v: Any) -> str | None:
        if empty_ok and v in ("", None):
            return None
        return None if v in allowed else f"取值“{v}”无效（可选：{'、'.join(map(str, allowed))}）"
    return check


def number(lo: float | None = None, hi: float | None = None) -> ValueCheck:
    """A number (not a bool), within [lo, hi] when given."""
    def check(v: Any) -> str | None:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return "应为数字"
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            return f"应在 {lo}–{hi} 之间"
        return None
    return check


def text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "应为非空文字"
