"""Issue 10, admin forms, with four eyes on (`require_review`): restoring a version and bulk
publishing from the pages follow the same rule as editing and publishing one case."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, page_client

from zhili.cases import DOMAINS, Case


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, object]]:
    with page_client(tmp_path_factory.mktemp("web-review-home"), [("ed-a", "editor"), ("ed-b", "editor"), ("boss", "admin")]) as (client, service):
        client.app.state.settings.require_review = True
        yield client, service


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client: TestClient, name: str) -> str:
    client.cookies.clear()
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303
    return _csrf(client.get("/admin/cases").text)


def test_an_editors_restore_of_a_published_case_waits_for_review(app):
    client, service = app
    cases = service.store.cases
    original = cases.get("case-0010")
    cases.update(original.model_copy(update={"title": "管理员改的标题"}), "boss")  # still published
    first = service.store.audit.history("case-0010")[0]
    token = _login(client, "ed-a")
    page = client.get(f"/admin/cases/case-0010/restore/{first.id}").text
    assert 'data-testid="review-note"' in page and "转为草稿" in page and 'name="then"' not in page
    refused = client.post(f"/admin/cases/case-0010/restore/{first.id}", data={"csrf_token": token, "then": "published"})
    assert refused.status_code == 403 and "审核" in refused.text
    assert cases.get("case-0010").title == "管理员改的标题"
    done = client.post(f"/admin/cases/case-0010/restore/{first.id}", data={"csrf_token": token},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=restored")
    record = cases.get_record("case-0010")
    assert record.case == original and record.status == "draft"  # back to draft, out of the matched set
    assert "case-0010" not in service.store.cases.published_hashes()
    assert service.state.revision == cases.revision()  # the engine already follows
    # the restorer wrote this version: they cannot publish it, another editor can
    assert service.store.audit.last_author("case-0010") == "ed-a"
    form = client.get("/admin/cases/case-0010/edit").text
    assert 'data-testid="review-needed"' in form and 'data-testid="publish"' not in form
    token = _login(client, "ed-b")
    client.post("/admin/cases/case-0010/status", data={"csrf_token": token, "status": "published"})
    assert cases.get_record("case-0010").status == "published"


def test_admins_may_restore_and_publish_in_one_step(app):
    client, service = app
    cases = service.store.cases
    cases.create(Case(id="rv-1", title="第一版", problem="p", source={"title": "t"}), "ed-a", status="draft")
    cases.update(Case(id="rv-1", title="第二版", problem="p", source={"title": "t"}), "ed-a")
    first = service.store.audit.history("rv-1")[0]
    token = _login(client, "boss")
    page = client.get(f"/admin/cases/rv-1/restore/{first.id}").text
    assert 'data-testid="then-published"' in page and 'data-testid="review-note"' not in page
    client.post(f"/admin/cases/rv-1/restore/{first.id}", data={"csrf_token": token, "then": "published"})
    record = cases.get_record("rv-1")
    assert (record.case.title, record.status) == ("第一版", "published")
    assert service.store.audit.history("rv-1")[-1].action == "restore"


def test_bulk_publish_leaves_an_editors_own_drafts_for_review(app):
    client, service = app
    cases = service.store.cases
    cases.create(Case(id="rv-own", title="自己写的草稿", problem="p", source={"title": "t"}), "ed-a", status="draft")
    cases.create(Case(id="rv-other", title="别人写的草稿", problem="p", source={"title": "t"}), "ed-b", status="draft")
    cases.create(Case(id="rv-bare", title="只有标题的草稿"), "ed-b", status="draft")
    token = _login(client, "ed-a")
    ids = ["rv-own", "rv-other", "rv-bare"]
    page = client.get("/admin/cases/confirm", params={"action": "publish", "ids": ids}).text
    assert "需由其他编辑或管理员发布" in page and "确认发布（1 个案例）" in page
    assert "不能发布：发布前须填写“问题”或“做法”（至少一项）" in page  # an incomplete draft is left out
    done = client.post("/admin/cases/confirm", data={"csrf_token": token, "action": "publish",
                                                      "ids": ids, "back": "/admin/cases?page=1"})
    assert "已发布 1 个案例。" in done.text and "1 个因开启发布审核需由其他编辑或管理员发布" in done.text
    assert (cases.get_record("rv-own").status, cases.get_record("rv-other").status) == ("draft", "published")
    assert cases.get_record("rv-bare").status == "draft"


def test_confirmation_needs_csrf_and_a_known_action(app):
    client, service = app
    token = _login(client, "ed-b")
    before = service.store.cases.get_record("case-0020").status
    r = client.post("/admin/cases/confirm", data={"action": "withdraw", "ids": ["case-0020"]})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/admin/cases/confirm", data={"csrf_token": token, "action": "explode", "ids": ["case-0020"]})
    assert r.status_code == 422 and "未知的操作" in r.text
    r = client.get("/admin/cases/confirm", params={"action": "withdraw"})
    assert "没有选中任何案例" in r.text
    r = client.post("/admin/cases/confirm", data={"csrf_token": token, "action": "withdraw", "ids": ["case-0020"],
                                                   "back": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"].startswith("/admin/cases?")  # never an open redirect
    assert service.store.cases.get_record("case-0020").status != before
    assert client.get("/admin/cases/case-0020/restore/abc").status_code == 404
    assert client.get("/admin/cases/case-0020/restore/99999999999").status_code == 404
    viewer = service.store.users.create("just-looking", PASSWORD, "viewer")
    assert viewer is not None
    _login(client, "just-looking")
    assert client.get("/admin/import/template.xlsx").status_code == 403


def _form(case: Case, token: str) -> dict[str, object]:
    """The edit form as a browser would post it for `case`, untouched."""
    from zhili.cases import LEADERSHIP
    from zhili.cases.tabular import format_list
    from zhili.web.forms import format_value

    return {"csrf_token": token, "id": case.id, "title": case.title, "province": case.province, "city": case.city,
            "district": case.district, "level": case.level, "year": "" if case.year is None else str(case.year),
            "problem": case.problem, "practice": case.practice,
            "domains": [d for d in DOMAINS if d in case.domains],  # checkboxes: in the form's order
            "leadership": [d for d in LEADERSHIP if d in case.leadership], "mechanisms": format_list(case.mechanisms),
            "actors": format_list(case.actors), "source_title": case.source.title, "source_url": case.source.url,
            "source_date": case.source.date, "source_publisher": case.source.publisher, "source_trust": "",
            "outcome_metric": [o.metric for o in case.outcomes] + ["", ""],
            "outcome_value": [format_value(o.value) for o in case.outcomes] + ["", ""],
            "outcome_unit": [o.unit for o in case.outcomes] + ["", ""],
            "outcome_text": [o.text for o in case.outcomes] + ["", ""]}


def test_saving_an_untouched_form_keeps_a_published_case_live(app):
    client, service = app
    cases = service.store.cases
    case = cases.get("case-0040")
    assert case.domains != [d for d in DOMAINS if d in case.domains]  # not in the checkboxes' order
    token = _login(client, "ed-a")
    r = client.post("/admin/cases/case-0040/edit", data=_form(case, token))
    assert "内容没有变化" in r.text
    assert cases.get_record("case-0040").status == "published"
    assert service.store.audit.history("case-0040")[-1].action == "bundled"  # nothing written since the seed
    r = client.post("/admin/cases/case-0040/edit", data=_form(case.model_copy(update={"title": "编辑改了标题"}), token))
    assert "案例转为草稿，需由其他编辑或管理员审核" in r.text
    assert cases.get_record("case-0040").status == "draft"
