"""`zhili rules check/test/run/coverage/diff` and the replay diff with and without the engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rules_helpers import BUNDLED_RULES, column_id, row
from zhili.cli.rules import app
from zhili.rules import RuleSet
from zhili.rules.diff import diff_rules

runner = CliRunner()

QUERIES = [
    {"id": "a", "text": "小区物业撤场了，垃圾没人清运，业委会也没有"},
    {"id": "b", "text": "老楼加装电梯，二楼住户担心挡光，不肯签字"},
    {"id": "c", "text": "村里彩礼越来越高，年轻人结不起婚"},
]


def _write_queries(tmp_path: Path) -> Path:
    path = tmp_path / "queries.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUERIES) + "\n", encoding="utf-8")
    return path


def _change_rules(root: Path, edit_table) -> None:
    edit_table(root, "02-routing", "牵头与配合",
               lambda c: row(c, "物业撤场").__setitem__(column_id(c, "牵头单位"), '"社区居委会"'))
    edit_table(root, "03-risk", "风险因素",
               lambda c: row(c, "加装电梯").__setitem__(column_id(c, "风险等级"), '"高"'))
    # a heavy boost for one case mechanism, so the top 10 visibly changes
    edit_table(root, "04-steering", "机制偏好",
               lambda c: row(c, "移风易俗").__setitem__(column_id(c, "加分"), "5"))


def test_check_ok():
    res = runner.invoke(app, ["check", str(BUNDLED_RULES)])
    assert res.exit_code == 0, res.output
    assert "规则检查通过" in res.output and "01-classify" in res.output


def test_check_reports_location_and_fails(rules_copy, edit_table):
    edit_table(rules_copy, "02-routing", "牵头与配合",
               lambda c: row(c, "秸秆禁烧").__setitem__(column_id(c, "问题主体"), 'contains($, "秸秆"'))
    res = runner.invoke(app, ["check", str(rules_copy), "--json"])
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert not data["ok"]
    assert {"file": "02-routing/routing.json", "node": "牵头与配合", "row": "秸秆禁烧", "cell": "问题主体"}.items() \
        <= data["problems"][0].items()


def test_test_command(tmp_path):
    res = runner.invoke(app, ["test", str(BUNDLED_RULES), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["failed"] == 0 and data["examples"] >= 100
    assert data["classification"]["primary_accuracy"] >= 0.85


def test_test_command_fails_on_wrong_expectation(rules_copy):
    path = rules_copy / "02-routing" / "tests.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + json.dumps(
        {"id": "错的期望", "text": "小区物业撤场了", "expect": {"lead": "公安派出所"}}, ensure_ascii=False) + "\n",
        encoding="utf-8")
    res = runner.invoke(app, ["test", str(rules_copy), "--pack", "02-routing"])
    assert res.exit_code == 1
    assert "错的期望" in res.output and "公安派出所" in res.output


def test_run_command_json():
    res = runner.invoke(app, ["run", "村里征地补偿款怎么分谁也说不清", "--dir", str(BUNDLED_RULES), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["routing"]["lead"] == "乡镇人民政府" and data["trace"]


def test_coverage_command(tmp_path):
    res = runner.invoke(app, ["coverage", "--queries", str(_write_queries(tmp_path)),
                              "--dir", str(BUNDLED_RULES), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["queries"] == 3 and data["domains_unreachable_by_any_row"] == []
    assert data["never_fired"] and data["rows_fired"] > 0
    assert "物业管理" in data["domains_reached"]


def test_coverage_rejects_bad_query_file(tmp_path):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": 1, "text": "ok"}\n{"id": 2\n', encoding="utf-8")
    res = runner.invoke(app, ["coverage", "--queries", str(bad), "--dir", str(BUNDLED_RULES)])
    assert res.exit_code == 2 and "q.jsonl:2" in res.output


def test_diff_rules_only(rules_copy, edit_table, tmp_path):
    _change_rules(rules_copy, edit_table)
    res = runner.invoke(app, ["diff", str(BUNDLED_RULES), str(rules_copy), "--queries",
                              str(_write_queries(tmp_path)), "--rules-only", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    by_id = {q["id"]: q for q in data["queries"]}
    assert by_id["a"]["routing_changed"] and by_id["a"]["new"]["routing"]["lead"] == "社区居委会"
    assert by_id["b"]["risk_changed"] and by_id["b"]["new"]["risk"]["level"] == "高"
    assert data["summary"]["routing_changed"] == 1 and data["summary"]["risk_changed"] == 1
    assert not data["with_engine"]


def test_diff_rules_only_text_output(rules_copy, edit_table, tmp_path):
    _change_rules(rules_copy, edit_table)
    res = runner.invoke(app, ["diff", str(BUNDLED_RULES), str(rules_copy), "--queries",
                              str(_write_queries(tmp_path)), "--rules-only"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "街道办事处 → 社区居委会" in res.output and "查询 3 个" in res.output


@pytest.fixture(scope="module")
def engine(tmp_path_factory, bundled_cases_module):
    from zhili.wiring import cases_engine

    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    eng = cases_engine(bundled_cases_module, home / "index", use_rules=False)
    yield eng
    mp.undo()


@pytest.fixture(scope="module")
def bundled_cases_module():
    from zhili.cases import case_from_record
    from zhili.config import BUNDLED_CASES

    return [case_from_record(json.loads(line)) for line in BUNDLED_CASES.read_text(encoding="utf-8").splitlines()]


def test_diff_with_engine_shows_cases_in_and_out(engine, rules_copy, edit_table):
    _change_rules(rules_copy, edit_table)
    old, new = RuleSet.load(BUNDLED_RULES), RuleSet.load(rules_copy)
    saved = engine.rules
    report = diff_rules(old, new, QUERIES, engine=engine, top_k=10)
    assert engine.rules is saved  # restored
    by_id = {d.id: d for d in report.items}
    assert by_id["a"].routing_changed and by_id["b"].risk_changed
    c = by_id["c"]  # 移风易俗: the heavy 红白理事会/村规民约 boost reorders the top 10
    assert c.order_changed and len(c.old.top) == len(c.new.top) == 10
    assert set(c.entered) == set(c.new.top) - set(c.old.top)
    s = report.summary()
    assert s["queries"] == 3 and s["routing_changed"] == 1 and s["risk_changed"] == 1
    assert s["cases_entered"] == s["cases_left"] == sum(len(d.entered) for d in report.items)
    assert report.to_dict()["with_engine"]
