"""Issue 9: Infinity/NaN and control characters are refused on the way in, with a per-row,
per-field Chinese error, and exports never write what other tools cannot read."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
from pydantic import ValidationError

from zhili.cases import Case
from zhili.cases.errors import CaseFileError, RowError
from zhili.cases.io import read_cases, write_cases
from zhili.cases.model import Outcome, stored_case

GOOD = {"id": "ok-1", "title": "好案例", "level": "村社区", "year": 2023, "domains": ["物业管理"]}


def _errors(path: Path) -> list[RowError]:
    with pytest.raises(CaseFileError) as info:
        read_cases(path)
    return info.value.errors


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity", "-Infinity"])
def test_jsonl_refuses_non_finite_outcome_values(tmp_path: Path, number: str) -> None:
    bad = '{"id": "bad-1", "title": "无穷", "outcomes": [{"metric": "m", "value": %s}]}' % number
    path = tmp_path / "inf.jsonl"
    path.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n" + bad + "\n", encoding="utf-8")
    [err] = _errors(path)
    assert (err.row, err.field) == (2, "outcomes[0].value")
    assert "有限的数字" in err.reason


def test_model_refuses_non_finite_but_reading_stored_rows_tolerates_it() -> None:
    with pytest.raises(ValidationError) as info:
        Case.model_validate({**GOOD, "outcomes": [{"metric": "m", "value": float("nan")}]})
    assert info.value.errors()[0]["loc"] == ("outcomes", 0, "value")
    stored = stored_case({**GOOD, "title": "旧\x07数据", "outcomes": [{"metric": "m", "value": float("inf")}]})
    assert stored.outcomes[0].value is None and stored.title == "旧\x07数据"


def test_csv_and_xlsx_refuse_non_finite_values(tmp_path: Path) -> None:
    rows = [["编号", "标题", "成效"], ["c-1", "好", "办结率|95|%|"], ["c-2", "坏", "办结率|inf|%|"],
            ["c-3", "坏", '[{"metric": "m", "value": NaN}]']]
    path = tmp_path / "inf.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert [(e.row, e.field) for e in _errors(path)] == [(3, "outcomes"), (4, "outcomes[0].value")]
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(tmp_path / "inf.xlsx")
    assert [(e.row, e.field) for e in _errors(tmp_path / "inf.xlsx")] == [(3, "outcomes"), (4, "outcomes[0].value")]


@pytest.mark.parametrize("field,value,where", [
    ("title", "标\x07题", "title"), ("title", "两\n行", "title"), ("province", "浙\x1b江", "province"),
    ("mechanisms", ["议事\x0b会"], "mechanisms"), ("source", {"title": "来\x01源"}, "source"),
    ("outcomes", [{"metric": "办\x08结率", "value": 1}], "outcomes"),
    ("practice", "做法\x0c分页", "practice"), ("problem", "坏\ud800字", "problem"),
])
def test_control_characters_are_row_errors(tmp_path: Path, field: str, value: object, where: str) -> None:
    bad = {**GOOD, "id": "bad-1", field: value}
    path = tmp_path / "ctl.jsonl"
    path.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    [err] = _errors(path)
    assert (err.row, err.field) == (2, where)
    assert "U+" in err.reason


def test_one_line_fields_are_stripped_before_the_check() -> None:
    assert Case.model_validate({**GOOD, "title": "  标题\r\n", "mechanisms": ["议事会\n"]}).title == "标题"


def test_multiline_fields_keep_tabs_and_line_breaks(tmp_path: Path) -> None:
    case = Case.model_validate({**GOOD, "problem": "第一行\r\n第二行\t说明", "practice": "一\n二",
                                "outcomes": [{"metric": "m", "value": 1, "text": "甲\n乙"}]})
    back = read_cases(write_cases([case], tmp_path / "ok.xlsx"))
    assert back[0].practice == "一\n二" and back[0].outcomes[0].text == "甲\n乙"


def test_csv_and_xlsx_name_the_row_with_a_control_character(tmp_path: Path) -> None:
    rows = [["编号", "标题"], ["c-1", "好"], ["c-2", "坏\x07"]]
    path = tmp_path / "ctl.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    [err] = _errors(path)
    assert (err.row, err.field) == (3, "title") and "U+0007" in err.reason


def test_export_writes_standard_json_and_an_xlsx_even_for_bad_stored_values(tmp_path: Path) -> None:
    """A value an older build stored (read with the stored context) exports without failing."""
    old = stored_case({**GOOD, "title": "=旧\x07标题", "practice": "做法\x1b", "outcomes": [
        {"metric": "m", "value": float("nan")}]})
    text = write_cases([old], tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert "NaN" not in text and json.loads(text)["outcomes"][0]["value"] is None
    wb = openpyxl.load_workbook(io.BytesIO(write_cases([old], tmp_path / "out.xlsx").read_bytes()))
    row = [c.value for c in wb["案例"][2]]
    assert row[1] == "'=旧标题" and row[8] == "做法"  # cleaned, and still escaped against formulas
    assert read_cases(tmp_path / "out.xlsx")[0].title == "=旧标题"


def test_export_refuses_to_write_non_standard_json(tmp_path: Path) -> None:
    """Only a case built around validation can hold Infinity; the writer still refuses it."""
    case = Case.model_validate(GOOD)
    case.outcomes.append(Outcome.model_construct(metric="m", value=float("inf"), unit="", text=""))
    with pytest.raises(ValueError, match="有限数字"):
        write_cases([case], tmp_path / "bad.jsonl")
    assert not (tmp_path / "bad.jsonl").exists()
