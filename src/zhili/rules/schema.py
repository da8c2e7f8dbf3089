"""The contract between rule packs and the code: output targets, vocabularies, problems.

A decision table says what it produces through its output path (collect tables) or its output
fields (first-hit tables). The code only reads these targets, so an editor can add tables and
rows freely as long as each table writes one of them:

collect tables (输出路径 = target, or target.anything to keep several tables apart):
    domain_tags    {domain, weight}                       问题分类：领域标签
    urgency_tags   {flag, level}                          问题分类：紧急情形
    support_tags   {actors, reason}                       权责清单：补充配合单位
    risk_factors   {factor, level, procedures, reason[, kind]}   风险评估（kind: 重大行政决策/矛盾纠纷/空）
    boosts         {facet, value, weight, reason}         匹配引导：加分/降分
    filters        {facet, op, values, reason}            匹配引导：硬性筛选
    suggestions    {political, organizational, capability, mechanism}   四个引领

first-hit tables (output fields, optionally under an output path):
    setting                                               城乡环境
    routing.lead, routing.supporting, routing.basis       权责清单：牵头与配合
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cases.model import DOMAINS, LEADERSHIP, LEVELS
from ..retrieval.facets import FACETS  # one list: what the engine can match cases by

HIT_POLICIES = ("first", "collect")
NODE_TYPES = ("inputNode", "outputNode", "decisionTableNode", "expressionNode")

SETTINGS = ("城市", "农村", "城乡结合")
URGENCY_LEVELS = ("一般", "较急", "紧急")
RISK_LEVELS = ("低", "中", "高")
# 《重大行政决策程序暂行条例》(2019) 的五项法定程序，按条例顺序；其他程序名排在其后。
PROCEDURES = ("公众参与", "专家论证", "风险评估", "合法性审查", "集体讨论决定")
# A risk factor's kind (optional column `kind`): a public decision under that 条例, or a dispute
# between parties whose escalation signals (群体性、极端、涉稳) are the risk. In priority order.
RISK_KINDS = ("重大行政决策", "矛盾纠纷")
# Case facets a boost/filter can name; must match what zhili.engine knows how to test on a case
# (domain/leadership exact, level exact, province = province or city, mechanism and text contain).
FILTER_OPS = ("in", "not_in")
DIMENSION_FIELDS = {
    "political": "政治引领",
    "organizational": "组织引领",
    "capability": "能力引领",
    "mechanism": "机制引领",
}
assert tuple(DIMENSION_FIELDS.values()) == LEADERSHIP

COLLECT_TARGETS: dict[str, tuple[str, ...]] = {
    "domain_tags": ("domain", "weight"),
    "urgency_tags": ("flag", "level"),
    "support_tags": ("actors", "reason"),
    "risk_factors": ("factor", "level", "procedures", "reason"),
    "boosts": ("facet", "value", "weight", "reason"),
    "filters": ("facet", "op", "values", "reason"),
    "suggestions": tuple(DIMENSION_FIELDS),
}
# Output fields a collect table may add to its target's required ones.
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {"risk_factors": ("kind",)}
FIRST_FIELDS: dict[str, tuple[str, ...]] = {
    "setting": ("setting",),
    "routing": ("routing.lead", "routing.supporting", "routing.basis"),
}

# Fields the rules can read. Base input (build_rule_input) first, then what earlier packs add.
INPUT_FIELDS = ("text", "focus_text", "tokens", "lexicon_hits", "domain_scores", "province",
                "level", "signals")
DERIVED_FIELDS = ("domains", "primary_domain", "main_domains", "domain_weights", "setting", "urgency",
                  "urgency_flags", "routing", "risk_level", "risk_flags")
KNOWN_FIELDS = INPUT_FIELDS + DERIVED_FIELDS

__all__ = [
    "COLLECT_TARGETS", "DERIVED_FIELDS", "DIMENSION_FIELDS", "DOMAINS", "FACETS", "FILTER_OPS",
    "FIRST_FIELDS", "HIT_POLICIES", "INPUT_FIELDS", "KNOWN_FIELDS", "LEADERSHIP", "LEVELS",
    "NODE_TYPES", "OPTIONAL_FIELDS", "PROCEDURES", "RISK_KINDS", "Problem", "RISK_LEVELS", "RuleCheckError", "SETTINGS",
    "URGENCY_LEVELS",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack, located as precisely as we can."""

    file: str
    message: str
    node: str = ""
    row: str = ""
    cell: str = ""
    severity: str = "error"  # "error" blocks loading; "warning" is reported only
    column: str = ""  # the column's id: unambiguous where `cell` (a name or field) is not, e.g. two
    #                   columns reading the same field (问题主体 / 且出现 / 排除 on focus_text)

    def location(self) -> str:
        parts = [self.file]
        if self.node:
            parts.append(f"表“{self.node}”")
        if self.row:
            parts.append(f"行 {self.row}")
        if self.cell:
            parts.append(f"列“{self.cell}”")
        return " / ".join(parts)

    def __str__(self) -> str:
        tag = "错误" if self.severity == "error" else "提醒"
        return f"[{tag}] {self.location()}：{self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "node": self.node, "row": self.row, "cell": self.cell,
                "column": self.column, "severity": self.severity, "message": self.message}


class RuleCheckError(ValueError):
    """Rule packs failed checking; `problems` lists every error with its location."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == "error"] or list(problems)
        head = f"规则包检查未通过，共 {len(self.problems)} 处错误："
        lines = [str(p) for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"……另有 {len(self.problems) - 20} 处")
        super().__init__("\n".join([head, *lines]))
