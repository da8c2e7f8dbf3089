"""The Word brief, read back with python-docx: layout, sections, 综合建议 and its sources, cases,
masking and the cleaned 问题概述, dates in the configured time zone, fonts, length in pages."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from zhili.answer import Answer
from zhili.brief import build_docx
from zhili.brief.content import FOOTER_NOTE, NO_FIT_TITLE, SECTION_TITLES, SOURCES_TITLE, build_brief
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
    return build_docx(answer, issuer="某某街道办事处", author="cadre1", generated_at=WHEN)


def test_sections_in_order(brief: bytes) -> None:
    doc = _open(brief)
    assert _texts(doc, "Brief Heading 1") == [*SECTION_TITLES, SOURCES_TITLE]
    assert len(_texts(doc, "Brief Title")) == 1
    assert _texts(doc)[0] == "决策参考"
    assert _texts(doc)[1] == "某某街道办事处　编　　　　2026年11月26日"


def test_every_case_with_place_practice_outcomes_and_source(answer: Answer, brief: bytes) -> None:
    doc = _open(brief)
    headings = _texts(doc, "Brief Heading 2")
    body = "\n".join(_texts(doc))
    links = {r.target_ref for r in doc.part.rels.values() if r.is_external}
    assert len(answer.results) == 5
    for r in answer.results:
        assert any(r.title in h for h in headings)
        assert f"编号 {r.case_id}｜" in body and f"｜{r.level or '层级不详'}｜" in body
        assert r.practice[:30] in body
        for o in r.outcomes[:3]:
            assert (o.text or o.metric) in body
        assert r.source.title.strip()[:20] in body and r.source.publisher in body
        assert f"可信度：{r.source.trust}" in body
        if r.source.link:  # 官方发布 / 主流媒体: the link is given
            assert r.source.url in links and r.source.url in body
        elif r.source.url:  # a repost's (mirror) URL is never given as the source
            assert r.source.url not in links and r.source.url not in body
    appendix = _texts(doc)[_texts(doc).index(SOURCES_TITLE) + 1:]
    assert [p.split("]")[0] for p in appendix] == [f"[{i}" for i in range(1, 6)]
    assert all(f"（{r.case_id}）" in p for p, r in zip(appendix, answer.results))


def test_analysis_shows_classification_and_risk(answer: Answer, brief: bytes) -> None:
    body = "\n".join(_texts(_open(brief)))
    assert answer.routing and answer.risk
    assert "研判：问题领域为" + "、".join(answer.classification["domains"]) in body
    assert f"风险等级{answer.risk.level}" in body


def _advice(doc: Document) -> list[str]:
    """The paragraphs of 综合建议."""
    texts = _texts(doc)
    return texts[texts.index(SECTION_TITLES[1]) + 1:texts.index(SECTION_TITLES[2])]


_CITATION = re.compile(r"〔([^〔〕]+)〕$")


def _resolves(citation: str, answer: Answer) -> bool:
    """Every part of '〔案例1 case-0033、案例2 case-0034；规则：包/表/行、行〕' names a real case or fired rule row."""
    body = citation
    rules: list[str] = []
    if "规则：" in body:
        body, rule_part = body.split("规则：", 1)
        rules = rule_part.split("；")
    cases = [c for c in re.split("[、；]", body.strip("；")) if c]
    for c in cases:
        m = re.fullmatch(r"案例(\d+) (\S+)", c)
        if not m or answer.results[int(m.group(1)) - 1].case_id != m.group(2) or answer.results[int(m.group(1)) - 1].weak:
            return False
    fired = {(t[k], t["table"], t["row_id"]) for t in answer.rule_trace for k in ("pack", "pack_id")}
    for rule in rules:
        pack, table, rows = rule.split("/", 2)
        if not all((pack, table, row) in fired for row in rows.split("、")):
            return False
    return bool(cases or rules)


def _sentences(paragraph: str) -> list[str]:
    head = re.match(r"（[一二三四五六七八九十]+）[^。]+。", paragraph)
    assert head, paragraph  # every point starts with its numbered heading
    return [x for x in paragraph[head.end():].split("。") if x]


def test_advice_opens_the_brief_and_every_sentence_cites_its_source(answer: Answer, brief: bytes) -> None:
    doc = _open(brief)
    texts = _texts(doc)
    assert texts.index(SECTION_TITLES[1]) < texts.index(SECTION_TITLES[2])  # before the cases
    points = _advice(doc)
    assert len(points) == 4
    sentences = [x for p in points for x in _sentences(p)]
    assert len(sentences) >= 8
    for sentence in sentences:
        cited = _CITATION.search(sentence)
        assert cited and _resolves(cited.group(1), answer), sentence
    advice = "\n".join(points)
    # routing (牵头/配合 from the rules), the cases' mechanisms, the 四个引领, the procedures: together
    assert f"由{answer.routing.lead}牵头" in advice and "、".join(answer.routing.supporting) in advice
    assert sum(any(m in advice for m in r.mechanisms) for r in answer.results) >= 3
    for dim, items in answer.suggestions.items():
        assert dim in advice and all(x in advice for x in items)
    assert all(p in advice for p in answer.risk.procedures)


def test_weak_matches_never_feed_the_advice(no_fit_answer: Answer, high_risk_answer: Answer) -> None:
    for ans in (no_fit_answer, high_risk_answer):
        doc = _open(build_docx(ans))
        for sentence in (x for p in _advice(doc) for x in _sentences(p)):
            cited = _CITATION.search(sentence)
            assert cited and _resolves(cited.group(1), ans), sentence
            if all(r.weak for r in ans.results):
                assert "案例" not in cited.group(1)


def test_problem_summary_is_masked_and_cleaned(answer: Answer) -> None:
    query = ("您好！我是幸福小区的居民，来电人张建国，手机13812345678，身份证110105198001011234。"
             "请问老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果，怎么办？"
             "asdf qwer 12345。谢谢！")
    doc = _open(build_docx(answer.model_copy(update={"query": query})))
    texts = _texts(doc)
    problem = texts[texts.index(SECTION_TITLES[0]) + 1]
    assert problem == "老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果。"
    everything = _all_xml(build_docx(answer.model_copy(update={"query": query})))
    for gone in ("张建国", "13812345678", "138****5678", "110105", "您好", "谢谢", "请问", "asdf"):
        assert gone not in everything


def test_brief_is_dated_in_the_configured_time_zone(answer: Answer, zhili_home: Path) -> None:
    late = datetime(2026, 1, 1, 17, 30, tzinfo=timezone.utc)  # 01:30 on 2 January in Beijing
    assert build_brief(answer, generated_at=late).date == "2026年1月2日"
    doc = _open(build_docx(answer, generated_at=late))
    assert _texts(doc)[1] == "2026年1月2日"  # no 编发单位 set: the date alone, never "zhili 编"
    assert doc.core_properties.created == late.replace(tzinfo=None) or doc.core_properties.created == late
    (zhili_home / "zhili.toml").write_text('[site]\ntimezone = "UTC"\n', encoding="utf-8")
    assert build_brief(answer, generated_at=late).date == "2026年1月1日"


def test_issuer_masthead_and_footer_come_from_settings(answer: Answer, zhili_home: Path) -> None:
    (zhili_home / "zhili.toml").write_text(
        '[brief]\nissuer = "城关街道党工委办公室"\nmasthead = "城关基层治理参考"\nfooter = "内部资料　注意保存"\n',
        encoding="utf-8")
    data = build_docx(answer, author="cadre1", generated_at=WHEN)
    doc = _open(data)
    assert _texts(doc)[:2] == ["城关基层治理参考", "城关街道党工委办公室　编　　　　2026年11月26日"]
    assert [p.text for p in doc.sections[0].footer.paragraphs][1] == "内部资料　注意保存"
    assert doc.core_properties.author == "cadre1"  # who made it: the file's properties, not the page
    visible = "\n".join(_texts(doc) + [p.text for p in doc.sections[0].footer.paragraphs])
    assert "zhili" not in visible and "cadre1" not in visible
    (zhili_home / "zhili.toml").write_text('[brief]\nissuer = "x"\nunit = "y"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"zhili.toml.*unit"):
        build_docx(answer)


def test_personal_data_never_reaches_the_file(brief: bytes, personal: tuple[str, ...]) -> None:
    xml = _all_xml(brief)
    for secret in personal:
        assert secret not in xml
    assert "138****5678" not in xml  # the caller's contact line is not part of the problem summary
    # the injection attempt is no problem sentence: left out, and never markup
    assert "<script>" not in xml and "alert(" not in xml


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
    assert props.author == "cadre1"
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
    doc = _open(build_docx(high_risk_answer))
    advice = "\n".join(_advice(doc))
    assert all(p in advice for p in PROCEDURES) and "本事项研判为高风险" in advice
    assert "风险等级高" in "\n".join(_texts(doc))
    risks = "\n".join(_texts(doc)[_texts(doc).index(SECTION_TITLES[3]):])
    assert all(r in risks for r in high_risk_answer.risk.reasons)


def test_a_cautioned_answer_says_so_under_risks(engine) -> None:
    ans = engine.recommend("早上六点多路灯就关了，孩子上学路上一片漆黑，能不能晚点关灯", top_k=3)
    assert ans.verdict == "fit" and ans.caution
    doc = _open(build_docx(ans))
    risks = "\n".join(_texts(doc)[_texts(doc).index(SECTION_TITLES[3]):])
    assert "借鉴前须核对其做法是否适用" in risks and NO_FIT_TITLE not in "\n".join(_texts(doc))
    plain = "\n".join(_texts(_open(build_docx(engine.recommend("老旧小区想加装电梯，一楼住户坚决反对", top_k=3)))))
    assert "借鉴前须核对其做法" not in plain


def test_answer_without_rules_and_without_results(plain_answer: Answer, empty_answer: Answer) -> None:
    body = "\n".join(_texts(_open(build_docx(plain_answer))))
    assert "未启用规则研判" in body and plain_answer.results[0].title in body
    doc = _open(build_docx(empty_answer))
    assert NO_FIT_TITLE in "\n".join(_texts(doc))
    assert SOURCES_TITLE not in _texts(doc) and "没有检索到案例" in "\n".join(_texts(doc))


def test_hostile_text_title_and_links(answer: Answer) -> None:
    # an unsafe URL as an older build may have stored it (the model now refuses it on input)
    bad_source = Source.model_construct(publisher="人民网", title="假来源", url="javascript:alert(1)", date="",
                                        trust="主流媒体")
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
    long = answer.model_copy(update={"query": "".join(f"第{i}栋居民反映楼道堆物严重。" for i in range(1000))})
    texts = _texts(_open(build_docx(long)))
    problem = texts[texts.index(SECTION_TITLES[0]) + 1]
    assert 200 < len(problem) <= 300 and problem.endswith("。")
    assert texts[texts.index(SECTION_TITLES[0]) + 2].startswith("（原始描述较长，以上为摘要")
    assert len("\n".join(texts)) < 8000


def _pdf_pages(docx_bytes: bytes, tmp_path: Path) -> int:
    src = tmp_path / "brief.docx"
    src.write_bytes(docx_bytes)
    profile = (tmp_path / "lo-profile").as_uri()  # own profile: other LibreOffice runs may be open
    subprocess.run(["libreoffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=180)
    info = subprocess.run(["pdfinfo", str(tmp_path / "brief.pdf")], check=True, capture_output=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


@pytest.mark.skipif(not (shutil.which("libreoffice") and shutil.which("pdfinfo")), reason="需要 LibreOffice 和 pdfinfo")
def test_five_cases_fit_on_five_pages(answer: Answer, high_risk_answer: Answer, tmp_path: Path) -> None:
    """Rendered by LibreOffice (as a cadre opens it): at most 5 A4 pages for 5 cases (was 6–8)."""
    assert len(answer.results) == 5
    assert _pdf_pages(build_docx(answer, issuer="某某街道办事处"), tmp_path) <= 5
    many = high_risk_answer.model_copy(update={"results": answer.results})  # long rules text, 5 cases
    assert _pdf_pages(build_docx(many), tmp_path / "x" if (tmp_path / "x").mkdir() is None else tmp_path) <= 5
