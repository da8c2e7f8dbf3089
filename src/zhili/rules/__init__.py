"""Expert rule packs (GoRules JDM decision tables run by zen-engine): classify a problem, route
it to responsible actors (权责清单), assess risk (风险评估: 重大行政决策 or 矛盾纠纷), steer case
matching and suggest mechanisms under the 四个引领 — every fired row traced.

    rules = RuleSet.load()                           # checked + compiled once; RuleCheckError if bad
    outcome = rules.evaluate(build_rule_input(text, tokens, lexicon_hits, domain_scores,
                                              province, level))
    outcome.routing.lead, outcome.risk.level, outcome.boosts, outcome.trace
    outcome.answer_fields()                          # {"routing", "risk", "rule_trace"}

    active = ActiveRules()                           # serving holder: a failed reload keeps the old rules
"""

from .active import ActiveRules, RuleSetHolder, load_or_last_good
from .inputs import analyze, build_rule_input, rule_input_for
from .outcome import Boost, Filter, Risk, Routing, RuleOutcome
from .ruleset import Pack, RuleSet, check_dir
from .schema import Problem, RuleCheckError

__all__ = [
    "ActiveRules", "load_or_last_good", "Boost", "Filter", "Pack", "Problem", "Risk", "Routing", "RuleCheckError",
    "RuleOutcome", "RuleSet", "RuleSetHolder", "analyze", "build_rule_input", "check_dir",
    "rule_input_for",
]
