"""Case sources: publisher and trust from the publisher list, URL/date/publish checks with the same
Chinese words in the model, the importer, the API and the command line; older files still import."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from zhili.cases import Case, Source, publish_problems
from zhili.cases.errors import CaseFileError
from zhili.cases.io import read_cases, write_cases
from zhili.cases.sources import (MAINSTREAM, MSG_NEED_CONTENT, MSG_NEED_SOURCE, OFFICIAL, REPOST,
                                 date_problem, load_publishers, trust_of, url_problem)
from zhili.config import BUNDLED_CASES
from bundled import BUNDLED

FULL = {"id": "s-1", "title": "某社区议事会", "problem": "停车难", "practice": "错时共享车位",
        "source": {"publisher": "人民网四川频道", "title": "某社区破解停车难", "url": "http://sc.people.com.cn/n2/1.html",
                   "date": "2024-05-23"}}


def test_trust_comes_from_the_publisher_list() -> None:
    assert trust_of("https://www.wuhou.gov.cn/a.html") == OFFICIAL  # any *.gov.cn
    assert trust_of("http://sc.people.com.cn/n2/x.html") == MAINSTREAM
    assert trust_of("https://www.12371.cn/2024/x.shtml") == OFFICIAL
    assert trust_of("http://peopledailynews.eu/zgxw/1.html", "人民日报") == REPOST  # a mirror naming 人民日报
    assert trust_of("http://evil-gov.cn.example.com/") == REPOST  # suffix match is by whole labels
    assert trust_of("", "中国党政干部论坛") == MAINSTREAM  # no link: by the publisher's name
    assert trust_of("", "某公众号") == REPOST


def test_model_fills_trust_and_refuses_a_higher_one() -> None:
    case = Case.model_validate(FULL)
    assert case.source.trust == MAINSTREAM and case.source.link == FULL["source"]["url"]
    lowered = Case.model_validate({**FULL, "source": {**FULL["source"], "trust": REPOST}})
    assert lowered.source.trust == REPOST and lowered.source.link == ""  # a repost's URL is never the link
    with pytest.raises(ValidationError, match="高于发布者名单给出的“转载（待核实）”"):
        Source(publisher="人民日报", url="http://peopledailynews.eu/zgxw/1.html", trust=OFFICIAL)
    with pytest.raises(ValidationError, match="来源可信度必须是"):
        Source(title="x", trust="很可靠")


@pytest.mark.parametrize("url,ok", [
    ("https://www.gov.cn/zhengce/1.htm", True), ("http://1.2.3.4/x", True), ("https://例子.中国/", True),
    ("not-a-url", False), ("ftp://a.com/x", False), ("http://x", False), ("https://a b.com", False),
    ("https://a.com:99999/", False), ("javascript:alert(1)", False),
])
def test_url_needs_scheme_and_host(url: str, ok: bool) -> None:
    assert (url_problem(url) is None) == ok


@pytest.mark.parametrize("value,ok", [
    ("2025-05-21", True), ("2025-05", True), ("2025", True), ("", True),
    ("2024/13/45", False), ("2024-13", False), ("2024-02-30", False), ("1900-01-01", False), ("21-5-2025", False),
])
def test_date_is_iso_within_the_year_range(value: str, ok: bool) -> None:
    assert (date_problem(value) is None) == ok


def test_publish_needs_content_and_a_named_source() -> None:
    bare = Case(id="b-1", title="只有标题")
    assert publish_problems(bare) == [("problem", MSG_NEED_CONTENT), ("source.publisher", MSG_NEED_SOURCE)]
    assert publish_problems(Case.model_validate(FULL)) == []


def test_bad_url_bad_date_and_incomplete_case_are_three_named_errors_and_nothing_is_stored(
        zhili_home: Path, tmp_path: Path) -> None:
    """The issue's acceptance test: one file, three named problems, the library unchanged."""
    from zhili.cli.cases import app
    from zhili.store import CaseStore

    rows = [{**FULL, "id": "bad-url", "source": {**FULL["source"], "url": "not-a-url"}},
            {**FULL, "id": "bad-date", "source": {**FULL["source"], "date": "2024/13/45"}},
            {"id": "bare", "title": "只有编号和标题", "source": {"title": ""}},
            {**FULL, "id": "good"}]
    path = tmp_path / "three.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with CaseStore.open() as store:
        before = store.library_hash()
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "  第 1 行 [来源(source.url)]：来源链接必须以 http:// 或 https:// 开头，收到“not-a-url”" in lines
    assert ("  第 2 行 [来源(source.date)]：来源日期应写成 YYYY-MM-DD、YYYY-MM 或 YYYY（如 2025-05-21），"
            "收到“2024/13/45”") in lines
    assert f"  第 3 行 [问题(problem)]：{MSG_NEED_CONTENT}" in lines
    assert f"  第 3 行 [来源(source.publisher)]：{MSG_NEED_SOURCE}" in lines
    assert "未导入" in result.output
    with CaseStore.open() as store:
        assert store.library_hash() == before and store.get("good") is None


def test_a_draft_may_be_incomplete_but_not_malformed(tmp_path: Path) -> None:
    path = tmp_path / "drafts.jsonl"
    path.write_text('{"id": "d-1", "title": "草稿"}\n', encoding="utf-8")
    assert [c.id for c in read_cases(path)] == ["d-1"]
    with pytest.raises(CaseFileError) as err:
        read_cases(path, publish=True)
    assert [(e.row, e.field) for e in err.value.errors] == [(1, "problem"), (1, "source.publisher")]


def test_a_csv_without_publisher_and_trust_columns_still_imports(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "标题", "问题", "来源标题", "来源链接", "来源日期"])
        w.writerow(["o-1", "旧表格", "停车难", "某社区破解停车难", "https://www.wuhou.gov.cn/1.html", "2023-04"])
    (case,) = read_cases(path, publish=True)
    assert case.source.publisher == "" and case.source.trust == OFFICIAL


@pytest.mark.parametrize("name", ["r.csv", "r.xlsx", "r.jsonl"])
def test_publisher_and_trust_round_trip(tmp_path: Path, name: str) -> None:
    cases = [Case.model_validate(FULL),
             Case.model_validate({**FULL, "id": "s-2", "source": {**FULL["source"], "trust": REPOST}})]
    path = write_cases(cases, tmp_path / name)
    assert read_cases(path) == cases


def test_bundled_library_names_every_source(tmp_path: Path) -> None:
    cases = read_cases(BUNDLED_CASES, publish=True)
    assert len(cases) == BUNDLED
    # a headline the stored excerpt did not show is never invented: then the link lets one check
    assert all(c.source.publisher and (c.source.title or c.source.url) and c.source.trust for c in cases)
    assert all(c.source.title for c in cases[:223])  # the original library names every headline
    seed = [c for c in cases if c.source.publisher == "中国党政干部论坛"]
    assert len(seed) == 26 and {c.source.title for c in seed} == {"改革纵横丨坚持“四个引领”推进基层治理创新"}
    assert {c.source.date for c in seed} == {"2025-05-21"}
    assert not any("seed article" in c.source.title for c in cases)


def test_publisher_list_rows_are_checked(tmp_path: Path) -> None:
    bad = tmp_path / "p.csv"
    bad.write_text("domain,publisher,kind\nexample.com,某网站,很可靠\n", encoding="utf-8")
    with pytest.raises(ValueError, match="第 2 条"):
        load_publishers(bad)
    assert load_publishers().for_host("news.sc.gov.cn").kind == OFFICIAL


def test_a_stored_source_the_list_no_longer_supports_is_still_answered(tmp_path: Path, monkeypatch) -> None:
    """Rows are read tolerantly; the answer built from them must not re-check them (pydantic runs
    model validators on instances too) — else one old row would break every search that finds it."""
    from zhili.cases.model import stored_case
    from zhili.wiring import cases_engine

    monkeypatch.setenv("ZHILI_HOME", str(tmp_path))
    old = stored_case({"id": "old-1", "title": "彩虹桥议事角化解晾衣纠纷", "practice": "楼道议事",
                       "source": {"publisher": "某网", "title": "t", "url": "http://x-news.example.com/1",
                                  "trust": OFFICIAL}})
    engine = cases_engine([old], tmp_path / "index", dense=False)
    (result,) = engine.recommend("彩虹桥议事角", top_k=1).results
    assert result.case_id == "old-1" and result.source.trust == OFFICIAL
    with pytest.raises(ValidationError):  # new input claiming the same is refused
        Case.model_validate({**old.model_dump(), "id": "new-1"})


def test_a_document_without_link_is_judged_by_its_publishers_name() -> None:
    """Ingested documents (Word 汇编, PDF 简报) often name the issuing body but have no link."""
    assert trust_of("", "成都市武侯区人民政府") == OFFICIAL
    assert trust_of("", "中共某县委组织部") == OFFICIAL
    assert trust_of("", "四川日报") == MAINSTREAM and trust_of("", "某县融媒体中心") == MAINSTREAM
    assert trust_of("", "某公众号") == REPOST and trust_of("", "人民政府网站转载的某博客") == REPOST
    # with a link the link decides: a mirror naming a government body is still a mirror
    assert trust_of("http://x-news.example.com/1", "成都市武侯区人民政府") == REPOST
