"""`zhili recommend` and `zhili index` through the real CLI, on a real workspace."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhili.cli import app

RESULT_KEYS = {"rank", "case_id", "title", "place", "province", "level", "year", "score", "weak",
               "match", "methods", "rules", "matched_terms", "leadership", "domains", "mechanisms", "actors",
               "problem", "practice", "outcomes", "source"}
ANSWER_KEYS = {"query", "normalized_query", "terms", "lexicon_hits", "filters", "candidates", "verdict",
               "no_fit", "fit_score", "message", "caution", "fit_signals", "results", "by_dimension", "rules_used", "classification",
               "routing", "risk", "suggestions", "rule_trace"}


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> CliRunner:
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    mp.delenv("ZHILI_DB_URL", raising=False)
    yield CliRunner()
    mp.undo()


def run_json(runner, *args):
    res = runner.invoke(app, ["recommend", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_recommend_json_schema(runner):
    ans = run_json(runner, "小区物业跑路了，垃圾没人清，找谁？", "--top", "4")
    assert set(ans) == ANSWER_KEYS
    assert len(ans["results"]) == 4 and set(ans["results"][0]) == RESULT_KEYS
    r = ans["results"][0]
    assert set(r["methods"]) == {"bm25", "dense", "domain_feedback"}
    assert {"rank", "score"} <= set(r["methods"]["bm25"])
    assert set(ans["routing"]) >= {"lead", "supporting", "basis"} and ans["routing"]["lead"]
    assert ans["risk"]["level"] in ("低", "中", "高") and isinstance(ans["risk"]["procedures"], list)
    trace = ans["rule_trace"]
    assert trace and {"pack", "table", "row_id", "inputs", "outputs"} <= set(trace[0])
    assert set(ans["by_dimension"]) == {"政治引领", "组织引领", "能力引领", "机制引领"}


def test_a_near_miss_prints_the_caution(runner):
    res = runner.invoke(app, ["recommend", "早上六点多路灯就关了，孩子上学路上一片漆黑，能不能晚点关灯", "--top", "2"])
    assert res.exit_code == 0, res.output
    assert "提示：以下案例与问题领域相近" in res.output and "核对其做法是否适用" in res.output.replace("\n", "")
    res = runner.invoke(app, ["recommend", "老旧小区想加装电梯，一楼住户坚决反对", "--top", "2"])
    assert "核对其做法" not in res.output


def test_no_rules_drops_rule_output_and_changes_scores(runner):
    q = "老旧小区想加装电梯，一楼住户坚决反对"
    on, off = run_json(runner, q), run_json(runner, q, "--no-rules")
    assert on["rules_used"] and on["routing"] and on["rule_trace"]
    assert not off["rules_used"] and off["routing"] is None and off["rule_trace"] == []
    assert all(r["rules"] is None for r in off["results"])
    moved = [r for r in on["results"] if r["rules"] and r["rules"]["contribution"] != 0]
    assert moved, "rules should move at least one case's score"


def test_filters_on_the_command_line(runner):
    ans = run_json(runner, "矛盾纠纷调解", "--province", "浙江", "--level", "村社区", "--top", "20")
    assert ans["results"] and all(r["province"] == "浙江" and r["level"] == "村社区" for r in ans["results"])
    assert ans["filters"] == {"province": ["浙江"], "level": ["村社区"]}


def test_bad_filter_and_empty_query_exit_2(runner):
    assert runner.invoke(app, ["recommend", "物业", "--level", "火星"]).exit_code == 2
    res = runner.invoke(app, ["recommend", "  "])
    assert res.exit_code == 2 and "问题描述" in res.output


def test_batch_jsonl(runner, tmp_path: Path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"id": "a", "text": "错峰共享停车"}\n\n{"id": 7, "text": "楼上邻居高空抛物"}\n', encoding="utf-8")
    res = runner.invoke(app, ["recommend", "--batch", str(f), "--top", "3", "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["query_id"] for x in lines] == ["a", 7]
    assert all({"query_id", "no_fit", "results"} <= set(x) and len(x["results"]) == 3 for x in lines)
    assert {"case_id", "score"} <= set(lines[0]["results"][0])
    assert lines[0]["no_fit"] is False and lines[1]["no_fit"] is True


def test_batch_file_errors_name_the_line(runner, tmp_path: Path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"id": "a", "text": "物业"}\n{not json}\n{"text": "缺id"}\n', encoding="utf-8")
    res = runner.invoke(app, ["recommend", "--batch", str(f), "--json"])
    assert res.exit_code == 2
    assert "bad.jsonl:2" in res.output and "bad.jsonl:3" in res.output


def test_rich_view_shows_routing_and_weak_matches(runner):
    # a no-fit question (秸秆禁烧 has 禁烧 cases since the kinds growth; 高空抛物 has none)
    res = runner.invoke(app, ["recommend", "楼上邻居高空抛物", "--top", "2"])
    assert res.exit_code == 0
    assert "库中暂无高度匹配的案例" in res.output and "弱匹配" in res.output
    res = runner.invoke(app, ["recommend", "村里征地拆迁补偿不公，几十户村民要集体上访"])
    assert "牵头" in res.output and "风险等级" in res.output


def test_index_command_reuses_index(runner):
    runner.invoke(app, ["index"])
    res = runner.invoke(app, ["index"])
    assert res.exit_code == 0 and "直接复用" in res.output


def test_import_then_recommend_sees_new_case(runner, tmp_path: Path):
    f = tmp_path / "new.jsonl"
    f.write_text(json.dumps({"id": "case-9100", "title": "测试镇“彩虹驿站”服务快递员",
                             "problem": "快递员午间没有歇脚点。", "practice": "利用党群服务站设彩虹驿站。",
                             "domains": ["就业与新就业群体"], "source": {"publisher": "测试用来源", "title": "彩虹驿站"}},
                            ensure_ascii=False) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["cases", "import", str(f)]).exit_code == 0
    ans = run_json(runner, "彩虹驿站", "--top", "1")
    assert ans["results"][0]["case_id"] == "case-9100"


def test_rich_view_shows_verdicts_and_match(runner):
    res = runner.invoke(app, ["recommend", "今天天气不错我想吃火锅"])
    flat = "".join(res.output.split())
    assert res.exit_code == 0 and "不属于基层治理问题" in flat and "牵头：" not in flat and "匹配度" not in flat
    res = runner.invoke(app, ["recommend", "老楼加装电梯", "--province", "西藏", "--domain", "加装电梯"])
    flat = "".join(res.output.split())
    assert "没有符合筛选条件的案例" in flat and "地区：西藏" in flat and "以下为最接近" not in flat
    res = runner.invoke(app, ["recommend", "老旧小区想加装电梯，一楼住户坚决反对", "--top", "2"])
    flat = "".join(res.output.split())
    assert "匹配度高" in flat and "问题用词与案例" in flat and "详情：融合得分" in flat


def test_json_carries_verdict_signals_and_match(runner):
    fit = run_json(runner, "错峰共享停车", "--top", "2")
    assert fit["verdict"] == "fit" and 0.5 <= fit["fit_score"] <= 1 and "topic_coverage" in fit["fit_signals"]
    assert set(fit["results"][0]["match"]) == {"level", "percent", "explanation"}
    off = run_json(runner, "asdfgh qwerty 12345")
    assert off["verdict"] == "off_topic" and off["no_fit"] and off["results"] == [] and off["routing"] is None
