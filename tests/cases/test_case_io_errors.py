"""Bad files: every problem is reported with its row and field, in Chinese, in one error."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import openpyxl
import pytest

from zhili.cases import Case
from zhili.cases.errors import CaseFileError, RowError
from zhili.cases.io import MAX_BYTES, MAX_ROWS, read_cases, write_cases


def _errors(path: Path, **kw) -> list[RowError]:
    with pytest.raises(CaseFileError) as info:
        read_cases(path, **kw)
    assert info.value.errors, "CaseFileError must carry at least one RowError"
    return info.value.errors


def _rows(errors: list[RowError]) -> list[tuple[int | None, str]]:
    return [(e.row, e.field) for e in errors]


GOOD = {"id": "ok-1", "title": "好案例", "level": "村社区", "year": 2023, "domains": ["物业管理"]}


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_collects_every_bad_line_with_line_numbers(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "bad.jsonl", [
        json.dumps(GOOD, ensure_ascii=False),                          # 1 ok
        "",                                                            # 2 blank: skipped, still counted
        '{"id": "b-3", "title": "缺逗号" "level": "省"}',                # 3 malformed JSON
        "[1, 2, 3]",                                                   # 4 not an object
        json.dumps({"id": "b-5"}),                                     # 5 title missing
        json.dumps({"id": "b-6", "title": "t", "level": "镇"}, ensure_ascii=False),        # 6 unknown level
        json.dumps({"id": "b-7", "title": "t", "domains": ["外星治理"]}, ensure_ascii=False),  # 7 unknown domain
        json.dumps({"id": "b-8", "title": "t", "year": "去年"}, ensure_ascii=False),       # 8 bad year
        json.dumps({"id": "b-9", "title": "t", "year": 1800}),         # 9 year out of range
        json.dumps({**GOOD, "title": "同编号"}, ensure_ascii=False),     # 10 duplicate of line 1
        json.dumps({"id": "b-11", "title": "t", "colour": "red"}),     # 11 unknown field
        json.dumps({"id": "b 12", "title": "t"}),                      # 12 bad id shape
        "[" * 100_000 + "]" * 100_000,                                 # 13 absurdly nested
    ])
    errors = _errors(path)
    assert _rows(errors) == [
        (3, ""), (4, ""), (5, "title"), (6, "level"), (7, "domains"), (8, "year"), (9, "year"),
        (10, "id"), (11, "colour"), (12, "id"), (13, ""),
    ]
    by_row = {e.row: e.reason for e in errors}
    assert "JSON 格式错误" in by_row[3]
    assert "JSON 对象" in by_row[4] and "数组" in by_row[4]
    assert by_row[5] == "缺少必填字段"
    assert "镇" in by_row[6] and "层级" in by_row[6]
    assert "外星治理" in by_row[7]
    assert "整数" in by_row[8] and "去年" in by_row[8]
    assert "1949" in by_row[9]
    assert "重复" in by_row[10] and "第 1 行" in by_row[10]


def test_error_message_lists_rows_readably(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "bad.jsonl", [json.dumps({"id": "x", "title": "t", "year": "abc"})])
    with pytest.raises(CaseFileError) as info:
        read_cases(path)
    text = str(info.value)
    assert str(path) in text and "1 处错误" in text
    assert "第 1 行 [年份(year)]：必须是整数，收到“abc”" in text
    assert isinstance(info.value, ValueError)


def test_csv_rows_are_spreadsheet_rows_even_with_multiline_cells(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "标题", "层级", "年份", "成效", "领域"])
        w.writerow(["c-2", "好", "省", "2020", "指标甲|1|个|第一行\n指标乙|2|个|第二行", "物业管理"])   # row 2, 2 lines
        w.writerow(["c-3", "", "省", "二〇二〇", "满意率|九成|%|", "物业管理；外星治理"])            # row 3: 4 errors
        w.writerow(["c-2", "重复编号", "", "", "", ""])                                          # row 4
    errors = _errors(path)
    assert _rows(errors) == [(3, "year"), (3, "outcomes"), (3, "title"), (3, "domains"), (4, "id")]
    reasons = {e.field: e.reason for e in errors if e.row == 3}
    assert "二〇二〇" in reasons["year"]
    assert "九成" in reasons["outcomes"] and "不是数字" in reasons["outcomes"]
    assert reasons["title"] == "不能为空"


def test_csv_header_problems_are_row_one(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("编号,标题,省份,备注,省份\nx,t,浙江,,浙江\n", encoding="utf-8")
    errors = _errors(path)
    assert [e.row for e in errors] == [1, 1]
    assert "未知列名“备注”" in errors[0].reason and "重复" in errors[1].reason
    no_id = tmp_path / "noid.csv"
    no_id.write_text("标题,省份\nt,浙江\n", encoding="utf-8")
    assert _rows(_errors(no_id)) == [(1, "id")]


def test_xlsx_errors_name_row_and_column(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "title", "level", "leadership"])
    ws.append(["x-1", "好", "区县", "机制引领"])
    ws.append(["x-2", "坏", "乡", "领导引领"])
    wb.save(tmp_path / "bad.xlsx")
    errors = _errors(tmp_path / "bad.xlsx")
    assert _rows(errors) == [(3, "level"), (3, "leadership")]


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv", "blank.jsonl"])
def test_empty_files(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("" if name.startswith("empty") else "\n  \n\n", encoding="utf-8")
    [err] = _errors(path)
    assert err.row is None and "文件为空" in err.reason


def test_header_only_spreadsheet_has_no_cases(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("编号,标题\n", encoding="utf-8")
    assert "没有任何案例" in _errors(path)[0].reason
    wb = openpyxl.Workbook()
    wb.save(tmp_path / "blank.xlsx")
    assert "文件为空" in _errors(tmp_path / "blank.xlsx")[0].reason


@pytest.mark.parametrize("name", ["pic.jsonl", "pic.csv"])
def test_binary_file_is_not_text(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    [err] = _errors(path)
    assert "不是文本文件" in err.reason


def test_undecodable_csv_names_the_encoding_problem(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("id,title\n".encode() + b"x,\xff\xfe\x80\x80\n")
    [err] = _errors(path)
    assert "无法解码" in err.reason and "第 2 行" in err.reason


def test_damaged_utf8_csv_is_reported_not_read_as_gbk(tmp_path: Path) -> None:
    path = tmp_path / "damaged.csv"
    body = "编号,标题\na,街道网格化治理\nb,社区议事协商\n".encode()
    path.write_bytes(body + b"c,\xe7\xa4\xbe\xe5\x8c\x41\n")  # last title cut mid-character
    [err] = _errors(path)
    assert "第 4 行" in err.reason and "UTF-8" in err.reason


def test_gbk_jsonl_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "gbk.jsonl"
    lines = [{"id": "g1", "title": "街道吹哨"}, {"id": "g2", "title": "部门报到"}]
    path.write_bytes(b"".join(json.dumps(r, ensure_ascii=False).encode("gbk") + b"\n" for r in lines))
    assert [c.title for c in read_cases(path)] == ["街道吹哨", "部门报到"]


def test_damaged_line_in_utf8_jsonl_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(json.dumps({"id": "g", "title": "街道"}, ensure_ascii=False).encode() + b"\n"
                     + b'{"id": "h", "title": "\xe8\xa1\x97"}\n'
                     + b'{"id": "i", "title": "\xe8\xa1"}\n')
    errors = _errors(path)
    assert _rows(errors) == [(3, "")] and "UTF-8" in errors[0].reason


def test_limits_on_bytes_and_rows(tmp_path: Path, bundled_cases: list[Case]) -> None:
    assert MAX_BYTES == 200 * 1024 * 1024 and MAX_ROWS == 100_000
    for name in ("big.jsonl", "big.jsonl.gz", "big.csv", "big.xlsx"):
        path = write_cases(bundled_cases[:30], tmp_path / name)
        [err] = _errors(path, max_rows=10)
        assert "行数过多" in err.reason and "10" in err.reason
        [err] = _errors(path, max_bytes=2000)
        assert "文件过大" in err.reason


def test_gzip_bomb_is_capped_while_decompressing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b" " * 5_000_000 + b"\n")
    assert path.stat().st_size < 20_000
    [err] = _errors(path, max_bytes=1_000_000)
    assert "文件过大" in err.reason


@pytest.mark.parametrize("name,needle", [
    ("old.xls", "另存为"), ("notes.txt", "无法识别的文件类型"), ("data", "无法识别的文件类型"),
])
def test_unsupported_suffixes(tmp_path: Path, name: str, needle: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"whatever")
    [err] = _errors(path)
    assert needle in err.reason


def test_xlsx_that_is_not_a_zip_or_not_a_workbook(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("编号,标题\na,b\n", encoding="utf-8")
    assert "不是有效的 .xlsx" in _errors(fake)[0].reason
    import zipfile

    other = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    assert "无法作为 Excel 工作簿打开" in _errors(other)[0].reason


def test_gz_suffix_on_plain_file_and_corrupt_gzip(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl.gz"
    plain.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    assert "不是 gzip" in _errors(plain)[0].reason
    broken = tmp_path / "broken.jsonl.gz"
    broken.write_bytes(gzip.compress(b'{"id": "a", "title": "b"}\n' * 100)[:60])
    assert "gzip" in _errors(broken)[0].reason


def test_missing_file_folder_and_zero_byte_xlsx(tmp_path: Path) -> None:
    assert "文件不存在" in _errors(tmp_path / "nope.jsonl")[0].reason
    (tmp_path / "dir.csv").mkdir()
    assert "文件夹" in _errors(tmp_path / "dir.csv")[0].reason
    (tmp_path / "zero.xlsx").write_bytes(b"")
    assert "文件为空" in _errors(tmp_path / "zero.xlsx")[0].reason


def test_error_collection_stops_at_cap(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "junk.jsonl", ["not json"] * 1500)
    errors = _errors(path)
    assert len(errors) == 1001 and "已停止检查" in errors[-1].reason


@pytest.mark.parametrize("field,value", [("title", "标\x00题"), ("mechanisms", ["议事\x00会"]),
                                         ("source", {"name": "来\x00源", "url": "https://example.org"})])
def test_nul_in_any_field_is_a_row_error(tmp_path: Path, field: str, value: object) -> None:
    bad = {**GOOD, "id": "bad-1", field: value}
    path = _jsonl(tmp_path / "nul.jsonl", [json.dumps(GOOD, ensure_ascii=False), json.dumps(bad, ensure_ascii=False)])
    [err] = _errors(path)
    assert err.row == 2 and err.field == field and "空字符" in err.reason
