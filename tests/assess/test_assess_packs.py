"""Assessment packs without a database: hand-computed scores and levels, every warning kind from a
crafted history (and none from a stable one), the checks that name a bad cell, the examples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from zhili.assess import Record, assess, check_pack, load_pack
from zhili.assess.examples import run_examples
from zhili.assess.pack import PACKS_DIR
from zhili.rules.schema import RuleCheckError

PERIODS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4")


@pytest.fixture(scope="module")
def health():
    return load_pack("health")


@pytest.fixture(scope="module")
def capability():
    return load_pack("capability")


def run(pack, changes: list[dict[str, float]], post: str = ""):
    values, records = dict(pack.baseline), []
    for period, ch in zip(PERIODS, changes):
        values = {**values, **ch}
        records.append(Record("U", period, dict(values), post=post))
    return assess(pack, records)["U"]


def kinds(result) -> set[tuple[str, str]]:
    return {(w.kind, w.indicator) for w in result.warnings}


def test_packs_check_clean_and_say_they_are_starting_points(health, capability) -> None:
    for pack in (health, capability):
        assert len(pack.indicators) == 12
        assert "起步内容" in pack.description and "调整" in pack.description
        assert (pack.directory / "README.md").is_file()
    assert [d.name for d in capability.dimensions][:2] == ["政治素养", "业务能力"]
    assert len(capability.dimensions) == 6 and len(health.dimensions) == 6


def test_health_scores_and_levels_by_hand(health) -> None:
    # H03 = 80 % → 65 points, H04 = 2 → 75 points: 组织生活 (65 + 75) / 2 = 70;
    # total = (20·100 + 15·70 + 20·100 + 15·100 + 15·100 + 15·100) / 100 = 95.5 → 好
    r = run(health, [{"H03": 80, "H04": 2}])[-1]
    assert r.dimensions["组织生活"]["score"] == 70
    assert r.dimensions["组织生活"]["level"] == "一般"
    assert r.total == 95.5 and r.level == "好"
    assert {i["id"]: i["points"] for i in r.indicators}["H03"] == 65
    # H01 = 60 → 30, H02 = 60 → 30 (政治功能 30), H06 = 60 → 30 (班子队伍 (100+30)/2 = 65):
    # total = (20·30 + 15·100 + 20·65 + 15·100 + 15·100 + 15·100) / 100 = 79 → 一般
    r = run(health, [{"H01": 60, "H02": 60, "H06": 60}])[-1]
    assert r.total == 79 and r.level == "一般"
    assert r.dimensions["政治功能"]["level"] == "薄弱"
    assert r.level_rule == "levels/一般"


def test_capability_scores_gaps_and_training_by_hand(capability) -> None:
    # 走访 60, 调处 62 → 群众工作 61; 网格员 requires 80 → gap 19 → 重点 training
    r = run(capability, [{"C05": 60, "C06": 62}], post="网格员")[-1]
    d = r.dimensions["群众工作"]
    assert (d["score"], d["level"], d["required"], d["gap"]) == (61, "合格", 80, 19)
    assert [t["dimension"] for t in r.training] == ["群众工作"]
    assert r.training[0]["suggestion"].startswith("【重点】")
    assert r.weak_dimensions(capability) == ["群众工作"]
    # baseline: (20·92.5 + 20·90.5 + 15·91 + 15·90.5 + 15·96 + 15·97.5) / 100 = 92.85 → 优秀
    base = run(capability, [{}], post="社区党组织书记")[-1]
    assert base.total == 92.85 and base.level == "优秀" and not base.training


def test_each_warning_kind_from_a_crafted_history(health) -> None:
    red = run(health, [{}, {"H05": 4}])[-1]
    assert ("red_line", "H05") in kinds(red)
    assert red.level == "软弱涣散预警" and red.level_rule == "levels/红线直接认定"
    w = next(w for w in red.warnings if w.kind == "red_line")
    assert w.rule == "warnings/红线-书记空缺" and "书记" in w.reason
    assert "动态预警" in w.trace and "红线-书记空缺" in w.trace and "取值 = 4" in w.trace

    drop = run(health, [{}, {"H03": 60, "H04": 0}])[-1]
    assert kinds(drop) == {("drop", "H03"), ("drop", "H04"), ("drop", "总分")}
    assert drop.total == 87.25  # 组织生活 100 → 15: total falls 12.75 > 10

    decline = run(health, [{}, {"H01": 90, "H09": 90}, {"H01": 80, "H09": 80}])
    assert [r.total for r in decline] == [100, 97.38, 93.88]
    assert not decline[1].warnings  # one fall is not a trend
    assert ("decline", "总分") in kinds(decline[-1])

    assert red.warnings[0].severity == 3 and drop.severity == 2 and decline[-1].severity == 1


def test_a_stable_history_warns_nothing(health, capability) -> None:
    for pack, post in ((health, ""), (capability, "社区党组织书记")):
        history = run(pack, [{}, {}, {}, {}], post=post)
        assert all(not r.warnings for r in history)
    # a modest single fall stays quiet too
    assert not run(health, [{}, {"H09": 90}])[-1].warnings


def test_shipped_examples_pass(health, capability) -> None:
    for pack in (health, capability):
        results, problems = run_examples(pack)
        assert not problems
        assert results and all(r.ok for r in results), [(r.id, r.failures) for r in results if not r.ok]


def copy_pack(tmp_path: Path, name: str = "health") -> Path:
    target = tmp_path / "packs" / name
    shutil.copytree(PACKS_DIR / name, target)
    return target


def test_a_bad_cell_is_named(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    graph = json.loads((folder / "warnings.json").read_text(encoding="utf-8"))
    rows = graph["nodes"][1]["content"]["rules"]
    rows[0]["in_value"] = "$ >>> 3"
    rows[1]["out_kind"] = '"红色"'
    (folder / "warnings.json").write_text(json.dumps(graph, ensure_ascii=False), encoding="utf-8")
    pack, problems = check_pack(folder)
    assert pack is None
    where = {(p.file, p.row, p.cell) for p in problems if p.severity == "error"}
    assert ("health/warnings.json", "红线-书记空缺", "本期取值") in where
    assert ("health/warnings.json", "红线-满意度", "预警类型") in where
    with pytest.raises(RuleCheckError):
        load_pack("health", tmp_path / "packs")


def test_a_severity_outside_the_list_is_named_not_a_crash(tmp_path: Path) -> None:
    """Severities are numbers: the shared `one_of` check lists them in its message (it once
    joined the numbers as text and crashed the whole check)."""
    folder = copy_pack(tmp_path)
    graph = json.loads((folder / "warnings.json").read_text(encoding="utf-8"))
    graph["nodes"][1]["content"]["rules"][0]["out_severity"] = "4"
    (folder / "warnings.json").write_text(json.dumps(graph, ensure_ascii=False), encoding="utf-8")
    pack, problems = check_pack(folder)
    assert pack is None
    assert [(p.row, p.message) for p in problems if p.severity == "error"] == [
        ("红线-书记空缺", "取值“4.0”无效（可选：1、2、3）")]


def test_an_unscored_value_range_is_an_error(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    graph = json.loads((folder / "scoring.json").read_text(encoding="utf-8"))
    content = graph["nodes"][1]["content"]
    content["rules"] = [r for r in content["rules"] if r["_id"] != "H03-差"]
    (folder / "scoring.json").write_text(json.dumps(graph, ensure_ascii=False), encoding="utf-8")
    _, problems = check_pack(folder)
    assert any("H03" in p.message and "没有任何评分行命中" in p.message for p in problems)


def test_indicator_list_is_checked(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    items = json.loads((folder / "indicators.json").read_text(encoding="utf-8"))
    items[0]["dimension"] = "不存在的维度"
    items[1]["better"] = "more"
    (folder / "indicators.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    _, problems = check_pack(folder)
    cells = {(p.row, p.cell) for p in problems}
    assert ("H01", "dimension") in cells and ("H02", "better") in cells


def test_diff_replays_data_under_two_pack_versions(tmp_path: Path, health) -> None:
    from zhili.assess.diff import diff_packs

    folder = copy_pack(tmp_path)
    graph = json.loads((folder / "warnings.json").read_text(encoding="utf-8"))
    for row in graph["nodes"][1]["content"]["rules"]:
        if row["_id"] == "红线-书记空缺":
            row["in_value"] = "$ > 6"  # a county that tolerates a longer vacancy
    (folder / "warnings.json").write_text(json.dumps(graph, ensure_ascii=False), encoding="utf-8")
    new = load_pack("health", tmp_path / "packs")
    values = dict(health.baseline)
    records = [Record("A", "2025Q1", values), Record("A", "2025Q2", {**values, "H05": 5})]
    report = diff_packs(health, new, records)
    assert report["changed"] == 1 and report["level_changed"] == 1
    item = report["items"][0]
    assert item["warnings_removed"] == [["red_line", "H05"]] and item["new"]["level"] != "软弱涣散预警"
