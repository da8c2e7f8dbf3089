"""`zhili eval` through Typer's runner, on a tiny folder with its own corpus (BM25 only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from zhili.cli.eval import eval_command

from toyset import write_set

app = typer.Typer()
app.command()(eval_command)
runner = CliRunner()


@pytest.fixture(autouse=True)
def sparse_only(zhili_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHILI_EMBEDDER", "none")  # nothing to embed: the engine runs on BM25


def test_json_output_is_stable(tmp_path: Path) -> None:
    root = write_set(tmp_path / "set")
    first = runner.invoke(app, [str(root), "--json", "--no-rules", "--top", "5"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["dataset"] == "set" and data["mode"] == "full" and data["rules"] is False
    assert data["corpus"] == str(root / "corpus.jsonl") and data["depth"] == 5
    assert data["queries"] == 4 and data["evaluated"] == 3
    assert set(data["metrics"]) == {"ndcg@10", "ndcg@30", "recall@10", "mrr"}
    assert data["no_fit"]["queries"] == ["q3"]
    again = runner.invoke(app, [str(root), "--json", "--no-rules", "--top", "5"])
    assert again.stdout == first.stdout


def test_table_output_and_pool_mode(tmp_path: Path) -> None:
    root = write_set(tmp_path / "set")
    result = runner.invoke(app, [str(root), "--no-rules", "--pools"])
    assert result.exit_code == 0, result.output
    for label in ("候选池重排", "nDCG@10", "P@5（仅等级3）", "按查询风格", "规范表述", "ROC AUC"):
        assert label in result.stdout
    labels = runner.invoke(app, [str(root), "--no-rules", "--labels", "--json"])
    assert json.loads(labels.stdout)["mode"] == "label"


@pytest.mark.parametrize("make, args, message", [
    (False, [], "评测目录不存在"),
    (True, ["--pools", "--labels"], "只能选一个"),
    (True, ["--corpus", "nope.jsonl"], "语料文件不存在"),
])
def test_bad_invocations_exit_2(tmp_path: Path, make: bool, args: list[str], message: str) -> None:
    root = write_set(tmp_path / "set") if make else tmp_path / "missing"
    result = runner.invoke(app, [str(root), "--no-rules", *args])
    assert result.exit_code == 2 and message in result.output


def test_pools_flag_without_pools_file(tmp_path: Path) -> None:
    root = write_set(tmp_path / "set", pools=False)
    result = runner.invoke(app, [str(root), "--no-rules", "--pools"])
    assert result.exit_code == 2 and "pools.tsv" in result.output


def test_fit_labels_and_match_calibration_are_reported(tmp_path: Path) -> None:
    root = write_set(tmp_path / "set")
    labels = tmp_path / "labels.jsonl"
    messages = tmp_path / "messages.jsonl"
    labels.write_text('{"id": "m1", "fit": true}\n{"id": "m2", "fit": false, "borderline": true}\n'
                      '{"id": "m3", "fit": false, "text": "asdfgh qwerty"}\n', encoding="utf-8")
    messages.write_text('{"id": "m1", "text": "小区停车难，车位不够"}\n{"id": "m2", "text": "外卖骑手交通违法"}\n',
                        encoding="utf-8")
    res = runner.invoke(app, [str(root), "--json", "--no-rules", "--fit-labels", str(labels),
                              "--messages", str(messages)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    fl = data["fit_labels"]
    assert fl["labels"] == 3 and fl["all"]["no_fit"] == 2 and fl["all"]["fit"] == 1
    assert fl["clear"]["no_fit"] == 1 and fl["verdicts"].get("off_topic") == 1  # the gibberish
    # (the weather sentence is off-topic on the bundled library, tests/engine/test_verdict.py; on this
    # six-case toy library without rules its fit score depends on the refitted coefficients)
    assert {row["level"] for row in data["match"]["levels"]} == {"高", "中", "低"}
    table = runner.invoke(app, [str(root), "--no-rules", "--fit-labels", str(labels), "--messages", str(messages)])
    flat = "".join(table.stdout.split())  # titles wrap on a narrow console
    assert "匹配度校准" in flat and "无匹配标记（人工标注3条" in flat


def test_fit_labels_without_text_name_the_line(tmp_path: Path) -> None:
    root = write_set(tmp_path / "set")
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "m1", "fit": true, "text": "停车难"}\n{"id": "m9", "fit": false}\n', encoding="utf-8")
    res = runner.invoke(app, [str(root), "--no-rules", "--fit-labels", str(labels)])
    out = res.output.replace("\n", "")
    assert res.exit_code == 2 and "labels.jsonl:2" in out and "m9" in out and "--messages" in out
