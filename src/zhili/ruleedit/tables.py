"""The editable grid: a rule set's decision tables as packs → tables → columns and rows, an edited
table written back into its JDM graph, and lint problems placed on (row, column) of the grid.

Cells stay zen expressions exactly as the JDM file holds them (`contains($, "电梯")`,
`"街道办事处"`), so the grid, the Excel sheets and the GoRules editor all show the same text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..rules.graph import Table, parse_tables
from ..rules.lint import lint_graph, parse_json
from ..rules.schema import COLLECT_TARGETS, FIRST_FIELDS, Problem

MAX_ROWS = 5000
MAX_CELL = 20_000
ROW_HEADERS = ("编号", "说明")  # _id and _description, before the columns in the grid and in Excel

TARGET_LABELS = {
    "domain_tags": "问题分类：领域标签", "urgency_tags": "问题分类：紧急情形", "support_tags": "权责清单：补充配合单位",
    "risk_factors": "风险评估：风险因素", "boosts": "匹配引导：加分/降分", "filters": "匹配引导：硬性筛选",
    "suggestions": "四个引领建议", "setting": "城乡环境", "routing": "权责清单：牵头与配合",
}
HIT_LABELS = {"first": "自上而下，第一条命中的行生效", "collect": "所有命中的行都生效"}
assert set(TARGET_LABELS) == set(COLLECT_TARGETS) | set(FIRST_FIELDS)


class EditError(ValueError):
    """An edit that cannot be applied (unknown pack/table/column, bad row shape); Chinese message."""


@dataclass(frozen=True)
class TableEdit:
    pack: str
    table: str
    rows: list[dict[str, Any]]


def manifest(files: dict[str, str], pack: str) -> dict[str, Any]:
    try:
        meta = json.loads(files[f"{pack}/pack.json"])
    except KeyError:
        raise EditError(f"规则包“{pack}”不存在") from None
    except json.JSONDecodeError as exc:
        raise EditError(f"{pack}/pack.json 不是合法的 JSON：{exc.msg}") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("graph"), str):
        raise EditError(f"{pack}/pack.json 缺少 graph")
    return meta


def pack_ids(files: dict[str, str]) -> list[str]:
    return sorted({rel.split("/")[0] for rel in files if rel.endswith("/pack.json")})


def graph_of(files: dict[str, str], pack: str) -> tuple[str, dict[str, Any]]:
    """(file path, parsed graph) of a pack."""
    rel = f"{pack}/{manifest(files, pack)['graph']}"
    if rel not in files:
        raise EditError(f"找不到决策图文件 {rel}")
    graph, problems = parse_json(files[rel], rel)
    if graph is None:
        raise EditError(problems[0].message if problems else f"{rel} 无法读取")
    return rel, graph


def column_headers(cols: list[Any], reserved: tuple[str, ...] = ROW_HEADERS) -> list[str]:
    """The header of each column (name, else field, else id), unique within its table.

    A table may hold several columns on the same field (问题主体 / 且出现 / 排除 all read
    focus_text), and columns without a name would all be called by that field: such headers get
    the column id appended, so the grid and the Excel sheet always name one column, and an import
    maps each header back to exactly that column id. `reserved` are headers taken already
    (编号, 说明)."""
    def get(c: Any, key: str) -> str:
        value = c.get(key) if isinstance(c, dict) else getattr(c, key, "")
        return value if isinstance(value, str) else ""

    bases = [get(c, "name") or get(c, "field") or get(c, "id") for c in cols]
    used, out = set(reserved), []
    for c, base in zip(cols, bases):
        label = base
        if label in used or bases.count(base) > 1:
            label = f"{base}（{get(c, 'id')}）"
        n = 2
        while label in used:
            label, n = f"{base}（{get(c, 'id')}-{n}）", n + 1
        used.add(label)
        out.append(label)
    return out


def _columns(cols: list[Any], headers: list[str]) -> list[dict[str, str]]:
    return [{"id": c.id, "name": h, "field": c.field} for c, h in zip(cols, headers)]


def table_view(t: Table) -> dict[str, Any]:
    headers = column_headers(t.inputs + t.outputs)
    return {"id": t.node_id, "label": t.label, "hit_policy": t.hit_policy,
            "hit_label": HIT_LABELS.get(t.hit_policy, t.hit_policy), "output_path": t.output_path,
            "target": t.target, "target_label": TARGET_LABELS.get(t.target, ""),
            "inputs": _columns(t.inputs, headers[:len(t.inputs)]),
            "outputs": _columns(t.outputs, headers[len(t.inputs):]),
            "rows": [{"_id": r.id, "_description": r.description,
                      "cells": {c.id: r.cells.get(c.id, "") if isinstance(r.cells.get(c.id, ""), str) else
                                json.dumps(r.cells.get(c.id), ensure_ascii=False)
                                for c in t.inputs + t.outputs}} for r in t.rows]}


def packs_view(files: dict[str, str]) -> list[dict[str, Any]]:
    """Every pack with its tables, in evaluation order; a pack whose files are broken carries `error`."""
    out = []
    for pack in pack_ids(files):
        try:
            meta = manifest(files, pack)
            rel, graph = graph_of(files, pack)
            tables = [table_view(t) for t in parse_tables(graph)]
            out.append({"id": pack, "title": str(meta.get("title", pack)), "description": str(meta.get("description", "")),
                        "graph": rel, "tables": tables, "error": ""})
        except EditError as exc:
            out.append({"id": pack, "title": pack, "description": "", "graph": "", "tables": [], "error": str(exc)})
    return out


def _node(graph: dict[str, Any], table: str) -> dict[str, Any]:
    for node in graph.get("nodes") or []:
        if isinstance(node, dict) and node.get("type") == "decisionTableNode" and table in (node.get("id"), node.get("name")):
            return node
    raise EditError(f"决策表“{table}”不存在")


def _clean_rows(rows: Any, col_ids: list[str]) -> list[dict[str, str]]:
    if not isinstance(rows, list):
        raise EditError("rows 应为列表")
    if len(rows) > MAX_ROWS:
        raise EditError(f"一张表最多 {MAX_ROWS} 行")
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise EditError(f"第 {i} 行应为对象")
        cells = row.get("cells", {k: v for k, v in row.items() if not k.startswith("_")})
        if not isinstance(cells, dict):
            raise EditError(f"第 {i} 行的 cells 应为对象")
        unknown = [k for k in cells if k not in col_ids]
        if unknown:
            raise EditError(f"第 {i} 行有不存在的列：{'、'.join(map(str, unknown))}")
        rec: dict[str, str] = {}
        for key in ("_id", "_description"):
            value = row.get(key, "")
            if not isinstance(value, str):
                raise EditError(f"第 {i} 行的 {key} 应为文字")
            rec[key] = value.strip() if key == "_id" else value
        for cid in col_ids:
            value = cells.get(cid, "")
            if value is None:
                value = ""
            if not isinstance(value, str) or len(value) > MAX_CELL or "\x00" in value:
                raise EditError(f"第 {i} 行列“{cid}”应为文字（最多 {MAX_CELL} 字）")
            rec[cid] = value
        out.append(rec)
    return out


def dump_graph(graph: dict[str, Any]) -> str:
    return json.dumps(graph, ensure_ascii=False, indent=2) + "\n"


def keep_stored_shape(rows: list[dict[str, Any]], stored: Any) -> list[dict[str, Any]]:
    """`rows` (keys _id, _description, then column ids in column order), each written in the shape
    of the stored row with the same _id: its keys in their stored order, a non-text value kept when
    its text is unchanged, a key the stored row did not have left out while empty, a key of no
    current column kept. Values always come from `rows`.

    A column added later (且出现/排除, kind) sits at the end of the stored rows' keys; without
    this an unchanged table would be rewritten with every row's keys reordered, and an edit of
    one cell would show up as a change of the whole file. Rows without a unique stored _id (new,
    renamed) keep the column order."""
    olds = [r for r in stored if isinstance(r, dict)] if isinstance(stored, list) else []
    ids = [r.get("_id") for r in olds]
    by_id = {r["_id"]: r for r in olds if isinstance(r.get("_id"), str) and r["_id"] and ids.count(r["_id"]) == 1}
    out = []
    for new in rows:
        old = by_id.get(new.get("_id"))
        if old is None:
            out.append(new)
            continue
        merged: dict[str, Any] = {}
        for key, value in old.items():
            if key not in new:
                merged[key] = value  # no column reads it (lint says so); dropping it is not ours to do
            elif not isinstance(value, str) and json.dumps(value, ensure_ascii=False) == new[key]:
                merged[key] = value
            else:
                merged[key] = new[key]
        for key, value in new.items():
            if key not in merged and (value != "" or key == "_id"):
                merged[key] = value
        out.append(merged)
    return out


def apply_rows(files: dict[str, str], pack: str, table: str, rows: Any) -> dict[str, str]:
    """`files` with one table's rows replaced by `rows` ([{_id, _description, cells: {col id: text}}])."""
    rel, graph = graph_of(files, pack)
    node = _node(graph, table)
    content = node.setdefault("content", {})
    col_ids = [c.get("id") for c in (content.get("inputs") or []) + (content.get("outputs") or [])
               if isinstance(c, dict)]
    content["rules"] = keep_stored_shape(_clean_rows(rows, col_ids), content.get("rules"))
    return {**files, rel: dump_graph(graph)}


def apply_edits(files: dict[str, str], edits: list[TableEdit]) -> dict[str, str]:
    for e in edits:
        files = apply_rows(files, e.pack, e.table, e.rows)
    return files


def _place(problem: Problem, t: Table) -> dict[str, Any]:
    """A lint problem of table `t` with the grid rows (indices) and column id it points at."""
    rows: list[int] = []
    if problem.row:
        rows = [r.index for r in t.rows if (r.id or f"#{r.index + 1}") == problem.row]
    column = "_id" if problem.row and not problem.cell and "_id" in problem.message else ""
    ids = [c.id for c in t.inputs + t.outputs]
    if problem.column in ids:
        column = problem.column  # the linter names the column by id: never guessed from a field
    elif problem.cell:
        column = next((c.id for c in t.inputs + t.outputs if problem.cell in (c.name, c.id)), "")
    return {**problem.to_dict(), "rows": rows, "column": column}


def lint_files(files: dict[str, str], pack: str) -> list[dict[str, Any]]:
    """Every problem of one pack's graph (same linter as `zhili rules check`), placed on the grid."""
    rel, graph = graph_of(files, pack)
    problems = lint_graph(graph, rel)
    tables = {t.label: t for t in parse_tables(graph)}
    out = []
    for p in problems:
        t = tables.get(p.node)
        item = _place(p, t) if t is not None else {**p.to_dict(), "rows": [], "column": ""}
        item["table"] = t.node_id if t is not None else ""
        out.append(item)
    return out


def lint_table_rows(files: dict[str, str], pack: str, table: str, rows: Any) -> list[dict[str, Any]]:
    """Problems of a pack after replacing one table's rows (as the page lints while typing)."""
    return lint_files(apply_rows(files, pack, table, rows), pack)
