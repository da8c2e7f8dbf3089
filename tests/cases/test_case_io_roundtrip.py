"""Export → import gives back exactly the same cases, in every format an administrator uses."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import openpyxl
import pytest

from zhili.cases import Case, Outcome, Source
from zhili.cases.io import read_cases, write_cases
from zhili.config import BUNDLED_CASES
from bundled import BUNDLED


@pytest.mark.parametrize("name", ["lib.jsonl", "lib.jsonl.gz", "lib.csv", "lib.xlsx"])
def test_bundled_library_round_trips_exactly(tmp_path: Path, bundled_cases: list[Case], name: str) -> None:
    path = write_cases(bundled_cases, tmp_path / name)
    back = read_cases(path)
    assert len(back) == BUNDLED
    assert back == bundled_cases
    ids = [c.id for c in back]
    assert ids == [c.id for c in bundled_cases] == sorted(set(ids))  # id order, no id lost or doubled
    assert ids[:223] == [f"case-{i:04d}" for i in range(1, 224)]  # the original library comes first


def test_jsonl_export_is_byte_identical_to_bundled_file(tmp_path: Path, bundled_cases: list[Case]) -> None:
    path = write_cases(bundled_cases, tmp_path / "lib.jsonl")
    assert path.read_bytes() == BUNDLED_CASES.read_bytes()


def test_english_headers_round_trip(tmp_path: Path, bundled_cases: list[Case]) -> None:
    for name in ("en.csv", "en.xlsx"):
        path = write_cases(bundled_cases[:20], tmp_path / name, headers="en")
        assert read_cases(path) == bundled_cases[:20]
    with (tmp_path / "en.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh))[:3] == ["id", "title", "province"]


def test_fmt_argument_overrides_suffix(tmp_path: Path, bundled_cases: list[Case]) -> None:
    path = write_cases(bundled_cases[:5], tmp_path / "export.dat", fmt="csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert read_cases(path, fmt="csv") == bundled_cases[:5]


def _awkward_case() -> Case:
    return Case(
        id="odd-1",
        title="含|竖线的成效",  # a title is one line (issue 9); line breaks live in multi-line fields
        problem="含|竖线与\n换行的问题",
        outcomes=[
            Outcome(metric="办结率|满意率", value=95.5, unit="%", text="两项|合计"),
            Outcome(metric="", value=None, unit="", text="第一行\n第二行"),
            Outcome(metric="金额", value=-1234.25, unit="万元", text=""),
        ],
        domains=["物业管理"],
        mechanisms=["吹哨、报到", "[试点]网格", "党员联户"],
        actors=["居委会；物业"],
        source=Source(title="=HYPERLINK(\"x\")", url="https://example.org/a?b=1,2", date="2024-01-02"),
    )


@pytest.mark.parametrize("name", ["odd.csv", "odd.xlsx", "odd.jsonl"])
def test_awkward_values_fall_back_to_json_cells_and_round_trip(tmp_path: Path, name: str) -> None:
    case = _awkward_case()
    assert read_cases(write_cases([case], tmp_path / name)) == [case]


def test_outcomes_cell_is_readable_lines(tmp_path: Path, bundled_cases: list[Case]) -> None:
    path = write_cases(bundled_cases[:1], tmp_path / "one.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["成效"] == "建立垃圾分类体系的村庄比例|90|%|推动当地90%的村庄建立垃圾分类体系"
    assert rows[0]["领域"] == "垃圾分类、生态环保、乡村振兴、议事协商"  # the one separator: 顿号
    assert rows[0]["来源日期"] == "2025-05-21"


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


HEADER = ["编号", "标题", "层级", "年份", "成效", "领域", "机制", "来源标题", "来源链接", "来源日期"]
ROW = ["g-1", "网格员上门调解邻里纠纷", "村社区", "2023年",
       "调解成功率|98|%|\n群众满意", "矛盾纠纷调解;议事协商", "网格、调解，党员联户", "某日报", "", "2023-06-01"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_excel_produces(tmp_path: Path, encoding: str) -> None:
    path = _write_csv(tmp_path / f"{encoding}.csv", [HEADER, ROW], encoding)
    [case] = read_cases(path)
    assert case.title == "网格员上门调解邻里纠纷"
    assert case.year == 2023
    assert case.domains == ["矛盾纠纷调解", "议事协商"]
    assert case.mechanisms == ["网格", "调解", "党员联户"]
    assert case.outcomes == [Outcome(metric="调解成功率", value=98, unit="%", text=""), Outcome(text="群众满意")]
    assert case.source == Source(title="某日报", url="", date="2023-06-01")


def test_semicolon_and_tab_delimited_csv(tmp_path: Path) -> None:
    for delim in (";", "\t"):
        path = tmp_path / f"d{ord(delim)}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, delimiter=delim).writerows([["id", "title", "year"], ["a1", "标题", "2020"]])
        assert [(c.id, c.year) for c in read_cases(path)] == [("a1", 2020)]


def test_written_csv_has_bom_for_excel(tmp_path: Path, bundled_cases: list[Case]) -> None:
    assert write_cases(bundled_cases[:2], tmp_path / "x.csv").read_bytes()[:3] == b"\xef\xbb\xbf"


def test_minimal_records_in_jsonl_gz_and_csv(tmp_path: Path) -> None:
    gz = tmp_path / "corpus.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "8", "title": "应某交通肇事一案", "text": "经审理查明……"}, ensure_ascii=False) + "\n")
        fh.write(json.dumps({"id": 9, "title": "", "text": "没有标题的文书正文"}, ensure_ascii=False) + "\n")
    cases = read_cases(gz)
    assert [(c.id, c.title, c.practice) for c in cases] == [
        ("8", "应某交通肇事一案", "经审理查明……"), ("9", "没有标题的文书正文", "没有标题的文书正文")]
    path = _write_csv(tmp_path / "min.csv", [["id", "title", "text"], ["d1", "标题一", "正文一"], ["d2", "", "正文二"]])
    assert [(c.id, c.title, c.practice) for c in read_cases(path)] == [("d1", "标题一", "正文一"), ("d2", "正文二", "正文二")]


def test_hand_made_xlsx_with_numbers_dates_and_blank_rows(tmp_path: Path) -> None:
    from datetime import datetime

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "标题", "年份", "来源日期", "领域"])
    ws.append([101, "数字编号", 2021, datetime(2021, 3, 4), "平安建设"])
    ws.append([None, None, None, None, None])
    ws.append(["x-2", "第二个", 2022.0, "2022-01", None])
    wb.save(tmp_path / "hand.xlsx")
    cases = read_cases(tmp_path / "hand.xlsx")
    assert [(c.id, c.year, c.source.date, c.domains) for c in cases] == [
        ("101", 2021, "2021-03-04", ["平安建设"]), ("x-2", 2022, "2022-01", [])]


def test_progress_is_reported(tmp_path: Path, bundled_cases: list[Case]) -> None:
    for name in ("p.jsonl", "p.csv", "p.xlsx"):
        path = write_cases(bundled_cases, tmp_path / name)
        seen: list[tuple[int, int]] = []
        read_cases(path, progress=lambda done, total: seen.append((done, total)))
        assert seen and seen[-1][0] == seen[-1][1] > 0


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path, bundled_cases: list[Case]) -> None:
    target = tmp_path / "lib.xlsx"
    write_cases(bundled_cases[:3], target)
    # control characters no longer fail an xlsx export (issue 9: they are dropped); a cell
    # longer than Excel's limit still does
    bad = bundled_cases[0].model_copy(update={"practice": "长" * 40_000})
    with pytest.raises(ValueError, match="单元格上限"):
        write_cases([bad], target)
    assert read_cases(target) == bundled_cases[:3]  # the previous export is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.xlsx"]
