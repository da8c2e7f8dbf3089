"""The Word brief, read back with python-docx: layout, sections, cases, sources, masking, fonts."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from zhili.answer import Answer
from zhili.brief import build_docx
from zhili.brief.content import FOOTER_NOTE, NO_FIT_TITLE, SECTION_TITLES, SOURCES_TITLE
from zhili.cases import Source
from zhili.rules.schema import PROCEDURES

WHEN = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)


def _open(data: bytes) -> Document:
    assert data[:2] == b"PK"
    return docx.Document(io.BytesIO(data))


def _all_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())


def _texts(doc: Document, style: str | None = None) -> list[str]:
    return [p.text for p in doc.paragraphs if style is None or p.style.name == style]


@pytest.fixture(scope="module")
def brief(answer: Answer) -> bytes:
    return build_docx(answer, author="某某街道办事处", generated_at=WHEN)


def test_sections_in_order(brief: bytes) -> None:
    doc = _open(brief)
    assert _texts(doc, "Brief Heading 1") == [*SECTION_TITLES, SOURCES_TITLE]
    assert _texts(doc, "Brief Title") == [_texts(doc, "Brief Title")[0]]
    assert _texts(doc)[0] == "决策参考"
    assert "某某街道办事处" in _texts(doc)[1] and "2026年11月26日" in _texts(doc)[1]


def test_every_case_with_place_practice_outcomes_and_source(answer: Answer, brief: bytes) -> None:
    doc = _open(brief)
    headings = _texts(doc, "Brief Heading 2")
    body = "\n".join(_texts(doc))
    links = {r.target_ref for r in doc.part.rels.values() if r.is_external}
    assert len(answer.results) == 5
    for r in answer.results:
        assert any(r.title in h for h in headings)
        assert f"层级：{r.level or '不详'}" in body
        assert r.practice[:30] in body
        for o in r.outcomes:
            assert (o.text or o.metric) in body
        assert r.source.title.strip()[:20] in body
        if r.source.url:
            assert r.source.url in links and r.source.url in body
    appendix = _texts(doc)[_texts(doc).index(SOURCES_TITLE) + 1:]
    assert [p.split("]")[0] for p in appendix] == [f"[{i}" for i in range(1, 6)]


def test_analysis_shows_routing_risk_and_classification(answer: Answer, brief: bytes) -> None:
    body = "\n".join(_texts(_open(brief)))
    assert answer.routing and answer.risk
    assert f"牵头单位：{answer.routing.lead}" in body
    assert "配合单位：" + "、".join(answer.routing.supporting) in body
    assert f"风险等级：{answer.risk.level}" in body
    assert "问题领域：" + "、".join(answer.classification["domains"]) in body
    for dim, items in answer.suggestions.items():
        assert dim in body and all(s in body for s in items)


def test_personal_data_never_reaches_the_file(brief: bytes, personal: tuple[str, ...]) -> None:
    xml = _all_xml(brief)
    for secret in personal:
        assert secret not in xml
    assert "138****5678" in xml and "110105********1234" in xml
    # the injection attempt is text, escaped in the XML
    assert "<script>" not in xml and "&lt;script&gt;" in xml


def test_page_layout_is_a4_with_official_margins(brief: bytes) -> None:
    s = _open(brief).sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]


def test_chinese_fonts_are_set_for_east_asian_text(brief: bytes) -> None:
    doc = _open(brief)
    runs = [r for p in doc.paragraphs for r in p.runs] + [r for p in doc.sections[0].footer.paragraphs for r in p.runs]
    missing = [r.text for r in runs if r._r.rPr is None or r._r.rPr.rFonts is None
               or not r._r.rPr.rFonts.get(qn("w:eastAsia"))]
    assert missing == []
    normal = doc.styles["Normal"]
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.font.size == Pt(16)  # 三号
    title = next(p for p in doc.paragraphs if p.style.name == "Brief Title").runs[0]
    assert title._r.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert title.font.size == Pt(22) and title.font.bold  # 二号
    h1 = next(p for p in doc.paragraphs if p.style.name == "Brief Heading 1").runs[0]
    assert h1._r.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    fonts = _all_xml(brief)
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts


def test_paragraph_properties_follow_schema_order(brief: bytes, no_fit_answer: Answer) -> None:
    """Word refuses ('unreadable content') a pPr whose children are out of order; borders are added by hand."""
    order = ["pStyle", "keepNext", "keepLines", "widowControl", "pBdr", "shd", "spacing", "ind", "jc", "rPr"]
    for data in (brief, build_docx(no_fit_answer)):
        doc = _open(data)
        bordered = 0
        for p in doc.paragraphs:
            ppr = p._p.pPr
            if ppr is None:
                continue
            tags = [c.tag.split("}")[1] for c in ppr]
            known = [t for t in tags if t in order]
            assert known == sorted(known, key=order.index), tags
            bordered += "pBdr" in tags
        assert bordered >= 1


def test_footer_has_page_number_and_provenance(brief: bytes) -> None:
    footer = _open(brief).sections[0].footer
    assert [p.text for p in footer.paragraphs] == ["— 1 —", FOOTER_NOTE]
    instr = footer.paragraphs[0]._p.xpath(".//w:instrText")
    assert [i.text.strip() for i in instr] == ["PAGE"]


def test_document_properties(brief: bytes) -> None:
    props = _open(brief).core_properties
    assert props.author == "某某街道办事处"
    assert props.title.startswith("关于") and props.title.endswith("决策参考")
    assert props.created == WHEN
    with zipfile.ZipFile(io.BytesIO(brief)) as zf:
        assert not [n for n in zf.namelist() if "thumbnail" in n]  # no stale template preview


def test_no_fit_is_said_before_anything_else(no_fit_answer: Answer) -> None:
    doc = _open(build_docx(no_fit_answer))
    texts = _texts(doc)
    warning = next(i for i, t in enumerate(texts) if NO_FIT_TITLE in t)
    assert warning < texts.index(SECTION_TITLES[0])
    run = doc.paragraphs[warning].runs[0]
    assert run.font.bold and run.font.color.rgb is not None
    assert all("（弱匹配）" in h for h in _texts(doc, "Brief Heading 2")[: len(no_fit_answer.results)])


def test_high_risk_lists_the_five_statutory_procedures(high_risk_answer: Answer) -> None:
    body = "\n".join(_texts(_open(build_docx(high_risk_answer))))
    risks = body[body.index(SECTION_TITLES[4]):]
    assert all(p in risks for p in PROCEDURES)
    assert "高" in body[body.index("风险等级："):][:10]


def test_answer_without_rules_and_without_results(plain_answer: Answer, empty_answer: Answer) -> None:
    body = "\n".join(_texts(_open(build_docx(plain_answer))))
    assert "未启用规则研判" in body and plain_answer.results[0].title in body
    doc = _open(build_docx(empty_answer))
    assert NO_FIT_TITLE in "\n".join(_texts(doc))
    assert SOURCES_TITLE not in _texts(doc) and "没有检索到案例" in "\n".join(_texts(doc))


def test_hostile_text_title_and_links(answer: Answer) -> None:
    bad_source = Source(title="假来源", url="javascript:alert(1)", date="")
    results = [answer.results[0].model_copy(update={"source": bad_source, "title": "标题\x00\x0b\x1f尾"})]
    query = "诉求\x00\x07\x1b内容 电话13912345678 手机137\x0b1234\x005678"
    hostile = answer.model_copy(update={"query": query, "results": results})
    data = build_docx(hostile, title="关于13912345678反映的问题", author="x" * 500)
    doc = _open(data)
    xml = _all_xml(data)
    assert "13912345678" not in xml and "139****5678" in xml
    assert "13712345678" not in xml and "137****5678" in xml
    assert "javascript:" not in {r.target_ref for r in doc.part.rels.values() if r.is_external}
    assert any("标题尾" in h for h in _texts(doc, "Brief Heading 2"))
    assert len(doc.core_properties.author) <= 50


def test_long_problem_is_excerpted(answer: Answer) -> None:
    long = answer.model_copy(update={"query": "居民反映情况。" * 1000})
    body = "\n".join(_texts(_open(build_docx(long))))
    assert "以上为节选" in body and len(body) < 8000
