"""Work-order batches: hotline CSV exports (any encoding Excel writes) and JSONL, row by row."""

from __future__ import annotations

import json

import pytest

from zhili.cases.errors import CaseFileError
from zhili.retrieval.filters import Filters
from zhili.workorders import MAX_ROWS, MAX_TEXT_CHARS, WorkOrder, WorkOrderFileError, read_workorders

EXPORT = (
    "工单号,来电时间,诉求内容,省份,层级,承办单位\r\n"
    'GD20231101001,2023-11-01 09:12,"小区物业跑路了，垃圾没人清，找谁？",浙江,村社区,某街道\r\n'
    'GD20231101002,2023-11-01 10:40,"老旧小区想加装电梯，\r\n一楼住户坚决反对",,,\r\n'
)


def _errors(data: bytes, filename: str) -> str:
    with pytest.raises(WorkOrderFileError) as info:
        read_workorders(data, filename)
    assert info.value.errors and info.value.errors[0].row is None
    assert str(info.value).startswith(f"工单文件 {filename} 有")
    return info.value.errors[0].reason


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_hotline_csv_export_in_every_excel_encoding(encoding: str) -> None:
    orders, errors = read_workorders(EXPORT.encode(encoding), "导出.csv")
    assert errors == []
    assert [o.id for o in orders] == ["GD20231101001", "GD20231101002"]
    assert orders[0].text == "小区物业跑路了，垃圾没人清，找谁？"
    assert orders[0].filters == {"province": ["浙江"], "level": ["村社区"]}
    assert orders[0].top is None  # the row names no top: the caller's default applies
    assert orders[1].text == "老旧小区想加装电梯，\r\n一楼住户坚决反对"  # quoted line break kept
    assert orders[1].filters == {}


def test_english_headers_tabs_and_list_cells() -> None:
    data = "id\ttext\ttop\tdomain\tprovince\n7\t天价彩礼怎么治\t5\t移风易俗；乡村振兴\t浙江、江苏\n".encode()
    orders, errors = read_workorders(data, "orders.txt")
    assert errors == []
    assert orders == [
        WorkOrder(id="7", text="天价彩礼怎么治", top=5,
                  filters={"domain": ["移风易俗", "乡村振兴"], "province": ["浙江", "江苏"]}, row=2)
    ]
    Filters.model_validate(orders[0].filters)  # what the engine will be given


def test_jsonl_with_chinese_keys_numbers_and_lists() -> None:
    lines = [
        {"工单号": 20231101001, "诉求内容": "楼道堆物占用消防通道", "top": 3, "领域": ["平安建设"]},
        {"id": "b", "text": "停车难", "province": "北京", "other": "ignored"},
    ]
    data = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode("utf-8-sig")
    orders, errors = read_workorders(data, "batch.JSONL")
    assert errors == []
    assert orders[0] == WorkOrder(id="20231101001", text="楼道堆物占用消防通道", top=3,
                                  filters={"domain": ["平安建设"]}, row=1)
    assert orders[1].filters == {"province": ["北京"]}


def test_bad_rows_are_reported_and_good_rows_kept() -> None:
    data = (
        "编号,问题描述,层级,领域,top\n"
        "ok-1,电梯坏了,,,\n"        # 2 ok
        "e-2,,乡,,\n"               # 3 empty text + unknown level
        "e-3,停车,,外太空,0\n"      # 4 unknown domain + top out of range
        ",没有编号,,,\n"            # 5 empty id
        "ok-1,重复编号,,,\n"         # 6 duplicate id
        "e-7,多一列,,,,多余\n"       # 7 more cells than header
        "e-8,好的,,,abc\n"           # 8 top not a number
        f"e-9,{'长' * (MAX_TEXT_CHARS + 1)},,,\n"  # 9 too long
        "ok-10,最后一条,区县,,200\n"  # 10 ok
    ).encode()
    orders, errors = read_workorders(data, "mixed.csv")
    assert [(o.id, o.row, o.top) for o in orders] == [("ok-1", 2, None), ("ok-10", 10, 200)]
    got = [(e.row, e.field) for e in errors]
    assert got == [
        (3, "level"), (3, "text"),
        (4, "domain"), (4, "top"),
        (5, "id"),
        (6, "id"),
        (7, ""),
        (8, "top"),
        (9, "text"),
    ]
    reasons = {(e.row, e.field): e.reason for e in errors}
    assert reasons[(3, "text")] == "诉求内容为空"
    assert "乡" in reasons[(3, "level")] and "乡镇街道" in reasons[(3, "level")]
    assert "外太空" in reasons[(4, "domain")]
    assert "重复" in reasons[(6, "id")] and "第 2 行" in reasons[(6, "id")]
    assert str(MAX_TEXT_CHARS) in reasons[(9, "text")]
    assert all(e.file == "mixed.csv" for e in errors)


def test_bad_jsonl_lines() -> None:
    data = b'{"id": "a", "text": "ok"}\n{not json\n[1, 2]\n{"id": "b", "text": 5}\n{"id": true, "text": "x", "top": true}\n'
    orders, errors = read_workorders(data, "q.jsonl")
    assert [o.id for o in orders] == ["a"]
    assert [(e.row, e.field) for e in errors] == [(2, ""), (3, ""), (4, "text"), (5, "id"), (5, "top")]
    assert "JSON 格式错误" in errors[0].reason


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "a.csv", "文件为空"),
        (b" \r\n\t", "a.jsonl", "文件为空"),
        (b"\n\n", "a.csv", "文件为空"),
        (b"id,text\n", "a.csv", "没有工单"),
        (b"x", "orders.xlsx", "另存为"),
        (b"x", "orders.doc", "无法识别的文件类型"),
        (b"x", "noextension", "无法识别的文件类型"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a.csv", "二进制"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a.csv", "Excel"),
        (b"name,phone\n1,2\n", "a.csv", "表头缺少“工单号”“诉求内容”列"),
        (b'[{"id": "a", "text": "b"}]', "a.jsonl", "JSON 数组"),
        ("编号,内容\n1,中文内容正常\n2,坏".encode() + b"\xff\xfe\xfa\n", "a.csv", "无法解码"),
    ],
)
def test_unusable_files_raise_one_clear_error(data: bytes, filename: str, reason: str) -> None:
    assert reason in _errors(data, filename)


def test_row_and_size_limits() -> None:
    rows = "".join(f"{i},问题{i}\n" for i in range(MAX_ROWS + 1))
    assert "超过 5000 条" in _errors(("id,text\n" + rows).encode(), "big.csv")
    just_enough = "".join(f"{i},问题{i}\n" for i in range(MAX_ROWS))
    orders, errors = read_workorders(("id,text\n" + just_enough).encode(), "ok.csv")
    assert len(orders) == MAX_ROWS and errors == []
    assert "文件过大" in _errors(b"id,text\n" + b"1," + b"a" * (21 * 1024 * 1024), "huge.csv")


def test_file_error_is_a_case_file_error_for_existing_handlers() -> None:
    with pytest.raises(CaseFileError):
        read_workorders(b"", "a.csv")


def test_injection_strings_are_plain_text() -> None:
    data = "id,text\n'=1+2,\"<script>alert(1)</script>'; DROP TABLE cases;--\"\n".encode()
    orders, errors = read_workorders(data, "x.csv")
    assert errors == []
    assert orders[0].id == "=1+2"  # Excel's formula apostrophe removed, as in case files
    assert orders[0].text == "<script>alert(1)</script>'; DROP TABLE cases;--"
