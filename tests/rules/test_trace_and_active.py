"""Fired rows appear in the trace; a failed reload keeps the previous rules serving."""

from __future__ import annotations

import pytest

from zhili.rules import ActiveRules, RuleCheckError, build_rule_input, rule_input_for

from rules_helpers import column_id, row


def test_fired_row_appears_in_trace(bundled_rules):
    o = bundled_rules.evaluate(rule_input_for("小区物业撤场了，垃圾没人清运"))
    entry = next(t for t in o.trace if t["row_id"] == "物业撤场")
    assert entry["pack"] == "权责清单" and entry["pack_id"] == "02-routing" and entry["table"] == "牵头与配合"
    assert entry["description"]
    assert {i["field"] for i in entry["inputs"]} >= {"domains", "focus_text"}
    assert entry["outputs"]["routing.lead"] == "街道办事处" == o.routing.lead
    # the classification rows that led there are traced too, in evaluation order
    packs = [t["pack_id"] for t in o.trace]
    assert packs == sorted(packs)
    assert any(t["row_id"] == "物业管理-1" and t["outputs"]["domain"] == "物业管理" for t in o.trace)


def test_boosts_name_the_row_that_produced_them(bundled_rules):
    o = bundled_rules.evaluate(rule_input_for("附近机关单位的停车场晚上空着，能不能错时共享给居民"))
    boost = next(b for b in o.boosts if b.value == "错时共享停车")
    assert boost.rule == "04-steering/机制偏好/共享停车" and boost.weight > 0
    assert boost["facet"] == "mechanism"  # item access works too


def test_answer_fields(bundled_rules):
    o = bundled_rules.evaluate(rule_input_for("区里要对老城厢实施房屋征收，居民担心补偿偏低"))
    fields = o.answer_fields()
    assert set(fields) == {"routing", "risk", "rule_trace"}
    assert fields["risk"]["level"] == "高"
    assert fields["risk"]["procedures"] == ["公众参与", "专家论证", "风险评估", "合法性审查", "集体讨论决定"]
    assert fields["routing"]["lead"] and fields["routing"]["basis"]


def test_low_risk_and_fallback_routing(bundled_rules):
    o = bundled_rules.evaluate(rule_input_for("你好"))
    assert o.domains == [] and o.risk.level == "低" and o.risk.procedures == []
    assert "属地" in o.routing.lead


def test_hand_made_input_is_completed(bundled_rules):
    o = bundled_rules.evaluate({"text": "村里的小河沟被养殖场排污"})
    assert o.primary_domain == "生态环保" and o.setting == "农村"


def test_build_rule_input_contract():
    ri = build_rule_input("小区想加装电梯。 另反映路灯不亮。", ["小区", "加装电梯"], ["加装电梯"],
                          {"加装电梯": 0.9}, province="上海", level="村社区")
    assert ri["focus_text"] == "小区想加装电梯。"
    assert ri["signals"] == {"rural": False, "urban": True}
    assert ri["domain_scores"] == {"加装电梯": 0.9} and ri["province"] == "上海"


def test_failed_reload_keeps_old_rules(rules_copy, edit_table):
    active = ActiveRules(rules_copy)
    before = active.rules
    text = rule_input_for("小区物业撤场了，没人管")
    assert active.evaluate(text).routing.lead == "街道办事处"

    def breaks(c):
        r = row(c, "物业撤场")
        r[column_id(c, "问题主体")] = 'contains($, "物业"'
        r[column_id(c, "牵头单位")] = '"社区居委会"'
    edit_table(rules_copy, "02-routing", "牵头与配合", breaks)
    with pytest.raises(RuleCheckError) as exc:
        active.reload()
    assert (exc.value.problems[0].file, exc.value.problems[0].row) == ("02-routing/routing.json", "物业撤场")
    assert active.rules is before and active.problems
    assert active.evaluate(text).routing.lead == "街道办事处"

    # fix the table (a real edit this time): the reload swaps in the new rules
    edit_table(rules_copy, "02-routing", "牵头与配合",
               lambda c: row(c, "物业撤场").__setitem__(column_id(c, "问题主体"), 'contains($, "撤场")'))
    active.reload()
    assert active.rules is not before and not active.problems
    assert active.evaluate(text).routing.lead == "社区居委会"
