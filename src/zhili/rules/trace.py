"""Turning zen's per-node trace into rule_trace entries: which row fired, on what, with what."""

from __future__ import annotations

from typing import Any

from .graph import Table, get_path
from .summary import summarize

MAX_TEXT = 60
MAX_ITEMS = 12


def short(value: Any) -> Any:
    """Keep the trace readable: long texts and lists are cut."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    if isinstance(value, list) and len(value) > MAX_ITEMS:
        return [short(v) for v in value[:MAX_ITEMS]] + ["…"]
    if isinstance(value, dict) and len(value) > MAX_ITEMS:
        return {k: short(v) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list):
        return [short(v) for v in value]
    return value


def entries_for_pack(pack_id: str, pack_title: str, tables: dict[str, Table],
                     response: dict[str, Any], context: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per fired row, in execution order.

    Entry: {pack, pack_id, table, target, row_id, description, summary, inputs: [{column, field,
    test, value}], outputs: {field: value}}. `inputs` lists only the non-empty conditions of the
    row; `summary` is the same in one Chinese sentence (see zhili.rules.summary).
    """
    trace = response.get("trace") or {}
    nodes = sorted((t for t in trace.values() if isinstance(t, dict) and t.get("id") in tables),
                   key=lambda t: t.get("order", 0))
    out: list[dict[str, Any]] = []
    for node in nodes:
        table = tables[node["id"]]
        data = node.get("traceData")
        hits = data if isinstance(data, list) else ([data] if isinstance(data, dict) else [])
        node_out = node.get("output") or {}
        node_in = node.get("input") or context
        collected = get_path(node_out, table.output_path) if table.hit_policy == "collect" else None
        if not isinstance(collected, list):
            collected = []
        prefix = f"{table.output_path}." if table.output_path else ""
        for k, hit in enumerate(hits):
            row = table.row(hit.get("index", -1))
            if row is None:
                continue
            inputs = []
            for col in table.inputs:
                cell = row.cells.get(col.id, "")
                if isinstance(cell, str) and cell.strip():
                    value = get_path(node_in, col.field) if col.field else None
                    inputs.append({"column": col.name or col.field, "field": col.field,
                                   "test": cell, "value": value})
            if table.hit_policy == "collect":
                item = collected[k] if k < len(collected) else {}
                outputs = {c.field: get_path(item, c.field) for c in table.outputs if c.field}
            else:
                outputs = {prefix + c.field: get_path(node_out, prefix + c.field)
                           for c in table.outputs if c.field}
            out.append({
                "pack": pack_title, "pack_id": pack_id, "table": table.label,
                "target": table.target, "row_id": row.id, "description": row.description,
                "summary": summarize(table.target, inputs, outputs, row.description),
                "inputs": [{**i, "value": short(i["value"])} for i in inputs], "outputs": outputs,
            })
    return out
