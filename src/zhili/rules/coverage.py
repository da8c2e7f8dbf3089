"""Which rows ever fire over a set of queries, and whether every domain can be reached at all."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zen

from .inputs import rule_input_for
from .ruleset import RuleSet
from .schema import DOMAINS


def read_queries(path: Path) -> list[dict[str, Any]]:
    """Queries from a file: JSONL objects with "text" (and optional id/province/level), or
    plain lines of text. Raises ValueError naming the line of a malformed entry."""
    return parse_queries(path.read_text(encoding="utf-8-sig"), str(path))


def parse_queries(content: str, path: str = "查询文件") -> list[dict[str, Any]]:
    """`read_queries` on a file's text (an upload); `path` names it in errors."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(content.lstrip("\ufeff").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: 不是合法的 JSON（{exc.msg}）") from exc
            if not isinstance(rec.get("text"), str) or not rec["text"].strip():
                raise ValueError(f"{path}:{n}: 缺少 text")
            out.append({"id": str(rec.get("id", n)), "text": rec["text"],
                        "province": rec.get("province", ""), "level": rec.get("level", "")})
        else:
            out.append({"id": str(n), "text": line, "province": "", "level": ""})
    return out


def static_domains(rules: RuleSet) -> dict[str, list[str]]:
    """Domain → rows whose output names it literally (rows that can produce that domain)."""
    found: dict[str, list[str]] = {d: [] for d in DOMAINS}
    for pack, table, row in rules.rows():
        if table.target != "domain_tags":
            continue
        col = next((c.id for c in table.outputs if c.field == "domain"), None)
        cell = row.cells.get(col or "", "")
        try:
            value = zen.evaluate_expression(cell, {}) if cell.strip() else None
        except Exception:  # refers to input fields: not a literal  # noqa: BLE001
            value = None
        for d in value if isinstance(value, list) else [value]:
            if d in found:
                found[d].append(f"{pack.id}/{table.label}/{row.id}")
    return found


@dataclass
class CoverageReport:
    queries: int
    rows: int
    fired: Counter = field(default_factory=Counter)         # "pack/table/row" → times fired
    never_fired: list[dict[str, str]] = field(default_factory=list)
    domains_reached: Counter = field(default_factory=Counter)  # domain → queries tagged with it
    static: dict[str, list[str]] = field(default_factory=dict)

    @property
    def unreachable_domains(self) -> list[str]:
        return [d for d, rows in self.static.items() if not rows]

    @property
    def domains_not_reached(self) -> list[str]:
        return [d for d in DOMAINS if not self.domains_reached.get(d)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "queries": self.queries, "rows": self.rows,
            "rows_fired": len(self.fired), "never_fired": self.never_fired,
            "domains_reached": dict(self.domains_reached),
            "domains_not_reached_by_queries": self.domains_not_reached,
            "domains_unreachable_by_any_row": self.unreachable_domains,
        }


def coverage(rules: RuleSet, queries: list[dict[str, Any]]) -> CoverageReport:
    report = CoverageReport(queries=len(queries), rows=sum(1 for _ in rules.rows()),
                            static=static_domains(rules))
    for q in queries:
        outcome = rules.evaluate(rule_input_for(q["text"], q.get("province", ""), q.get("level", "")))
        for t in outcome.trace:
            report.fired[f"{t['pack_id']}/{t['table']}/{t['row_id']}"] += 1
        report.domains_reached.update(outcome.domains)
    for pack, table, row in rules.rows():
        if f"{pack.id}/{table.label}/{row.id}" not in report.fired:
            report.never_fired.append({"pack": pack.id, "table": table.label, "row_id": row.id,
                                       "description": row.description})
    return report
