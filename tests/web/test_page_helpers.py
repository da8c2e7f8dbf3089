"""The pure helpers behind the pages: term highlighting, audit diffs, SVG charts, safe links."""

from __future__ import annotations

from zhili.answer import Span, TermMatch
from zhili.web import charts, diff, highlight
from zhili.web.templating import _safe_url


def _terms(*spans: tuple[str, int, int]) -> list[TermMatch]:
    return [TermMatch(term="x", spans=[Span(field=f, start=s, end=e) for f, s, e in spans])]


def test_marks_exact_spans_and_escapes_the_rest():
    text = "<b>加装电梯</b>协商"
    out = highlight.full(text, _terms(("problem", 3, 7), ("title", 0, 2)), "problem")
    assert str(out) == '&lt;b&gt;<mark class="hit">加装电梯</mark>&lt;/b&gt;协商'


def test_overlapping_spans_merge_into_one_mark():
    out = highlight.full("老旧小区加装电梯", _terms(("problem", 0, 4), ("problem", 2, 8)), "problem")
    assert str(out) == '<mark class="hit">老旧小区加装电梯</mark>'


def test_long_text_is_cut_around_the_first_match():
    text = "甲" * 500 + "加装电梯" + "乙" * 500
    out = str(highlight.snippet(text, _terms(("practice", 500, 504)), "practice", limit=100))
    assert out.startswith("……") and out.endswith("……")
    assert '<mark class="hit">加装电梯</mark>' in out
    assert len(out.replace('<mark class="hit">', "").replace("</mark>", "")) == 100 + 4


def test_audit_diff_shows_changed_fields_only_with_marks():
    before = {"status": "published", "case": {"id": "c1", "title": "旧标题<script>", "year": 2024,
                                              "domains": ["加装电梯"], "source": {"url": "http://a"}}}
    after = {"status": "draft", "case": {"id": "c1", "title": "新标题<script>", "year": 2024,
                                         "domains": ["加装电梯", "议事协商"], "source": {"url": "http://a"}}}
    changes = {c.field: c for c in diff.changes(before, after)}
    assert set(changes) == {"title", "domains", "status"}
    assert str(changes["title"].before) == "<del>旧</del>标题&lt;script&gt;"
    assert str(changes["title"].after) == "<ins>新</ins>标题&lt;script&gt;"
    assert "议事协商" in str(changes["domains"].after)
    assert (str(changes["status"].before), str(changes["status"].after)) == ("<del>已发布</del>", "<ins>草稿</ins>")


def test_created_case_lists_every_filled_field():
    changes = diff.changes(None, {"status": "draft", "case": {"id": "c2", "title": "标题", "province": ""}})
    assert [c.field for c in changes] == ["id", "title", "status"]


def test_charts_escape_labels_and_handle_empty_data():
    svg = str(charts.bar_chart([charts.Bar("<x>", 3), charts.Bar("乙", 1)], title="t"))
    assert "&lt;x&gt;" in svg and "<x>" not in svg and svg.count("<rect") == 2
    assert "暂无数据" in str(charts.bar_chart([], title="t"))
    line = str(charts.line_chart({"查询": [("2026-01-02", 2)]}, ["2026-01-01", "2026-01-02"], title="t"))
    assert line.count("<polyline") == 1 and "2026-01-01" in line
    assert "暂无数据" in str(charts.line_chart({}, ["2026-01-01"], title="t"))


def test_only_http_links_are_kept():
    assert _safe_url("https://www.gov.cn/x") == "https://www.gov.cn/x"
    assert _safe_url("javascript:alert(1)") == ""
    assert _safe_url(" JAVASCRIPT:alert(1)") == ""
    assert _safe_url("data:text/html,<b>") == ""
