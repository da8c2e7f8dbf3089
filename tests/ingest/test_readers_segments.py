"""Reading, segmentation and extraction on real files made here (docx, PDF, HTML, text): the
boundaries are found, every field's span points at the text it came from, and unreadable files
are refused by name with what to do."""

from __future__ import annotations

import re

import pytest
from make_docs import (body, compilation_docx, compilation_pdf, encrypted_pdf, library_cases, scanned_pdf,
                       web_page)

from zhili.ingest.extract import check_provenance
from zhili.ingest.pipeline import analyse
from zhili.ingest.readers import read_document
from zhili.ingest.errors import IngestError

CASES = library_cases(4)


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {"汇编.docx": compilation_docx(CASES), "汇编-加粗标题.docx": compilation_docx(CASES, styles=False),
            "汇编.pdf": compilation_pdf(CASES)}


@pytest.mark.parametrize("name", ["汇编.docx", "汇编-加粗标题.docx", "汇编.pdf"])
def test_each_case_of_a_compilation_is_found_and_front_and_back_matter_are_not(files: dict[str, bytes], name: str) -> None:
    res = analyse(files[name], name)
    assert res["error"] is None
    titles = [c["case"]["title"] for c in res["cases"]]
    assert titles == [c["title"] for c in CASES]  # 目录 entries, 前言 and 后记 are not cases
    text = res["text"]
    for item, case in zip(res["cases"], CASES):
        start, end = item["segment"]
        segment = re.sub(r"\s", "", text[start:end])
        assert re.sub(r"\s", "", case["practice"])[:30] in segment  # its own body, not the next case's
        assert "感谢各地" not in segment and "本选编收录" not in segment


@pytest.mark.parametrize("name", ["汇编.docx", "汇编.pdf"])
def test_every_extracted_value_has_a_span_holding_it(files: dict[str, bytes], name: str) -> None:
    res = analyse(files[name], name)
    text = res["text"]
    flat = re.sub(r"[\s“”]", "", text)
    figures = 0
    for item in res["cases"]:
        case, prov = item["case"], item["provenance"]
        assert check_provenance(text, case, prov) == []
        a, b = prov["title"][0]
        assert text[a:b] == case["title"]
        for key in ("province", "city", "district"):
            if case[key]:
                a, b = prov[key][0]
                assert case[key] in text[a:b] or text[a:b] in case[key] + "省市"
        for i, o in enumerate(case["outcomes"]):
            (a, b), = prov[f"outcomes[{i}].value"]
            assert float(text[a:b]) == float(o["value"])
            assert o["text"] in text
            figures += 1
        for i, name_ in enumerate(case["mechanisms"]):
            assert "".join(text[a:b] for a, b in prov[f"mechanisms[{i}]"]) == name_
        for key in ("problem", "practice"):
            if case[key]:
                assert "".join(text[a:b] for a, b in prov[key]).strip() == case[key]
        for d in case["domains"]:
            assert d  # labels are only kept with evidence spans:
        for i, _ in enumerate(case["domains"]):
            assert all(0 <= a < b <= len(text) for a, b in prov[f"domains[{i}]"])
        for o in case["outcomes"]:  # nothing invented: every figure is printed in the file
            shown = str(int(o["value"])) if float(o["value"]).is_integer() else str(o["value"])
            assert shown in flat
    assert figures >= 3


def test_places_come_only_from_the_text() -> None:
    text = "案例一：北京市东城区某社区停车协商\n" + "东城区某社区居民反映停车难，社区召开议事会协商解决，" * 8
    res = analyse(text.encode(), "东城.txt")
    case = res["cases"][0]["case"]
    assert (case["province"], case["city"], case["district"]) == ("北京", "北京", "东城区")
    only_district = analyse(("金凤区某社区停车难题" + "，社区组织协商解决了停车难题" * 10 + "。").encode(), "a.txt")
    c = only_district["cases"][0]["case"]
    assert (c["province"], c["city"], c["district"]) == ("", "", "金凤区")  # no outside knowledge
    road = analyse(("某社区邀请北京中路街道办事处协商，" * 10 + "。").encode(), "b.txt")["cases"][0]["case"]
    assert road["province"] == "" and road["city"] == ""  # a road named after a city is not a place


def test_an_article_with_numbered_sections_is_one_case() -> None:
    c = CASES[0]
    text = "\n".join([c["title"], "一、基本情况", c["problem"], "二、主要做法", c["practice"], "三、取得成效",
                      "；".join(o["text"] for o in c["outcomes"]) + "。"])
    res = analyse(text.encode("utf-8"), "经验材料.txt")
    assert len(res["cases"]) == 1
    assert res["cases"][0]["case"]["title"] == c["title"]


def test_a_saved_web_page_keeps_the_article_and_drops_navigation_and_footer() -> None:
    c = CASES[1]
    res = analyse(web_page(c, date="2024-05-06"), "page.html")
    assert res["error"] is None and len(res["cases"]) == 1
    text = res["text"]
    assert "版权所有" not in text and "ICP" not in text and "政务公开" not in text
    assert c["problem"][:20] in text
    case, prov = res["cases"][0]["case"], res["cases"][0]["provenance"]
    assert case["source"]["url"] == f"https://www.example.gov.cn/art/{c['id']}.html"
    assert case["source"]["date"] == "2024-05-06" and case["year"] == 2024
    a, b = prov["source.date"][0]
    assert text[a:b].startswith("2024-05-06")
    assert case["source"]["publisher"] == "县委社会工作部" and case["source"]["trust"] == "官方发布"
    assert case["title"] == c["title"]


@pytest.mark.parametrize(("name", "make", "code", "hint"), [
    ("扫描件.pdf", lambda: scanned_pdf(), "scanned", "OCR"),
    ("加密.pdf", lambda: encrypted_pdf(CASES), "encrypted", "密码"),
    ("旧版.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old_format", "另存为"),
    ("材料.wps", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old_format", "另存为"),
    ("加密.docx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "encrypted", "密码"),
    ("损坏.docx", lambda: compilation_docx(CASES)[:3000], "corrupt", "损坏"),
    ("损坏.pdf", lambda: b"%PDF-1.7\n" + bytes(200), "corrupt", "损坏"),
    ("空白.txt", lambda: b"   \n", "empty", "空"),
])
def test_unreadable_files_are_refused_by_name_with_what_to_do(name: str, make, code: str, hint: str) -> None:
    with pytest.raises(IngestError) as err:
        read_document(make(), name)
    assert err.value.code == code
    assert err.value.message.startswith(name) and hint in err.value.message
    assert "Traceback" not in err.value.message


def test_a_page_break_and_a_table_are_read() -> None:
    doc = read_document(compilation_docx(CASES), "x.docx")
    assert doc.pages >= len(CASES) + 1
    assert any(b.kind == "table" and "指标" in doc.block_text(b) for b in doc.blocks)
    assert body(CASES[0])[0][:10] in doc.text


NUMS = "一二三四五六七八九十"


def _plain_docx(mark, bold: bool) -> bytes:
    import io

    import docx

    d = docx.Document()
    d.add_paragraph("某县基层治理经验材料汇编")
    d.add_paragraph("编者按：以下材料供交流参考。")
    for i, c in enumerate(CASES):
        d.add_paragraph().add_run(mark(i) + c["title"]).bold = bold
        for p in body(c):
            d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["一、", "（一）", "bold", "1.", "markdown"])
def test_other_ways_of_marking_cases(kind: str) -> None:
    if kind == "markdown":
        data = "\n".join(["# 汇编", *sum([["## " + c["title"], *body(c)] for c in CASES], [])]).encode()
        name = "汇编.md"
    else:
        mark = {"一、": lambda i: NUMS[i] + "、", "（一）": lambda i: f"（{NUMS[i]}）", "bold": lambda i: "",
                "1.": lambda i: f"{i + 1}. "}[kind]
        data, name = _plain_docx(mark, kind == "bold"), "汇编.docx"
    res = analyse(data, name)
    assert [c["case"]["title"] for c in res["cases"]] == [c["title"] for c in CASES]
