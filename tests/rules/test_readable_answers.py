"""Readable answers: each fired row says one Chinese sentence; risk says which kind it is; the
supporting actors name each body once; the hand labels for real messages stay well-formed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from zhili.cases.model import DOMAINS
from zhili.rules import RuleSet, check_dir, rule_input_for
from zhili.rules.outcome import _actor_key
from zhili.rules.schema import PROCEDURES
from zhili.rules.summary import summarize

from rules_helpers import column_id, row

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "tests" / "data" / "message_routing_labels.jsonl"


def run(rules: RuleSet, text: str):
    return rules.evaluate(rule_input_for(text))


def test_every_trace_item_has_a_sentence_and_keeps_its_raw_keys(bundled_rules):
    o = run(bundled_rules, "独居高龄老人没人照顾，子女都在外地")
    assert o.trace and all(isinstance(t["summary"], str) and t["summary"] for t in o.trace)
    tag = next(t for t in o.trace if t["target"] == "domain_tags" and t["outputs"]["domain"] == "养老服务")
    assert tag["summary"].startswith("命中“养老服务”分类规则：文中出现“")
    assert "独居" in tag["summary"] or "老人" in tag["summary"]
    assert tag["outputs"]["weight"] > 0 and tag["inputs"]  # the raw keys are still there
    lead = next(t for t in o.trace if t["target"] == "routing")
    assert lead["summary"].startswith(f"牵头：{o.routing.lead}（依据：")
    assert "=" not in "".join(t["summary"] for t in o.trace)  # no `domain=…；weight=…`


def test_evidence_quotes_words_found_far_into_a_long_text(bundled_rules):
    # the trace shortens long input values; the sentence must still quote what was found
    text = "我们小区的情况比较复杂，" * 8 + "楼下烧烤店没有专用烟道，油烟直接熏到楼上"
    o = run(bundled_rules, text)
    tag = next(t for t in o.trace if t["target"] == "domain_tags" and "油烟" in t["summary"])
    assert tag["outputs"]["domain"] == "城市管理与执法"
    assert all(len(str(i["value"])) <= 61 for i in tag["inputs"])  # shortened in the JSON


def test_summary_of_a_proximity_cell_quotes_the_words_not_the_whole_span():
    cell = 'some([["广场舞", "广场舞[^。]{0,16}(吵|晚上)"]], contains($, #[0]) and matches($, #[1]))'
    inputs = [{"field": "focus_text", "test": cell, "value": "广场舞音响开得很大，晚上十点还在跳"}]
    s = summarize("domain_tags", inputs, {"domain": "城市管理与执法", "weight": 1.2})
    assert s == "命中“城市管理与执法”分类规则：文中出现“广场舞、晚上”"
    # a negated cell is no evidence
    inputs = [{"field": "focus_text", "test": 'none(["施工"], contains($, #))', "value": "楼上吵"}]
    assert summarize("domain_tags", inputs, {"domain": "矛盾纠纷调解"}, "邻里") == "命中“矛盾纠纷调解”分类规则：邻里"


def test_barbecue_fumes_and_noise_go_to_enforcement_with_no_body_twice(bundled_rules):
    o = run(bundled_rules, "小区楼下烧烤店油烟噪音扰民")
    assert o.primary_domain == "城市管理与执法"
    assert "综合行政执法" in o.routing.lead
    assert "生态环境部门" in o.routing.supporting
    keys = [_actor_key(a) for a in [o.routing.lead, *o.routing.supporting]]
    assert len(keys) == len(set(keys))
    assert o.risk.kind == ""  # neither a public decision nor a dispute between parties


def test_supporting_actors_are_not_repeated_under_another_remark(bundled_rules):
    # 邻里纠纷 lists 公安派出所（社区民警）; 有人身伤害风险 adds 公安派出所: one body, listed once
    o = run(bundled_rules, "楼上邻居天天半夜跺脚，两家吵了好几次，上周还动手打起来了")
    keys = [_actor_key(a) for a in [o.routing.lead, *o.routing.supporting]]
    assert keys.count("公安派出所") == 1
    assert len(keys) == len(set(keys))


def test_a_neighbours_quarrel_is_a_dispute_not_a_major_decision(bundled_rules):
    o = run(bundled_rules, "楼上邻居天天半夜跺脚，两家吵了好几次，上周还动手打起来了")
    assert o.risk.kind == "矛盾纠纷"
    assert not set(o.risk.procedures) & {"专家论证", "合法性审查", "集体讨论决定"}
    assert any("冲突激化" in r for r in o.risk.reasons)
    risk_rows = [t for t in o.trace if t["target"] == "risk_factors"]
    assert risk_rows and all(t["summary"].startswith("矛盾纠纷风险") for t in risk_rows)


def test_a_public_decision_gets_the_five_procedures_and_outranks_a_dispute(bundled_rules):
    o = run(bundled_rules, "区里要在小区旁边建垃圾焚烧厂，上百户居民联名反对")
    assert o.risk.kind == "重大行政决策" and o.risk.level == "高"
    assert o.risk.procedures[:5] == list(PROCEDURES)
    assert any("群体性" in r for r in o.risk.reasons)  # the escalation signal is still named


def test_mountain_elders_seeing_a_doctor_is_not_an_epidemic(bundled_rules):
    o = run(bundled_rules, "山区留守老人看病难")
    assert "卫生健康" in o.routing.lead
    assert "传染病" not in o.routing.basis and "乡村医疗卫生体系" in o.routing.basis


def test_a_risk_kind_outside_the_vocabulary_is_reported_with_its_place(rules_copy, edit_table):
    def spoil(content):
        row(content, "邻避项目")[column_id(content, "风险类别（重大行政决策/矛盾纠纷/空）")] = '"重大决策"'
    edit_table(rules_copy, "03-risk", "风险因素", spoil)
    _, problems = check_dir(rules_copy)
    bad = [p for p in problems if p.row == "邻避项目"]
    assert bad and bad[0].severity == "error" and "重大决策" in bad[0].message
    assert "03-risk" in bad[0].file


def test_packs_without_a_kind_column_still_load(rules_copy, edit_table):
    """`kind` is optional: a county's older risk table keeps working (kind stays "")."""
    def drop(content):
        cid = column_id(content, "风险类别（重大行政决策/矛盾纠纷/空）")
        content["outputs"] = [c for c in content["outputs"] if c["id"] != cid]
        for r in content["rules"]:
            r.pop(cid, None)
    edit_table(rules_copy, "03-risk", "风险因素", drop)
    o = RuleSet.load(rules_copy).evaluate(rule_input_for("要在村旁边建垃圾填埋场，村民强烈反对"))
    assert o.risk.level == "高" and o.risk.kind == ""


def test_message_labels_are_well_formed():
    labels = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(labels) >= 60 and len({x["id"] for x in labels}) == len(labels)
    for x in labels:
        assert x["domain"] in DOMAINS and all(d in DOMAINS for d in x["domain_ok"]), x["id"]
        assert x["lead"] and x["lead_any"] and x["reason"], x["id"]
    # the documented selection: the first ones by sha256(id) (the messages themselves are not in
    # the repository; the order of the ids is enough to check the selection was not hand-picked)
    ids = [x["id"] for x in labels]
    assert ids == sorted(ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())


def test_message_labels_cover_the_documented_selection():
    messages = ROOT.parent / "shared" / "bench" / "messages" / "messages.jsonl"
    if not messages.is_file():
        messages = ROOT.parent.parent / "shared" / "bench" / "messages" / "messages.jsonl"
    if not messages.is_file():
        pytest.skip("../shared/bench/messages/messages.jsonl is not beside this checkout")
    rows = [json.loads(x) for x in messages.read_text(encoding="utf-8").splitlines() if x.strip()]
    chosen = sorted(rows, key=lambda m: hashlib.sha256(m["id"].encode()).hexdigest())[:64]
    labels = [json.loads(x)["id"] for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert labels == [m["id"] for m in chosen]
