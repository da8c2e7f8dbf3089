"""Scores, levels, gaps and dynamic warnings for every unit and period, from the pack's tables.

The order is fixed and each step is one zen call over all items of all records:

1. scoring   — (indicator, value) → points 0–100 and the row that scored it;
2. (code)    — dimension score = weighted mean of its indicators' points, total = weighted mean
               of the dimensions; per indicator and for the total: the change since the
               previous period, and how many periods in a row it has fallen;
3. warnings  — red line / drop / decline rows over those items (total as indicator “总分”);
4. levels    — the total (with the number of red-line warnings) and every dimension;
5. profiles, training (packs with posts) — the post's required score per dimension, the gap,
               and 能力引领 training suggestions for each gap.

Every warning carries the row that fired and a Chinese trace: which table, which row, what the
item's values were and what the row tests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from .lint import KIND_LABELS, SEVERITY_LABELS
from .pack import TOTAL, AssessmentPack, Graph

FIELD_LABELS = {"indicator": "指标", "value": "取值", "points": "得分", "drop": "较上期下降", "declines": "连续下降期数",
                "decline_points": "连续下降累计", "previous": "上期得分", "scope": "范围", "score": "得分",
                "red_lines": "红线预警数", "post": "岗位", "dimension": "维度", "gap": "差距", "periods": "期数"}


@dataclass(frozen=True)
class Record:
    """One row of an import: one unit (organisation or person) in one period."""

    unit: str
    period: str
    values: dict[str, float]
    name: str = ""
    region: str = ""
    post: str = ""


@dataclass
class Hit:
    outputs: dict[str, Any]
    row_id: str
    description: str
    inputs: list[dict[str, Any]]


def run_graph(graph: Graph, items: list[dict[str, Any]], trace: bool = True) -> list[Any]:
    """Evaluate a loop table over items. first: per item (outputs, row id, Hit) or None;
    collect: per item a list of Hit. Rows come from zen's trace (first-hit traces list hits
    only); zen's trace also copies every item several times, so `trace=False` (row ids "")
    is several times faster for bulk scoring."""
    if not items:
        return []
    if not trace:
        results = ((graph.decision.evaluate({"items": items}).get("result") or {}).get("results") or [])
        if graph.table.hit_policy == "collect":
            return [[Hit(o or {}, "", "", []) for o in outs or []] for outs in results]
        return [None if res is None else (res, "", Hit(res, "", "", [])) for res in results]
    resp = graph.decision.evaluate({"items": items}, {"trace": True})
    results = (resp.get("result") or {}).get("results") or []
    trace = ((resp.get("trace") or {}).get(graph.table.node_id) or {}).get("traceData") or []
    table = graph.table
    if table.hit_policy == "collect":
        out = []
        for item, outs, hits in zip(items, results, trace if isinstance(trace, list) else []):
            row_hits = []
            for o, h in zip(outs or [], hits or []):
                row = table.row(h.get("index", -1))
                row_hits.append(Hit(o or {}, row.id if row else "", row.description if row else "", _inputs(table, row, item)))
            out.append(row_hits)
        return out
    hits_iter = iter(trace if isinstance(trace, list) else [trace])
    out = []
    for item, res in zip(items, results):
        if res is None:
            out.append(None)
            continue
        h = next(hits_iter, {}) or {}
        row = table.row(h.get("index", -1))
        out.append((res, row.id if row else "", Hit(res, row.id if row else "", row.description if row else "",
                                                     _inputs(table, row, item))))
    return out


def _inputs(table: Any, row: Any, item: dict[str, Any]) -> list[dict[str, Any]]:
    if row is None:
        return []
    found = []
    for col in table.inputs:
        cell = row.cells.get(col.id, "")
        if isinstance(cell, str) and cell.strip():
            found.append({"column": col.name or col.field, "field": col.field, "test": cell, "value": item.get(col.field)})
    return found


def trace_text(pack_title: str, table_label: str, hit: Hit) -> str:
    """'党组织健康指数 / 动态预警 / 行“红线-书记空缺”：指标 = H05（条件 "H05"），取值 = 7（条件 > 3）'"""
    parts = []
    for i in hit.inputs:
        v = i["value"]
        shown = f"{v:g}" if isinstance(v, float) else str(v)
        parts.append(f"{FIELD_LABELS.get(i['field'], i['column'])} = {shown}（条件 {i['test'].replace('$ ', '')}）")
    return f"{pack_title} / {table_label} / 行“{hit.row_id}”：" + ("，".join(parts) or "无条件（兜底行）")


@dataclass
class Warning:
    kind: str
    severity: int
    indicator: str          # indicator id or “总分”
    indicator_name: str
    reason: str
    rule: str               # "warnings/红线-书记空缺"
    trace: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity, str(self.severity))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(kind_label=self.kind_label, severity_label=self.severity_label)
        return d


@dataclass
class PeriodResult:
    unit: str
    period: str
    name: str
    region: str
    post: str
    total: float
    level: str
    level_reason: str
    level_rule: str
    dimensions: dict[str, dict[str, Any]]   # name → {score, level, required, gap, reason}
    indicators: list[dict[str, Any]]        # {id, name, dimension, unit, value, points, reason, rule, change}
    warnings: list[Warning] = field(default_factory=list)
    training: list[dict[str, Any]] = field(default_factory=list)

    @property
    def severity(self) -> int:
        return max((w.severity for w in self.warnings), default=0)

    def weak_dimensions(self, pack: AssessmentPack) -> list[str]:
        """Dimensions at a weak level, or short of the post's requirement (worst first)."""
        weak = [(d["score"], name) for name, d in self.dimensions.items()
                if d.get("level") in pack.weak_levels or (d.get("gap") or 0) > 0]
        return [name for _, name in sorted(weak)]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["warnings"] = [w.to_dict() for w in self.warnings]
        d["severity"] = self.severity
        return d


def _weighted(pairs: Iterable[tuple[float, float]]) -> float:
    pairs = list(pairs)
    total_w = sum(w for _, w in pairs)
    return round(sum(v * w for v, w in pairs) / total_w, 2) if total_w else 0.0


def _run_of_declines(series: list[float]) -> tuple[int, float]:
    """How many periods in a row the last values fell, and by how much in all."""
    n, lost = 0, 0.0
    for i in range(len(series) - 1, 0, -1):
        if series[i] < series[i - 1]:
            n += 1
            lost += series[i - 1] - series[i]
        else:
            break
    return n, round(lost, 2)


def _warning_hits(graph: Graph, items: list[dict[str, Any]]) -> list[list[Hit]]:
    """Warning rows per item; traced (rule rows and their inputs) only where a row fired."""
    hits = run_graph(graph, items, trace=False)
    fired = [n for n, h in enumerate(hits) if h]
    for n, traced in zip(fired, run_graph(graph, [items[n] for n in fired])):
        hits[n] = traced
    return hits


def assess(pack: AssessmentPack, records: Iterable[Record], trace: bool = True) -> dict[str, list[PeriodResult]]:
    """Every unit's results over its periods (oldest first). `trace=False` leaves the scoring
    and level rows unnamed (bulk overviews); warnings always name their rule and inputs."""
    by_unit: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_unit[r.unit].append(r)
    ordered = [r for unit in sorted(by_unit) for r in sorted(by_unit[unit], key=lambda x: x.period)]
    indicators = pack.indicators
    # 1. scoring
    items = [{"indicator": i.id, "value": float(r.values[i.id]), "dimension": i.dimension, "post": r.post}
             for r in ordered for i in indicators]
    scored = run_graph(pack.graphs["scoring"], items, trace)
    graph_s = pack.graphs["scoring"]
    results: list[PeriodResult] = []
    k = 0
    for r in ordered:
        rows = []
        for ind in indicators:
            hit = scored[k]
            k += 1
            points = float(hit[0].get("points")) if hit else 0.0
            rows.append({"id": ind.id, "name": ind.name, "dimension": ind.dimension, "unit": ind.unit,
                         "value": float(r.values[ind.id]), "points": round(points, 2),
                         "reason": (hit[0].get("reason") if hit else "没有评分行命中，按0分计") or "",
                         "rule": f"scoring/{hit[1]}" if hit and hit[1] else "", "change": None})
        dims = {}
        for d in pack.dimensions:
            mine = [(x["points"], i.weight) for x, i in zip(rows, indicators) if i.dimension == d.name]
            dims[d.name] = {"score": _weighted(mine), "level": "", "reason": "", "required": None, "gap": None}
        total = _weighted((dims[d.name]["score"], d.weight) for d in pack.dimensions)
        results.append(PeriodResult(r.unit, r.period, r.name, r.region, r.post, total, "", "", "", dims, rows))
    # 2. history: changes since the previous period and runs of declines
    warn_items: list[dict[str, Any]] = []
    owners: list[tuple[int, str]] = []
    history: dict[tuple[str, str], list[float]] = defaultdict(list)
    for n, res in enumerate(results):
        position = {x["id"]: x for x in res.indicators}
        series_items = [(x["id"], x["points"], x["value"], x["dimension"]) for x in res.indicators]
        series_items.append((TOTAL, res.total, res.total, ""))
        for key, points, value, dim in series_items:
            series = history[(res.unit, key)]
            series.append(points)
            previous = series[-2] if len(series) > 1 else None
            declines, lost = _run_of_declines(series)
            drop = round(previous - points, 2) if previous is not None else 0.0
            if key != TOTAL:
                position[key]["change"] = None if previous is None else round(points - previous, 2)
            warn_items.append({"indicator": key, "dimension": dim, "value": value, "points": points,
                               "previous": previous, "drop": drop, "declines": declines, "decline_points": lost,
                               "periods": len(series), "post": res.post})
            owners.append((n, key))
    # 3. warnings
    graph_w = pack.graphs["warnings"]
    names = {i.id: i.name for i in indicators} | {TOTAL: TOTAL}
    for (n, key), hits in zip(owners, _warning_hits(graph_w, warn_items)):
        for h in hits:
            o = h.outputs
            results[n].warnings.append(Warning(str(o.get("kind", "")), int(o.get("severity") or 1), key, names[key],
                                               str(o.get("reason", "")), f"warnings/{h.row_id}",
                                               trace_text(pack.title, graph_w.table.label, h)))
    for res in results:
        res.warnings.sort(key=lambda w: (-w.severity, w.indicator))
    # 4. levels
    level_items, level_owners = [], []
    for n, res in enumerate(results):
        red = sum(1 for w in res.warnings if w.kind == "red_line")
        level_items.append({"scope": TOTAL, "score": res.total, "red_lines": red, "warnings": len(res.warnings),
                            "post": res.post})
        level_owners.append((n, TOTAL))
        for name, d in res.dimensions.items():
            level_items.append({"scope": name, "score": d["score"], "red_lines": 0, "warnings": 0, "post": res.post})
            level_owners.append((n, name))
    for (n, scope), hit in zip(level_owners, run_graph(pack.graphs["levels"], level_items, trace)):
        level = str(hit[0].get("level", "")) if hit else "未定级"
        reason = str(hit[0].get("reason", "")) if hit else "没有等次行命中"
        if scope == TOTAL:
            results[n].level, results[n].level_reason = level, reason
            results[n].level_rule = f"levels/{hit[1]}" if hit and hit[1] else ""
        else:
            results[n].dimensions[scope].update(level=level, reason=reason)
    # 5. post profiles and training
    if "profiles" in pack.graphs:
        p_items, p_owners = [], []
        for n, res in enumerate(results):
            for name in res.dimensions:
                p_items.append({"post": res.post, "dimension": name})
                p_owners.append((n, name))
        t_items, t_owners = [], []
        for (n, name), hit in zip(p_owners, run_graph(pack.graphs["profiles"], p_items, trace)):
            d = results[n].dimensions[name]
            if hit:
                d["required"] = float(hit[0].get("required"))
                d["gap"] = round(d["required"] - d["score"], 2)
                t_items.append({"dimension": name, "gap": d["gap"], "score": d["score"], "level": d["level"],
                                "post": results[n].post})
                t_owners.append((n, name))
        if "training" in pack.graphs:
            for (n, name), hits in zip(t_owners, run_graph(pack.graphs["training"], t_items, trace)):
                for h in hits:
                    results[n].training.append({"dimension": name, "suggestion": str(h.outputs.get("suggestion", "")),
                                                "reason": str(h.outputs.get("reason", "")),
                                                "rule": f"training/{h.row_id}" if h.row_id else ""})
    out: dict[str, list[PeriodResult]] = defaultdict(list)
    for res in results:
        out[res.unit].append(res)
    return dict(out)
