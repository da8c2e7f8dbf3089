"""Issue 9: an .xlsx zip bomb is refused from its central directory, before openpyxl inflates
anything (memory is measured by benchmarks/xlsx_bomb.py: 990 MB bomb, 44 MB peak RSS)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from zhili.cases.errors import CaseFileError
from zhili.cases.io import read_cases

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
        b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')


def workbook_with_sheet(path: Path, rows, level: int = 1, extra: int = 0) -> Path:
    """A real workbook whose first sheet's XML is streamed from `rows` (bytes chunks)."""
    wb = openpyxl.Workbook()
    wb.active.append(["编号", "标题"])
    plain = path.with_name("plain.xlsx")
    wb.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as out:
        for info in src.infolist():
            if info.filename != SHEET:
                out.writestr(info, src.read(info))
                continue
            with out.open(SHEET, "w", force_zip64=True) as fh:
                fh.write(HEAD)
                for chunk in rows:
                    fh.write(chunk)
                fh.write(b"</sheetData></worksheet>")
        for i in range(extra):
            out.writestr(f"customXml/item{i}.xml", b"<a/>")
    return path


def _refused(path: Path, **kw) -> str:
    start = time.perf_counter()
    with pytest.raises(CaseFileError) as info:
        read_cases(path, **kw)
    assert time.perf_counter() - start < 1.0  # the check reads the central directory only
    [err] = info.value.errors
    return err.reason


def test_a_zip_bomb_is_refused_at_once(tmp_path: Path) -> None:
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    block = row * ((1 << 20) // len(row))
    bomb = workbook_with_sheet(tmp_path / "bomb.xlsx", (block for _ in range(200)))  # 200 MB
    assert bomb.stat().st_size < 3 * 1024 * 1024
    reason = _refused(bomb)
    assert "压缩炸弹" in reason and "倍" in reason


def test_too_much_unpacked_data_is_refused(tmp_path: Path) -> None:
    """Ordinary-looking rows (ratio ~15×) that add up past the cap for this file size."""
    rows = (f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>案例{i}</t></is></c></row>'.encode()
            for i in range(2, 120_000))
    path = workbook_with_sheet(tmp_path / "big.xlsx", rows, level=9)
    reason = _refused(path, max_bytes=1024 * 1024)  # cap: 5 × 1 MB unpacked
    assert "解压后" in reason and "上限" in reason


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    path = workbook_with_sheet(tmp_path / "many.xlsx", [], extra=1_000)
    assert "个文件" in _refused(path)


def test_an_ordinary_workbook_still_reads(tmp_path: Path) -> None:
    rows = [b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>title</t></is></c></row>',
            b'<row r="2"><c r="A2" t="inlineStr"><is><t>ok-1</t></is></c>'
            b'<c r="B2" t="inlineStr"><is><t>\xe5\xa5\xbd\xe6\xa1\x88\xe4\xbe\x8b</t></is></c></row>']
    [case] = read_cases(workbook_with_sheet(tmp_path / "ok.xlsx", rows))
    assert (case.id, case.title) == ("ok-1", "好案例")
