"""Replay a query file under two rule sets before publishing a change: what moves, per query.

With an engine (zhili.engine.Engine) the whole answer is replayed, so the top-k cases that
enter or leave show the effect of boosts and filters; without one only the rule outcomes
(domains, routing, risk, fired rows) are compared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .inputs import rule_input_for
from .ruleset import RuleSet


@dataclass
class Side:
    """One query's result under one rule set."""

    domains: list[str]
    routing: dict[str, Any]
    risk: dict[str, Any]
    fired: list[str]
    top: list[str] = field(default_factory=list)


@dataclass
class QueryDiff:
    id: str
    text: str
    old: Side
    new: Side

    @property
    def routing_changed(self) -> bool:
        return (self.old.routing.get("lead"), self.old.routing.get("supporting")) != \
               (self.new.routing.get("lead"), self.new.routing.get("supporting"))

    @property
    def risk_changed(self) -> bool:
        return (self.old.risk.get("level"), self.old.risk.get("procedures")) != \
               (self.new.risk.get("level"), self.new.risk.get("procedures"))

    @property
    def domains_changed(self) -> bool:
        return self.old.domains != self.new.domains

    @property
    def entered(self) -> list[str]:
        return [c for c in self.new.top if c not in self.old.top]

    @property
    def left(self) -> list[str]:
        return [c for c in self.old.top if c not in self.new.top]

    @property
    def top_changed(self) -> bool:
        return bool(self.entered or self.left)

    @property
    def order_changed(self) -> bool:
        return self.old.top != self.new.top

    @property
    def rows_added(self) -> list[str]:
        return [r for r in self.new.fired if r not in self.old.fired]

    @property
    def rows_removed(self) -> list[str]:
        return [r for r in self.old.fired if r not in self.new.fired]

    @property
    def changed(self) -> bool:
        return (self.routing_changed or self.risk_changed or self.domains_changed
                or self.order_changed or bool(self.rows_added or self.rows_removed))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "changed": self.changed,
                "routing_changed": self.routing_changed, "risk_changed": self.risk_changed,
                "domains_changed": self.domains_changed, "top_changed": self.top_changed,
                "entered": self.entered, "left": self.left,
                "rows_added": self.rows_added, "rows_removed": self.rows_removed,
                "old": asdict(self.old), "new": asdict(self.new)}


@dataclass
class DiffReport:
    old_dir: str
    new_dir: str
    with_engine: bool
    top_k: int
    items: list[QueryDiff]

    def summary(self) -> dict[str, int]:
        return {
            "queries": len(self.items),
            "changed": sum(d.changed for d in self.items),
            "routing_changed": sum(d.routing_changed for d in self.items),
            "risk_changed": sum(d.risk_changed for d in self.items),
            "domains_changed": sum(d.domains_changed for d in self.items),
            "top_changed": sum(d.top_changed for d in self.items),
            "order_changed": sum(d.order_changed for d in self.items),
            "cases_entered": sum(len(d.entered) for d in self.items),
            "cases_left": sum(len(d.left) for d in self.items),
        }

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old_dir, "new": self.new_dir, "with_engine": self.with_engine,
                "top_k": self.top_k, "summary": self.summary(),
                "queries": [d.to_dict() for d in self.items]}


def _fired(trace: list[dict[str, Any]]) -> list[str]:
    return [f"{t['pack_id']}/{t['table']}/{t['row_id']}" for t in trace]


def _side_rules(rules: RuleSet, q: dict[str, Any]) -> Side:
    o = rules.evaluate(rule_input_for(q["text"], q.get("province", ""), q.get("level", "")))
    return Side(o.domains, o.routing.model_dump(), o.risk.model_dump(), _fired(o.trace))


def _side_engine(engine: Any, q: dict[str, Any], top_k: int) -> Side:
    filters: dict[str, list[str]] = {}
    if q.get("province"):
        filters["province"] = [q["province"]]
    if q.get("level"):
        filters["level"] = [q["level"]]
    ans = engine.recommend(q["text"], top_k=top_k, filters=filters or None, explain=False)
    domains = (ans.classification or {}).get("domains") or []
    return Side(list(domains), dict(ans.routing or {}), dict(ans.risk or {}),
                _fired(ans.rule_trace or []), [r.case_id for r in ans.results])


def diff_rules(old: RuleSet, new: RuleSet, queries: list[dict[str, Any]], engine: Any = None,
               top_k: int = 10) -> DiffReport:
    """Run every query under `old` and `new`. `engine` (optional): a zhili Engine (answers come
    from `engine.with_rules(…)` copies) or anything with a settable `rules` attribute and
    `recommend(text, top_k=…, filters=…, explain=…)`, whose rules are restored."""
    items: list[QueryDiff] = []
    if engine is None:
        for q in queries:
            items.append(QueryDiff(str(q.get("id", "")), q["text"], _side_rules(old, q),
                                   _side_rules(new, q)))
    elif hasattr(engine, "with_rules"):  # a serving engine is never touched: copies answer
        before, after = engine.with_rules(old), engine.with_rules(new)
        items = [QueryDiff(str(q.get("id", "")), q["text"], _side_engine(before, q, top_k),
                           _side_engine(after, q, top_k)) for q in queries]
    else:
        saved = engine.rules
        try:
            engine.rules = old
            olds = [_side_engine(engine, q, top_k) for q in queries]
            engine.rules = new
            news = [_side_engine(engine, q, top_k) for q in queries]
        finally:
            engine.rules = saved
        items = [QueryDiff(str(q.get("id", "")), q["text"], o, n)
                 for q, o, n in zip(queries, olds, news)]
    return DiffReport(str(old.directory), str(new.directory), engine is not None, top_k, items)
