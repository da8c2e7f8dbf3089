"""`zhili cases …` through Typer's CliRunner: exit codes, messages, and that failures change nothing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhili.cases import Case
from zhili.cases.io import read_cases, write_cases
from zhili.cli.cases import app
from zhili.config import BUNDLED_CASES
from zhili.store import CaseStore
from bundled import BUNDLED

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_validate_good_file_exits_zero_with_count() -> None:
    result = _run("validate", BUNDLED_CASES)
    assert result.exit_code == 0, result.output
    assert str(BUNDLED) in result.output and "有效" in result.output


def test_validate_bad_file_lists_rows_and_exits_one(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("编号,标题,层级,年份\na,好,省,2020\nb,坏,乡,明年\na,重复,,\n", encoding="utf-8")
    result = _run("validate", path, "--draft")  # as drafts: problem/practice and source not required
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{path}：3 处错误" in lines
    assert "  第 3 行 [年份(year)]：年份必须是整数（如 2023），收到“明年”" in lines
    assert "  第 3 行 [层级(level)]：层级必须是 全国/省/市/区县/乡镇街道/村社区 之一，收到“乡”" in lines
    assert "  第 4 行 [编号(id)]：编号“a”重复（第 2 行已出现）" in lines


def test_markup_like_text_in_errors_is_printed_literally(tmp_path: Path) -> None:
    path = tmp_path / "[red]x[bold].jsonl"
    path.write_text('{"id": "m", "title": "t", "level": "[/bold]"}\n', encoding="utf-8")
    result = _run("validate", path)
    assert result.exit_code == 1
    assert "收到“[/bold]”" in result.output and "[red]x[bold].jsonl" in result.output


def test_validate_unsupported_file_exits_one(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    result = _run("validate", path)
    assert result.exit_code == 1 and ".xlsx" in result.output


def test_import_with_errors_changes_nothing(zhili_home: Path, tmp_path: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open() as store:
        before = store.library_hash()
    path = tmp_path / "mixed.jsonl"
    good = [json.dumps({"id": f"n-{i}", "title": f"新案例{i}"}, ensure_ascii=False) for i in range(5)]
    path.write_text("\n".join([*good, '{"id": "n-9", "title": "t", "year": 3000}']) + "\n", encoding="utf-8")
    result = _run("import", path, "--replace")
    assert result.exit_code == 1
    assert "  第 6 行 [年份(year)]：年份 3000 不在 1949–2100 之间" in result.output.splitlines()
    assert "没有任何改动" in result.output
    with CaseStore.open() as store:
        assert store.library_hash() == before and store.count() == BUNDLED


def test_import_upsert_then_replace(zhili_home: Path, tmp_path: Path, bundled_cases: list[Case]) -> None:
    edited = [bundled_cases[0].model_copy(update={"title": "新标题"}), *bundled_cases[1:3],
              Case(id="new-1", title="新增案例", domains=["停车治理"], problem="停车难",
                   source={"publisher": "某区人民政府网站", "title": "新增案例的出处"})]
    path = write_cases(edited, tmp_path / "edit.xlsx")
    result = _run("import", path)
    assert result.exit_code == 0, result.output
    assert "新增 1，更新 1，未变 2" in result.output and f"现有 {BUNDLED + 1} 个" in result.output
    result = _run("import", path, "--replace")
    assert result.exit_code == 0, result.output
    assert f"删除 {BUNDLED - 3}" in result.output
    with CaseStore.open() as store:
        assert store.all() == sorted(edited, key=lambda c: c.id)


@pytest.mark.parametrize("fmt,name", [("jsonl", "out.jsonl"), ("csv", "out.csv"), ("xlsx", "out.xlsx"), ("csv", "out.dat")])
def test_export_each_format(zhili_home: Path, tmp_path: Path, bundled_cases: list[Case], fmt: str, name: str) -> None:
    target = tmp_path / name
    result = _run("export", target, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert str(BUNDLED) in result.output
    assert read_cases(target, fmt) == bundled_cases


def test_export_rejects_unknown_format(zhili_home: Path, tmp_path: Path) -> None:
    assert _run("export", tmp_path / "x.pdf").exit_code == 1
    assert _run("export", tmp_path / "x.csv", "--format", "pdf").exit_code == 2
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "x.csv").exists()


def test_stats_json_and_table(zhili_home: Path, bundled_cases: list[Case]) -> None:
    result = _run("stats", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == BUNDLED
    assert sum(data["by_level"].values()) == BUNDLED
    # case-0001…0026 come from the source article (print); case-0030's only link was a search page
    assert data["without_source_url"] == 27
    # the original 223 cases were 138 reposts, 64 mainstream media, 21 official; the grown library is
    # counted from the file, and its case-0001…0223 slice still has those counts
    assert data["by_trust"] == dict(Counter(c.source.trust for c in bundled_cases))
    assert Counter(c.source.trust for c in bundled_cases[:223]) == {"转载（待核实）": 138, "主流媒体": 64, "官方发布": 21}
    assert data["year_min"] <= data["year_max"]
    assert set(data["by_leadership"]) <= {"政治引领", "组织引领", "能力引领", "机制引领"}
    table = _run("stats")
    assert table.exit_code == 0 and "层级分布" in table.output and "缺少来源链接 27" in table.output
    assert "来源可信度分布" in table.output


def test_stats_of_a_file(tmp_path: Path, bundled_cases: list[Case]) -> None:
    path = write_cases(bundled_cases[:10], tmp_path / "ten.csv")
    result = _run("stats", "--json", "--file", path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 10


def test_terminal_output_uses_table_and_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 bundled_cases: list[Case]) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats the captured output as a terminal
    monkeypatch.setenv("COLUMNS", "160")
    good = write_cases(bundled_cases, tmp_path / "lib.xlsx")
    assert _run("validate", good).exit_code == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "m", "title": "t", "level": "[/bold]"}\n', encoding="utf-8")
    result = _run("validate", bad)
    assert result.exit_code == 1
    assert "层级(level)" in result.output and "[/bold]" in result.output and "┃" in result.output
