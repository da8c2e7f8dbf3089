"""`zhili cases audit`: the bundled library has no source problem; each kind of problem is found."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from zhili.cases import Case
from zhili.cases.audit import (BAD_TRUST, DUPLICATE, ERROR, INCOMPLETE, NO_DATE, NO_FIGURES, NO_PUBLISHER,
                               NO_SOURCE, NO_TITLE, REPOST_ONLY, SEARCH_LINK, WARN, audit_cases)
from zhili.cases.io import read_cases
from zhili.cases.model import stored_case
from zhili.config import BUNDLED_CASES
from bundled import BUNDLED

PRACTICE = ("社区党委牵头成立院落议事会，逐户上门听取意见，商定费用分摊办法和低层住户补偿方案，"
            "签约后由街道统一组织施工，物业负责后期维保。")


def _case(cid: str, **source: str) -> Case:
    return Case.model_validate({"id": cid, "title": f"{cid}议事会", "problem": "加装电梯意见不一",
                                "practice": PRACTICE if cid == "dup-a" else f"{cid}：{PRACTICE[::-1]}",
                                "outcomes": [{"metric": "加装", "value": 3, "unit": "部"}],
                                "source": source})


def test_bundled_library_has_no_source_problem() -> None:
    report = audit_cases(read_cases(BUNDLED_CASES))
    assert report.total == BUNDLED
    assert report.source_problems == 0 and report.count(ERROR) == 0
    assert report.count(kinds=[DUPLICATE]) == 0
    untitled = [c for c in read_cases(BUNDLED_CASES) if not c.source.title]
    assert report.count(WARN, [NO_TITLE]) == len(untitled)
    assert all(c.source.publisher and c.source.url for c in untitled)


def test_each_kind_is_found() -> None:
    ok = {"publisher": "人民网", "title": "标题", "url": "http://www.people.com.cn/1.html", "date": "2024-01-02"}
    cases = [
        _case("fine", **ok),
        _case("nothing"),
        _case("no-pub", title="标题", url="https://www.gov.cn/1.htm", date="2024"),
        _case("mirror", publisher="人民日报", title="标题", url="http://peopledailynews.eu/1.html", date="2022-11-04"),
        _case("undated", publisher="人民网", title="标题", url="http://www.people.com.cn/2.html"),
        _case("headless", publisher="人民网", url="http://www.people.com.cn/3.html", date="2024-01-02"),
        _case("unlinked", publisher="人民网", date="2024-01-02"),
        _case("searched", publisher="南方周末", title="标题", url="https://infzm.com/search?k=%E5%B1%A0", date="2020"),
        Case(id="bare", title="只有标题", source={"publisher": "人民网", "title": "t", "date": "2024"}),
        # what an older build stored: a trust the list does not support (read back tolerantly)
        stored_case({"id": "claimed", "title": "t", "problem": "p",
                     "source": {"publisher": "x", "title": "t", "url": "http://x-news.example.com/", "trust": "官方发布"}}),
        _case("dup-a", **ok), Case.model_validate({**_case("dup-b", **ok).model_dump(), "practice": PRACTICE}),
    ]
    found = {(f.case_id, f.kind) for f in audit_cases(cases).findings}
    assert not {k for c, k in found if c == "fine"}
    assert ("nothing", NO_SOURCE) in found
    assert ("no-pub", NO_PUBLISHER) in found
    assert ("mirror", REPOST_ONLY) in found
    assert ("undated", NO_DATE) in found
    severity = {(f.case_id, f.kind): f.severity for f in audit_cases(cases).findings}
    assert severity[("headless", NO_TITLE)] == WARN  # publisher and link: checkable, listed 待核实
    assert severity[("unlinked", NO_TITLE)] == ERROR  # neither headline nor link: a 问题
    assert ("searched", SEARCH_LINK) in found
    assert ("bare", INCOMPLETE) in found and ("bare", NO_FIGURES) in found
    assert ("claimed", BAD_TRUST) in found
    assert ("dup-b", DUPLICATE) in found and ("dup-a", DUPLICATE) not in found


def test_cli_audit_json_and_exit_code(zhili_home: Path, tmp_path: Path) -> None:
    from zhili.cli.cases import app

    result = CliRunner().invoke(app, ["audit", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == BUNDLED and data["source_problems"] == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x-1", "title": "只有标题"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", "--file", str(bad)])
    assert result.exit_code == 1 and "无来源" in result.output and "内容不全" in result.output
