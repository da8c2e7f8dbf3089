"""The bundled packs: they check clean, every example passes, every domain is reachable."""

from __future__ import annotations

import pytest

from zhili.cases import DOMAINS
from zhili.rules import check_dir
from zhili.rules.coverage import coverage, static_domains
from zhili.rules.examples import classification_accuracy, load_examples, run_examples

from rules_helpers import BUNDLED_RULES


def test_bundled_packs_check_clean():
    packs, problems = check_dir(BUNDLED_RULES)
    assert [p.id for p in packs] == ["01-classify", "02-routing", "03-risk", "04-steering", "05-leadership"]
    assert [str(p) for p in problems] == []


def test_examples_are_well_formed(bundled_rules):
    examples, problems = load_examples(bundled_rules)
    assert problems == []
    ids = [(e.pack_id, e.id) for e in examples]
    assert len(ids) == len(set(ids))


def _examples():
    from zhili.rules import RuleSet
    return load_examples(RuleSet.load(BUNDLED_RULES))[0]


@pytest.mark.parametrize("example", _examples(), ids=lambda e: f"{e.pack_id}:{e.id}")
def test_example(bundled_rules, example):
    from zhili.rules import rule_input_for
    from zhili.rules.examples import check

    outcome = bundled_rules.evaluate(rule_input_for(example.text, example.province, example.level))
    assert check(outcome, example.expect) == []


def test_at_least_twenty_routing_and_risk_problems(bundled_rules):
    examples, _ = load_examples(bundled_rules)
    both = [e for e in examples if ("lead" in e.expect or "lead_contains" in e.expect)
            and "risk_level" in e.expect]
    assert len(both) >= 20
    assert {e.expect["risk_level"] for e in examples if "risk_level" in e.expect} == {"低", "中", "高"}


def test_every_domain_has_a_classification_row(bundled_rules):
    reachable = static_domains(bundled_rules)
    assert set(reachable) == set(DOMAINS)
    assert [d for d, rows in reachable.items() if not rows] == []


def test_every_domain_is_reached_by_a_labelled_example(bundled_rules):
    results, _ = run_examples(bundled_rules, "01-classify")
    report = coverage(bundled_rules, [{"text": r.example.text} for r in results])
    assert report.domains_not_reached == []


def test_classification_accuracy_on_labelled_examples(bundled_rules):
    results, _ = run_examples(bundled_rules)
    acc = classification_accuracy(results)
    print(f"\n问题分类：{acc['n']} 个标注例子，主领域准确率 {acc['primary_accuracy']:.3f}，"
          f"精确率 {acc['precision']:.3f}，召回率 {acc['recall']:.3f}，F1 {acc['f1']:.3f}")
    assert acc["n"] >= 50
    assert acc["primary_accuracy"] >= 0.85
    assert acc["recall"] >= 0.85
