"""Excel round-trip of rule packs (issue 13): export → edit in openpyxl → import, per-cell reports,
and the CLI's export / import / replay."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from rules_helpers import BUNDLED_RULES
from zhili.cli.rules import app
from zhili.rules.diff import diff_rules
from zhili.ruleedit import load_files, read_dir
from zhili.ruleedit.tables import graph_of
from zhili.ruleedit.workbook import GUIDE_SHEET, META_SHEET, WorkbookError, export_workbook, import_workbook

runner = CliRunner()
SHEET = "权责清单-牵头与配合"
WORD = "测试专用词甲"
QUERY = {"id": "q", "text": f"{WORD}：小区里的公共设施坏了没人修", "province": "", "level": ""}


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return read_dir(BUNDLED_RULES)


@pytest.fixture(scope="module")
def book(files: dict[str, str]) -> bytes:
    return export_workbook(files)


def _edit(book: bytes, fn) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(book))
    fn(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _col(ws, header: str) -> str:
    return next(c.column_letter for c in ws[1] if c.value == header)


def _rows(files: dict[str, str], pack: str, table: str) -> list[dict]:
    graph = graph_of(files, pack)[1]
    node = next(n for n in graph["nodes"] if n.get("id") == table)
    return node["content"]["rules"]


def test_export_has_a_sheet_per_table_readable_headers_and_a_guide(book: bytes, files) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(book))
    rules = load_files(files)
    assert wb.sheetnames[0] == GUIDE_SHEET and wb[META_SHEET].sheet_state == "hidden"
    assert len(wb.sheetnames) == 2 + sum(len(p.tables) for p in rules.packs)
    header = [c.value for c in wb[SHEET][1]]
    assert header[:2] == ["编号", "说明"] and {"主领域", "问题主体", "牵头单位", "配合单位", "依据"} <= set(header)
    assert "zhili rules check" in " ".join(str(c.value) for c in wb[GUIDE_SHEET]["A"] if c.value)
    # unchanged workbook → the very same files
    assert import_workbook(book, files).files == files


def test_a_changed_row_imports_as_exactly_that_change(book: bytes, files) -> None:
    def change(wb):
        ws = wb[SHEET]
        for header, value in (("主领域", ""), ("全部领域", ""), ("城乡环境", ""),
                              ("问题主体", f'contains($, "{WORD}")'), ("牵头单位", '"测试牵头单位"')):
            ws[f"{_col(ws, header)}2"] = value
        # columns may be moved: swap two headers together with their cells
        a, b = _col(ws, "依据"), _col(ws, "配合单位")
        for r in range(1, ws.max_row + 1):
            ws[f"{a}{r}"].value, ws[f"{b}{r}"].value = ws[f"{b}{r}"].value, ws[f"{a}{r}"].value

    result = import_workbook(_edit(book, change), files)
    assert result.ok, [str(p) for p in result.problems]
    changed = [k for k in files if files[k] != result.files[k]]
    assert changed == [graph_of(files, "02-routing")[0]]
    old_rows, new_rows = _rows(files, "02-routing", "routing"), _rows(result.files, "02-routing", "routing")
    assert len(old_rows) == len(new_rows)
    differs = [i for i, (o, n) in enumerate(zip(old_rows, new_rows)) if o != n]
    assert differs == [0]
    assert new_rows[0]["out_lead"] == '"测试牵头单位"' and new_rows[0]["_id"] == old_rows[0]["_id"]
    report = diff_rules(load_files(files), load_files(result.files), [QUERY])
    d = report.items[0]
    assert d.routing_changed and d.new.routing["lead"] == "测试牵头单位"
    assert not d.domains_changed and not d.risk_changed
    assert f"02-routing/牵头与配合/{new_rows[0]['_id']}" in d.new.fired


def test_bad_cells_are_reported_by_sheet_row_and_column_and_nothing_is_returned_applied(book, files) -> None:
    def spoil(wb):
        ws = wb[SHEET]
        ws[f"{_col(ws, '问题主体')}3"] = 'contains($, "物业'     # unclosed quote
        ws[f"{_col(ws, '配合单位')}5"] = '"只有一个字符串"'          # must be a list
        ws[f"{_col(ws, '编号')}7"] = ws[f"{_col(ws, '编号')}6"].value  # duplicate row id
        wb["问题分类-领域标签"][f"{_col(wb['问题分类-领域标签'], '权重')}2"] = 0.75  # a number cell is fine

    result = import_workbook(_edit(book, spoil), files)
    assert not result.ok
    errors = {(p.sheet, p.row, p.header) for p in result.problems if p.severity == "error"}
    assert (SHEET, 3, "问题主体") in errors
    assert (SHEET, 5, "配合单位") in errors
    assert (SHEET, 7, "编号") in errors
    assert all(p.column for p in result.problems if p.severity == "error")  # a letter for each
    bad = next(p for p in result.problems if p.row == 3)
    assert "无法解析" in bad.message and bad.column == _col(openpyxl.load_workbook(io.BytesIO(book))[SHEET], "问题主体")


def test_structure_problems(book: bytes, files) -> None:
    renamed = _edit(book, lambda wb: setattr(wb[SHEET].cell(row=1, column=3), "value", "牵头部门？"))
    result = import_workbook(renamed, files)
    assert not result.ok and any(p.row == 1 and "不是这张表的列" in p.message for p in result.problems)
    assert any("缺少列" in p.message for p in result.problems)

    def drop_meta(wb):
        del wb[META_SHEET]
    with pytest.raises(WorkbookError, match="_zhili"):
        import_workbook(_edit(book, drop_meta), files)
    with pytest.raises(WorkbookError, match="xlsx"):
        import_workbook(b"not a zip", files)
    extra = import_workbook(_edit(book, lambda wb: wb.create_sheet("我的笔记")), files)
    assert extra.ok and any(p.sheet == "我的笔记" and p.severity == "warning" for p in extra.problems)


def test_one_pack_is_imported_over_the_other_packs(files) -> None:
    one = export_workbook(files, "权责清单")
    assert openpyxl.load_workbook(io.BytesIO(one)).sheetnames[1:3] == ["权责清单-牵头与配合", "权责清单-补充配合单位"]
    result = import_workbook(one, files)
    assert result.ok and result.packs == ["02-routing"] and result.files == files


def test_cli_export_import_and_replay(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ZHILI_HOME", str(tmp_path / "home"))
    book = tmp_path / "规则.xlsx"
    r = runner.invoke(app, ["export", str(book), "--dir", str(BUNDLED_RULES)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(book)
    ws = wb[SHEET]
    ws[f"{_col(ws, '问题主体')}2"] = f'contains($, "{WORD}")'
    for header in ("主领域", "全部领域", "城乡环境"):
        ws[f"{_col(ws, header)}2"] = None
    ws[f"{_col(ws, '牵头单位')}2"] = '"测试牵头单位"'
    wb.save(book)
    out = tmp_path / "new-rules"
    r = runner.invoke(app, ["import", str(book), "--out", str(out), "--base", str(BUNDLED_RULES)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in BUNDLED_RULES.iterdir() if p.is_dir())
    assert runner.invoke(app, ["check", str(out)]).exit_code == 0

    ws[f"{_col(ws, '问题主体')}4"] = 'contains($, "漏'
    wb.save(book)
    bad_out = tmp_path / "bad-rules"
    r = runner.invoke(app, ["import", str(book), "--out", str(bad_out), "--base", str(BUNDLED_RULES), "--json"])
    assert r.exit_code == 1 and not bad_out.exists()
    problems = json.loads(r.stdout)["problems"]
    assert {"sheet": SHEET, "row": 4, "header": "问题主体"}.items() <= next(p for p in problems if p["row"] == 4).items()

    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps(QUERY, ensure_ascii=False) + "\n" + "小区加装电梯，一楼反对\n", encoding="utf-8")
    r = runner.invoke(app, ["replay", str(out), "--queries", str(queries), "--against", str(BUNDLED_RULES),
                            "--rules-only", "--json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert body["summary"]["queries"] == 2 and body["summary"]["routing_changed"] == 1
    assert body["queries"][0]["new"]["routing"]["lead"] == "测试牵头单位"
