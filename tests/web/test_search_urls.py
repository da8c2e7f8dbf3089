"""Search links, 收藏 and the result card without a browser: the POST → GET redirect (masked
text, long texts by query id), hand-made links, the favourites endpoint's refusals, and the
templates' handling of the engine's verdict and calibrated 匹配度."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, page_client

from zhili.answer import Result, Span, TermMatch
from zhili.web import links
from zhili.web.highlight import Highlighter
from zhili.web.pages.search import verdict_of
from zhili.web.templating import templates

PROBLEM = "老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果"
PHONE = "13812345678"


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, object]]:
    with page_client(tmp_path_factory.mktemp("search-urls-home"), [("cadre", "viewer")]) as (client, service):
        yield client, service


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client: TestClient, name: str = "cadre") -> str:
    client.cookies.clear()
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303
    return _csrf(client.get("/").text)


def _count(service, user: str = "cadre") -> int:
    return sum(1 for q in service.store.queries.recent(10_000) if q.user == user)


def test_the_form_redirects_to_its_link_with_the_text_masked(app_client):
    client, service = app_client
    token = _login(client)
    before = _count(service)
    r = client.post("/", data={"q": f"{PROBLEM}，电话{PHONE}", "csrf_token": token, "province": "浙江",
                               "year_from": "２０１８", "top": "20", "level": ""}, follow_redirects=False)
    assert r.status_code == 303
    where = urlsplit(r.headers["location"])
    assert where.path == "/" and PHONE not in r.headers["location"]
    assert parse_qs(where.query) == {"q": [f"{PROBLEM}，电话138****5678"], "province": ["浙江"],
                                     "year_from": ["2018"], "top": ["20"]}
    assert list(parse_qs(where.query)) == ["q", "province", "year_from", "top"]  # one fixed order
    assert _count(service) == before  # the redirect itself answers nothing
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and page.text.count('data-testid="result"') <= 20
    assert _count(service) == before + 1
    client.get(r.headers["location"])  # refreshed
    assert _count(service) == before + 1


def test_a_hand_made_link_with_personal_data_is_masked_first(app_client):
    client, _ = app_client
    _login(client)
    r = client.get("/", params={"q": f"加装电梯 联系{PHONE}", "level": "村社区"}, follow_redirects=False)
    assert r.status_code == 303 and PHONE not in r.headers["location"]
    assert parse_qs(urlsplit(r.headers["location"]).query)["level"] == ["村社区"]


def test_a_text_too_long_for_a_link_goes_by_query_id(app_client):
    client, service = app_client
    token = _login(client)
    text = "小区加装电梯，一楼住户反对。" * 300
    before = _count(service)
    r = client.post("/", data={"q": text, "csrf_token": token, "domain": "加装电梯"}, follow_redirects=False)
    assert r.status_code == 303
    params = parse_qs(urlsplit(r.headers["location"]).query)
    assert set(params) == {"qid", "domain"} and re.fullmatch(r"[0-9a-f]{32}", params["qid"][0])
    assert len(r.headers["location"]) < links.MAX_LINK
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "小区加装电梯，一楼住户反对。" in page.text
    assert 'data-testid="result"' in page.text and params["qid"][0] in page.text  # feedback goes to that query
    assert _count(service) == before + 1  # asked once, logged once
    gone = client.get("/", params={"qid": "0" * 32})
    assert gone.status_code == 404 and "已不存在" in gone.text


@pytest.mark.parametrize(("params", "message"), [
    ({"q": PROBLEM, "level": "宇宙级"}, "层级"),
    ({"q": PROBLEM, "year_from": "2024", "year_to": "2019"}, "年份范围无效"),
    ({"q": PROBLEM, "year_to": "1066"}, "截止年份"),
])
def test_bad_links_get_a_chinese_message(app_client, params, message):
    client, service = app_client
    _login(client)
    before = _count(service)
    r = client.get("/", params=params)
    assert r.status_code == 422 and message in r.text
    assert _count(service) == before


def test_filters_alone_preset_the_blank_form(app_client):
    client, _ = app_client
    _login(client)
    r = client.get("/", params={"domain": "加装电梯", "year_from": "2020"})
    assert r.status_code == 200 and 'data-testid="result"' not in r.text
    assert '<option value="加装电梯" selected>' in r.text and 'value="2020"' in r.text


def test_favourites_endpoint_refuses_what_it_should(app_client):
    client, service = app_client
    token = _login(client)
    user = service.store.users.authenticate("cadre", PASSWORD)
    r = client.post("/favorites", data={"case_id": "case-0003", "action": "add", "next": "/?q=x"},
                    follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    r = client.post("/favorites", data={"csrf_token": token, "case_id": "case-0003", "action": "add",
                                        "next": "//evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/my/favorites"  # never off-site
    assert service.store.favorites.starred(user.id, ["case-0003"]) == {"case-0003"}
    r = client.post("/favorites", data={"csrf_token": token, "case_id": "nope", "action": "add"})
    assert r.status_code == 404 and "nope" in r.text
    service.store.cases.set_status("case-0004", "draft", "editor")
    r = client.post("/favorites", data={"csrf_token": token, "case_id": "case-0004", "action": "add"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["ok"] is False  # a viewer cannot see drafts
    r = client.post("/favorites", data={"csrf_token": token, "case_id": "case-0003", "action": "remove",
                                        "next": "/?q=加装电梯"}, follow_redirects=False)
    assert unquote(r.headers["location"]) == "/?q=加装电梯" and service.store.favorites.count(user.id) == 0
    client.cookies.clear()
    r = client.post("/favorites", data={"case_id": "case-0003", "action": "add"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_link_helpers():
    assert links.search_url("加装电梯 协商", {"year_to": "2024", "province": "浙江"}, 10) == \
        "/?q=%E5%8A%A0%E8%A3%85%E7%94%B5%E6%A2%AF%20%E5%8D%8F%E5%95%86&province=%E6%B5%99%E6%B1%9F&year_to=2024"
    assert links.search_url(None, {}, 20, qid="ab") == "/?qid=ab&top=20"
    assert links.search_url("", {}) == "/"
    assert links.carried({"q": "a&b", "evil": "x", "top": "20"}) == "q=a%26b&top=20"
    assert links.chosen_of_logged({"province": ["浙江", "江苏"], "year_from": 2020, "domain": []}) == \
        {"province": "浙江", "year_from": "2020"}
    assert links.filter_label({"province": "浙江", "year_from": "2018"}) == "浙江 · 2018年起"
    for bad in ("//evil.example", "https://evil.example", "/\\evil", "javascript:alert(1)", None, "/x\ny"):
        assert links.safe_next(bad, "/d") == "/d"
    assert links.safe_next("/?q=%E5%8A%A0&top=20") == "/?q=%E5%8A%A0&top=20"


def test_highlighter_keeps_lexicon_terms_and_content_words_only():
    hl = Highlighter({"加装电梯", "老旧小区"}, generic={"小区", "居民", "起来"}, stopwords={"的"})
    terms = [TermMatch(term=t, spans=[Span(field="problem", start=0, end=len(t))])
             for t in ("加装电梯", "小区", "居民", "起来", "一楼", "2023", "的", "ab", "wifi")]
    assert [m.term for m in hl.body(terms)] == ["加装电梯", "一楼", "wifi"]
    assert [m.term for m in hl.title(terms)] == ["加装电梯"]  # titles: governance terms only
    hl = Highlighter({"居民"}, generic={"居民"})
    assert hl.body([TermMatch(term="居民")]) == []  # the generic list wins over library terms


class Matched(Result):
    """A Result as the calibrated engine will return it (issue 10)."""

    match: dict | None = None


def _card(**extra) -> str:
    r = Matched(rank=1, case_id="case-0001", title="加装电梯协商", place="上海黄浦区", province="上海",
                level="村社区", year=2021, score=1.52, problem="一楼住户反对加装电梯", practice="议事协商",
                matched_terms=[TermMatch(term="加装电梯", spans=[Span(field="title", start=0, end=4),
                                                              Span(field="problem", start=6, end=10)])],
                **extra)
    html = templates.env.get_template("_result.html").render(
        r=r, hl=Highlighter({"加装电梯"}, generic=()), qs="q=x", starred=set(), user=None, csrf="t",
        query_id="")
    return html


def test_card_shows_the_calibrated_match_on_an_absolute_bar():
    html = _card(match={"level": "中", "percent": 57, "explanation": "有两处关键做法与问题相同。"})
    assert 'data-testid="match"' in html and 'class="match match-mid"' in html
    assert '<rect height="1" width="57">' in html and "57%" in html
    assert 'title="有两处关键做法与问题相同。"' in html  # hover …
    assert 'data-testid="match-explanation">有两处关键做法与问题相同。<' in html  # … and tap
    assert 'href="/cases/case-0001?q=x"' in html
    html = _card(match={"level": "高", "percent": 140, "explanation": "x"})
    assert '<rect height="1" width="100">' in html  # never beyond the bar


def test_card_without_a_calibrated_match_shows_no_bar():
    html = _card()
    assert 'data-testid="match"' not in html and "<rect" not in html
    assert "综合得分 1.52" in html and "可以大于 1" in html  # the raw score, explained, under 详情


def _search_page(answer, verdict: str, **ctx) -> str:
    base = dict(answer=answer, verdict=verdict, message=answer.message, q="今天天气不错", f={}, top=10, provinces=[], top_choices=(10,),
                user=None, csrf="t", path="/", can_edit=False, role_label="", filter_label="", qs="q=x",
                unfiltered="", hl=Highlighter(()), starred=set(), query_id="")
    base.update(ctx)
    return templates.env.get_template("search.html").render(**base)


def test_off_topic_gets_a_polite_answer_and_no_analysis():
    answer = SimpleNamespace(results=[], message="", candidates=0, no_fit=True)
    html = _search_page(answer, "off_topic")
    assert "不属于基层治理问题" in html and 'data-testid="analysis"' not in html
    assert 'data-testid="result"' not in html and "待收集" not in html


def test_empty_says_so_plainly_and_offers_the_search_without_filters():
    from zhili.answer import NO_FIT_MESSAGE
    from zhili.web.pages.search import verdict_message

    answer = SimpleNamespace(results=[], message=NO_FIT_MESSAGE, candidates=0, no_fit=True, classification={},
                             routing=None, risk=None, rule_trace=[], suggestions={}, lexicon_hits=[])
    message = verdict_message(answer, "empty", filtered=True)
    assert "以下为最接近的案例" not in message and "筛选条件" in message  # not the no-fit promise
    html = _search_page(answer, "empty", message=message, unfiltered="/?q=x", f={"province": "西藏"})
    assert 'data-testid="empty"' in html and 'href="/?q=x" data-testid="drop-filters"' in html
    assert 'data-testid="export-docx"' not in html and 'data-testid="result"' not in html
    answer.verdict, answer.message = "empty", "筛选后没有案例。"
    assert verdict_message(answer, "empty", filtered=True) == "筛选后没有案例。"  # the engine's own words


def test_verdict_is_read_from_the_engine_or_the_answer():
    assert verdict_of(SimpleNamespace(verdict="off_topic", results=[1], no_fit=False)) == "off_topic"
    assert verdict_of(SimpleNamespace(results=[], no_fit=True)) == "empty"
    assert verdict_of(SimpleNamespace(results=[1], no_fit=True)) == "no_fit"
    assert verdict_of(SimpleNamespace(results=[1], no_fit=False, verdict=None)) == "fit"


def test_a_search_link_survives_the_login_when_search_needs_one(app_client):
    from zhili.app import create_app
    from zhili.api.settings import ApiSettings

    _, service = app_client
    with TestClient(create_app(service, ApiSettings(require_login_for_search=True))) as client:
        # 522 characters of question: longer than a login form's `next` used to be allowed to be
        link = "/?" + links.search_query(PROBLEM * 18, {"province": "上海", "year_from": "2018"})
        r = client.get(link, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        form = client.get(r.headers["location"]).text
        token = _csrf(form)
        target = re.search(r'name="next" value="([^"]+)"', form).group(1)
        r = client.post("/login", data={"username": "cadre", "password": PASSWORD, "csrf_token": token,
                                        "next": target.replace("&amp;", "&")}, follow_redirects=False)
        assert r.status_code == 303
        assert parse_qs(urlsplit(r.headers["location"]).query) == parse_qs(urlsplit(link).query)
