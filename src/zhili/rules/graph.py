"""A read-only view of a JDM decision graph: its decision tables, columns and rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import COLLECT_TARGETS, FIRST_FIELDS


@dataclass(frozen=True)
class Column:
    id: str
    name: str
    field: str


@dataclass(frozen=True)
class Row:
    index: int
    id: str
    description: str
    cells: dict[str, str]  # column id → cell text


@dataclass
class Table:
    """One decisionTableNode."""

    node_id: str
    name: str
    hit_policy: str
    inputs: list[Column]
    outputs: list[Column]
    rows: list[Row]
    output_path: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return self.name or self.node_id

    def output_keys(self) -> list[str]:
        """Full result paths of the output columns (output path + field)."""
        prefix = f"{self.output_path}." if self.output_path else ""
        return [prefix + c.field for c in self.outputs if c.field]

    @property
    def target(self) -> str:
        """Which contract target the table writes ("" when it matches none)."""
        if self.hit_policy == "collect":
            root = self.output_path.split(".")[0]
            return root if root in COLLECT_TARGETS else ""
        keys = self.output_keys()
        for target, fields in FIRST_FIELDS.items():
            if keys and all(k in fields for k in keys):
                return target
        return ""

    def row(self, index: int) -> Row | None:
        return self.rows[index] if 0 <= index < len(self.rows) else None


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_tables(graph: dict[str, Any]) -> list[Table]:
    """Decision tables of a graph in file order; tolerant of missing keys (lint reports them)."""
    tables: list[Table] = []
    for node in graph.get("nodes") or []:
        if not isinstance(node, dict) or node.get("type") != "decisionTableNode":
            continue
        content = node.get("content") if isinstance(node.get("content"), dict) else {}
        inputs = [Column(_s(c.get("id")), _s(c.get("name")), _s(c.get("field")))
                  for c in content.get("inputs") or [] if isinstance(c, dict)]
        outputs = [Column(_s(c.get("id")), _s(c.get("name")), _s(c.get("field")))
                   for c in content.get("outputs") or [] if isinstance(c, dict)]
        rows = []
        for i, r in enumerate(content.get("rules") or []):
            if not isinstance(r, dict):
                r = {}
            cells = {k: v for k, v in r.items() if not k.startswith("_")}
            rows.append(Row(i, str(r.get("_id") or ""), _s(r.get("_description")), cells))
        tables.append(Table(_s(node.get("id")), _s(node.get("name")),
                            _s(content.get("hitPolicy")), inputs, outputs, rows,
                            _s(content.get("outputPath")), content))
    return tables


def get_path(obj: Any, path: str) -> Any:
    """obj["a"]["b"] for "a.b"; None when any step is missing."""
    if not path:
        return obj
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj
