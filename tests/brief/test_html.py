"""The printable HTML brief: same content as the Word file, escaped, standalone, A4 when printed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from zhili.answer import Answer
from zhili.brief import build_html
from zhili.brief.content import FOOTER_NOTE, NO_FIT_TITLE, SECTION_TITLES, SOURCES_TITLE, build_brief, cn_number
from zhili.cases import Source


def _tree(page: str) -> lxml_html.HtmlElement:
    assert page.startswith("<!DOCTYPE html>")
    return lxml_html.document_fromstring(page)


def _text(el: lxml_html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


@pytest.fixture(scope="module")
def page(answer: Answer) -> str:
    return build_html(answer, issuer="某某街道办事处")


def test_same_sections_and_cases_as_the_word_brief(answer: Answer, page: str) -> None:
    tree = _tree(page)
    assert [_text(h) for h in tree.iter("h2")] == [*SECTION_TITLES, SOURCES_TITLE]
    case_headings = [_text(h) for h in tree.xpath("//section[@id='cases']//h3")]
    assert len(case_headings) == len(answer.results) == 5
    hrefs = {a.get("href") for a in tree.iter("a")}
    for heading, r in zip(case_headings, answer.results):
        assert r.title in heading
        if r.source.link:
            assert r.source.url in hrefs
        elif r.source.url:  # 转载（待核实）: never the link
            assert r.source.url not in hrefs
    body = _text(tree.body)
    assert FOOTER_NOTE in body and "某某街道办事处 编" in body and "zhili" not in body
    advice = _text(tree.xpath("//section[@id='advice']")[0])
    assert f"由{answer.routing.lead}牵头" in advice
    # the same 综合建议 as the Word file, each statement with its source
    brief = build_brief(answer, issuer="某某街道办事处")
    assert [_text(p) for p in tree.xpath("//section[@id='advice']/p")] == [
        " ".join((f"（{cn_number(i)}）{a.heading}。" + "".join(st.sentence for st in a.statements)).split())
        for i, a in enumerate(brief.advice, start=1)]
    assert len(tree.xpath("//section[@id='advice']//cite")) == sum(len(a.statements) for a in brief.advice)


def test_problem_text_is_masked_and_escaped(page: str, personal: tuple[str, ...]) -> None:
    for secret in personal:
        assert secret not in page
    tree = _tree(page)
    assert tree.xpath("//script") == []
    problem = _text(tree.xpath("//section[@id='problem']/p")[0])
    assert problem == "老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果。"  # masked, cleaned
    assert "alert(" not in page


def test_hostile_title_author_and_source_url(answer: Answer) -> None:
    evil = '"><img src=x onerror=alert(1)>'
    bad = answer.results[0].model_copy(update={"title": evil, "source": Source.model_construct(
        publisher=evil, title=evil, url="javascript:alert(1)", date="", trust="主流媒体")})
    page = build_html(answer.model_copy(update={"results": [bad]}), title=evil, author=evil, issuer=evil)
    tree = _tree(page)
    assert tree.xpath("//img") == [] and tree.xpath("//@onerror") == []
    assert all(not (a.get("href") or "").startswith("javascript") for a in tree.iter("a"))
    assert evil in _text(tree.xpath("//h1")[0])
    assert "javascript:alert(1)" in _text(tree.body)  # shown as text, not a link


def test_standalone_and_printable(page: str) -> None:
    tree = _tree(page)
    assert tree.xpath("//link|//script|//iframe|//img|//*[@src]") == []  # nothing fetched
    css = "".join(tree.xpath("//style/text()"))
    assert "size: A4" in css and "margin: 37mm 26mm 35mm 28mm" in css and "@media print" in css
    assert "仿宋_GB2312" in css and "方正小标宋简体" in css
    assert tree.get("lang") == "zh-CN"


def test_no_fit_warning_comes_first(no_fit_answer: Answer) -> None:
    tree = _tree(build_html(no_fit_answer))
    alert = tree.xpath("//*[@role='alert']")
    assert alert and NO_FIT_TITLE in _text(alert[0])
    order = [el for el in tree.body.iter() if el is alert[0] or el.get("id") == "problem"]
    assert order[0] is alert[0]
    assert all("（弱匹配）" in _text(h) for h in tree.xpath("//section[@id='cases']//h3"))


def test_answers_without_rules_or_results(plain_answer: Answer, empty_answer: Answer) -> None:
    plain = _text(_tree(build_html(plain_answer)).body)
    assert "未启用规则研判" in plain and plain_answer.results[0].title in plain
    tree = _tree(build_html(empty_answer))
    assert NO_FIT_TITLE in _text(tree.xpath("//*[@role='alert']")[0])
    assert tree.xpath("//section[@id='sources']") == [] and "没有检索到案例" in _text(tree.body)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_chromium_prints_it_on_a4(page: str, tmp_path: Path) -> None:
    src = tmp_path / "brief.html"
    src.write_text(page, encoding="utf-8")
    pdf = tmp_path / "brief.pdf"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", src.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    raw = pdf.read_bytes()
    boxes = {tuple(round(float(x)) for x in m) for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", raw)}
    assert boxes == {(595, 842)}  # A4 in points
    assert len(re.findall(rb"/Type\s*/Page[^s]", raw)) >= 2
