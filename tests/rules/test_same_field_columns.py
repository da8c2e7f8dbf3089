"""Columns are identified by id, never by field: a table with several input columns on the same
field (问题主体 / 且出现 / 排除 all read focus_text) survives Excel export → import unchanged, an
edit of one of them changes exactly that column, and lint problems land on that column — in the
workbook and in the grid. Also when the columns have no name or the same name, so that the header
would otherwise be the field for all of them."""

from __future__ import annotations

import difflib
import io
import json

import openpyxl
import pytest

from rules_helpers import BUNDLED_RULES
from zhili.ruleedit import read_dir
from zhili.ruleedit.tables import apply_rows, column_headers, dump_graph, graph_of, lint_table_rows, packs_view
from zhili.ruleedit.workbook import export_workbook, import_workbook

PACK, TABLE, SHEET = "02-routing", "routing", "权责清单-牵头与配合"
SAME_FIELD = ("in_focus", "in_and", "in_unless")  # all three read focus_text in the bundled content
ROW = "油烟污染-测试"


def _files(naming: str) -> dict[str, str]:
    """The bundled rules with the routing table's focus_text columns named as `naming` says, and one
    row that uses two of them, its keys stored in the order the content has them (new columns last)."""
    files = read_dir(BUNDLED_RULES)
    rel, graph = graph_of(files, PACK)
    node = next(n for n in graph["nodes"] if n.get("id") == TABLE)
    cols = {c["id"]: c for c in node["content"]["inputs"]}
    assert {cols[c]["field"] for c in SAME_FIELD} == {"focus_text"}
    for cid in SAME_FIELD:
        if naming == "unnamed":
            cols[cid]["name"] = ""
        elif naming == "same name":
            cols[cid]["name"] = "问题主体"
    first = node["content"]["rules"][0]
    row = {"_id": ROW, "_description": "", **{k: "" for k in first if not k.startswith("_")}}
    row.update(in_focus='contains($, "油烟")', in_unless='none(["烧烤"], contains($, #))',
               out_lead='"测试牵头单位"', out_supporting='["生态环境部门"]', out_basis='"测试用依据"')
    row["in_and"] = row.pop("in_and")  # stored last, as a column added later is
    node["content"]["rules"].insert(0, row)
    return {**files, rel: dump_graph(graph)}


def _letter(ws, cid: str, files: dict[str, str]) -> str:
    """The Excel column letter of column `cid` on the routing sheet (found by its unique header)."""
    content = next(n for n in graph_of(files, PACK)[1]["nodes"] if n.get("id") == TABLE)["content"]
    cols = content["inputs"] + content["outputs"]
    header = column_headers(cols)[[c["id"] for c in cols].index(cid)]
    return next(c.column_letter for c in ws[1] if c.value == header)


def _edited(book: bytes, fn) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(book))
    fn(wb[SHEET])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("naming", ["named", "unnamed", "same name"])
def test_same_field_columns_round_trip_and_an_edit_changes_exactly_that_column(naming: str) -> None:
    files = _files(naming)
    book = export_workbook(files, PACK)
    header = [c.value for c in openpyxl.load_workbook(io.BytesIO(book))[SHEET][1]]
    assert len(header) == len(set(header))  # one header per column, never the field for three

    unchanged = import_workbook(book, files)
    assert unchanged.ok, [str(p) for p in unchanged.problems]
    assert unchanged.files == files  # byte for byte, key order included

    # edit the 且出现 cell of the test row (Excel row 2) only
    def edit(ws):
        ws[f"{_letter(ws, 'in_and', files)}2"] = 'contains($, "睡不着")'
    result = import_workbook(_edited(book, edit), files)
    assert result.ok, [str(p) for p in result.problems]
    rel = graph_of(files, PACK)[0]
    assert [k for k in files if files[k] != result.files[k]] == [rel]
    diff = [line for line in difflib.unified_diff(files[rel].splitlines(), result.files[rel].splitlines(), n=0, lineterm="")
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert diff == ['-            "in_and": ""', '+            "in_and": "contains($, \\"睡不着\\")"']
    old, new = (next(n for n in graph_of(f, PACK)[1]["nodes"] if n.get("id") == TABLE)["content"]["rules"]
                for f in (files, result.files))
    assert new[0] == {**old[0], "in_and": 'contains($, "睡不着")'} and new[1:] == old[1:]
    assert new[0]["in_focus"] == 'contains($, "油烟")' and new[0]["in_unless"] == 'none(["烧烤"], contains($, #))'


@pytest.mark.parametrize("naming", ["named", "unnamed", "same name"])
def test_a_bad_cell_in_one_same_field_column_is_reported_on_that_column(naming: str) -> None:
    files = _files(naming)
    book = export_workbook(files, PACK)
    letters: dict[str, str] = {}

    def spoil(ws):
        letters.update({cid: _letter(ws, cid, files) for cid in SAME_FIELD})
        ws[f"{letters['in_unless']}2"] = 'none(["烧烤"], contains($, #)'  # unclosed bracket
    result = import_workbook(_edited(book, spoil), files)
    errors = [p for p in result.problems if p.severity == "error"]
    assert [(p.row, p.column) for p in errors] == [(2, letters["in_unless"])], [str(p) for p in errors]

    # the grid: the same problem as the page lints while typing, placed on the column id
    table = next(t for p in packs_view(files) if p["id"] == PACK for t in p["tables"] if t["id"] == TABLE)
    names = [c["name"] for c in table["inputs"] + table["outputs"]]
    assert len(names) == len(set(names))
    rows = json.loads(json.dumps(table["rows"]))
    rows[0]["cells"]["in_unless"] = 'none(["烧烤"], contains($, #)'
    placed = [p for p in lint_table_rows(files, PACK, TABLE, rows) if p["severity"] == "error"]
    assert [(p["table"], p["rows"], p["column"]) for p in placed] == [(TABLE, [0], "in_unless")]


def test_saving_the_grid_unchanged_rewrites_nothing_and_one_edit_is_one_line() -> None:
    files = _files("unnamed")
    table = next(t for p in packs_view(files) if p["id"] == PACK for t in p["tables"] if t["id"] == TABLE)
    assert apply_rows(files, PACK, TABLE, table["rows"]) == files
    rows = json.loads(json.dumps(table["rows"]))
    rows[0]["cells"]["in_and"] = 'contains($, "睡不着")'
    rel = graph_of(files, PACK)[0]
    after = apply_rows(files, PACK, TABLE, rows)[rel]
    changed = [line for line in difflib.ndiff(files[rel].splitlines(), after.splitlines()) if line[:1] in "+-"]
    assert changed == ['-             "in_and": ""', '+             "in_and": "contains($, \\"睡不着\\")"']
