"""What the rules decided for one problem, and how fired rows add up to it."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from .schema import (DIMENSION_FIELDS, DOMAINS, LEADERSHIP, PROCEDURES, RISK_KINDS, RISK_LEVELS,
                     URGENCY_LEVELS)

DEFAULT_PARAMS: dict[str, Any] = {
    "min_domain_weight": 0.5,  # a domain needs at least this much summed row weight
    "max_domains": 4,          # keep the strongest few
}


class _Item(BaseModel):
    """Attribute access for code, item access for those who think of it as JSON."""

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


class Routing(_Item):
    lead: str = Field("", description="牵头单位")
    supporting: list[str] = Field(default_factory=list, description="配合单位")
    basis: str = Field("", description="依据（法律法规、文件）")


class Risk(_Item):
    level: str = Field("低", description="风险等级：低/中/高（命中风险因素中的最高一级）")
    kind: str = Field("", description=(
        "风险类别：\"重大行政决策\"（征收拆迁、邻避设施、重大项目、价格调整等公共决策，按《重大行政决策程序暂行条例》"
        "履行程序）、\"矛盾纠纷\"（当事人之间的纠纷，理由中列出群体性、极端、涉稳等激化信号）、\"\"（两者都不是）"))
    procedures: list[str] = Field(default_factory=list, description="须履行的程序（法定五项在前）")
    reasons: list[str] = Field(default_factory=list, description="每个风险因素的等级和理由")


class Boost(_Item):
    """Raise (weight > 0) or lower (weight < 0) cases whose facet has this value."""

    facet: str
    value: str
    weight: float
    reason: str = ""
    rule: str = ""  # "pack/table/row_id"


class Filter(_Item):
    """Keep (op "in") or drop (op "not_in") cases whose facet has one of the values."""

    facet: str
    op: str
    values: list[str]
    reason: str = ""
    rule: str = ""


class RuleOutcome(_Item):
    """Everything the rule packs decided; `trace` lists every row that fired, in order."""

    domains: list[str] = Field(default_factory=list)
    primary_domain: str = ""
    domain_weights: dict[str, float] = Field(default_factory=dict)
    setting: str = ""
    urgency: str = "一般"
    urgency_flags: list[str] = Field(default_factory=list)
    routing: Routing = Field(default_factory=Routing)
    risk: Risk = Field(default_factory=Risk)
    boosts: list[Boost] = Field(default_factory=list)
    filters: list[Filter] = Field(default_factory=list)
    suggestions: dict[str, list[str]] = Field(default_factory=dict)
    trace: list[dict[str, Any]] = Field(default_factory=list)

    def answer_fields(self) -> dict[str, Any]:
        """The top-level keys an answer carries: routing, risk, rule_trace."""
        return {"routing": self.routing.model_dump(), "risk": self.risk.model_dump(),
                "rule_trace": self.trace}

    def fired(self) -> set[str]:
        """"pack_id/table/row_id" of every fired row."""
        return {f"{t['pack_id']}/{t['table']}/{t['row_id']}" for t in self.trace}


def _listify(v: Any) -> list[Any]:
    if v is None or v == "":
        return []
    return list(v) if isinstance(v, list) else [v]


def _add_unique(target: list[str], items: Any) -> None:
    for x in _listify(items):
        if isinstance(x, str) and x and x not in target:
            target.append(x)


def _actor_key(name: str) -> str:
    """An actor without its parenthetical remark, to tell “公安派出所” and “公安派出所（社区民警）” apart
    from two different bodies."""
    return re.split(r"[（(]", name, maxsplit=1)[0].strip()


def _num(v: Any, default: float = 0.0) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else default


class Accumulator:
    """Folds trace entries (each fired row with its outputs) into a RuleOutcome.

    How rows add up, per target:
      domain_tags   weights summed per domain; domains sorted by weight, kept when ≥ min_domain_weight
      setting       the first-hit row (a later pack may override)
      urgency_tags  urgency = the most urgent level among fired rows, flags listed
      routing       lead/supporting/basis from the first-hit row
      support_tags  actors appended to supporting (without repeating the lead)
      risk_factors  level = the highest; procedures united (法定五项在前); reasons listed
      boosts/filters listed with the row that produced them
      suggestions   united per 引领 dimension
    """

    def __init__(self, params: dict[str, Any] | None = None):
        self.params = {**DEFAULT_PARAMS, **(params or {})}
        self.weights: dict[str, float] = {}
        self.setting = ""
        self.flags: list[tuple[str, str]] = []
        self.routing = Routing()
        self.extra_support: list[str] = []
        self.factors: list[dict[str, Any]] = []
        self.boosts: list[Boost] = []
        self.filters: list[Filter] = []
        self.suggestions: dict[str, list[str]] = {}
        self.trace: list[dict[str, Any]] = []

    # -- folding ------------------------------------------------------------------------------
    def absorb(self, entry: dict[str, Any]) -> None:
        self.trace.append(entry)
        target, out = entry["target"], entry["outputs"]
        ref = f"{entry['pack_id']}/{entry['table']}/{entry['row_id']}"
        if target == "domain_tags":
            w = _num(out.get("weight"), 1.0)
            for d in _listify(out.get("domain")):
                if d in DOMAINS:
                    self.weights[d] = self.weights.get(d, 0.0) + w
        elif target == "setting":
            self.setting = out.get("setting") or ""
        elif target == "urgency_tags":
            if out.get("flag"):
                self.flags.append((str(out["flag"]), str(out.get("level") or "较急")))
        elif target == "routing":
            self.routing = Routing(
                lead=str(out.get("routing.lead") or out.get("lead") or ""),
                supporting=[s for s in _listify(out.get("routing.supporting", out.get("supporting")))
                            if isinstance(s, str) and s],
                basis=str(out.get("routing.basis") or out.get("basis") or ""))
        elif target == "support_tags":
            _add_unique(self.extra_support, out.get("actors"))
        elif target == "risk_factors":
            self.factors.append(out)
        elif target == "boosts":
            for v in _listify(out.get("value")):
                if isinstance(v, str) and v:
                    self.boosts.append(Boost(facet=str(out.get("facet")), value=v,
                                             weight=_num(out.get("weight")),
                                             reason=str(out.get("reason") or ""), rule=ref))
        elif target == "filters":
            values = [v for v in _listify(out.get("values")) if isinstance(v, str) and v]
            if values:
                self.filters.append(Filter(facet=str(out.get("facet")), op=str(out.get("op")),
                                           values=values, reason=str(out.get("reason") or ""),
                                           rule=ref))
        elif target == "suggestions":
            for fld, dim in DIMENSION_FIELDS.items():
                _add_unique(self.suggestions.setdefault(dim, []), out.get(fld))

    # -- derived values -----------------------------------------------------------------------
    def domains(self) -> list[str]:
        order = {d: i for i, d in enumerate(self.weights)}
        w = {d: round(v, 6) for d, v in self.weights.items()}  # 0.8 + 0.4 must tie with 1.2
        ranked = sorted(w, key=lambda d: (-w[d], order[d]))
        keep = [d for d in ranked if w[d] >= float(self.params["min_domain_weight"])]
        return keep[: int(self.params["max_domains"])]

    def urgency(self) -> str:
        levels = [lvl for _, lvl in self.flags if lvl in URGENCY_LEVELS]
        return max(levels, key=URGENCY_LEVELS.index) if levels else "一般"

    def risk(self) -> Risk:
        if not self.factors:
            return Risk(level="低", kind="", procedures=[], reasons=[])
        levels = [f.get("level") for f in self.factors if f.get("level") in RISK_LEVELS]
        level = max(levels, key=RISK_LEVELS.index) if levels else "低"
        procs: list[str] = []
        for f in self.factors:
            _add_unique(procs, f.get("procedures"))
        procs.sort(key=lambda p: PROCEDURES.index(p) if p in PROCEDURES else len(PROCEDURES))
        reasons = []
        for f in self.factors:
            text = f"{f.get('factor')}（{f.get('level')}）：{f.get('reason')}"
            if text not in reasons:
                reasons.append(text)
        kinds = {f.get("kind") for f in self.factors}
        kind = next((k for k in RISK_KINDS if k in kinds), "")  # a public decision outranks a dispute
        return Risk(level=level, kind=kind, procedures=procs, reasons=reasons)

    def routing_now(self) -> Routing:
        supporting = list(self.routing.supporting)
        taken = {_actor_key(a) for a in [self.routing.lead, *supporting]}
        for a in self.extra_support:
            if _actor_key(a) not in taken:  # “公安派出所” is already there as “公安派出所（社区民警）”
                supporting.append(a)
                taken.add(_actor_key(a))
        return Routing(lead=self.routing.lead, supporting=supporting, basis=self.routing.basis)

    def context(self) -> dict[str, Any]:
        """Fields later packs can read."""
        domains = self.domains()
        risk = self.risk()
        return {
            "domains": domains,
            "primary_domain": domains[0] if domains else "",
            "main_domains": domains[:2],
            "domain_weights": {d: round(w, 3) for d, w in self.weights.items()},
            "setting": self.setting,
            "urgency": self.urgency(),
            "urgency_flags": list(dict.fromkeys(f for f, _ in self.flags)),
            "routing": self.routing_now().model_dump(),
            "risk_level": risk.level,
            "risk_flags": [str(f.get("factor")) for f in self.factors],
        }

    def outcome(self) -> RuleOutcome:
        ctx = self.context()
        suggestions = {dim: self.suggestions[dim] for dim in LEADERSHIP
                       if self.suggestions.get(dim)}
        return RuleOutcome(
            domains=ctx["domains"], primary_domain=ctx["primary_domain"],
            domain_weights=ctx["domain_weights"], setting=self.setting,
            urgency=ctx["urgency"], urgency_flags=ctx["urgency_flags"],
            routing=self.routing_now(), risk=self.risk(), boosts=list(self.boosts),
            filters=list(self.filters), suggestions=suggestions, trace=list(self.trace))
