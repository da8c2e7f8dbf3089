"""Issue 10: searches are links (GET, every filter in the URL) that survive refresh, back and the
case page's breadcrumb; 我的查询 and 我的收藏; compact results on a phone; honest highlighting;
per-method ranks behind 详情. Real server, real chromium."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from web_helpers import login

PROBLEM = "老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果"
PHONE = "13812345678"
STOPWORDS = {"起来", "小区", "居民", "问题", "社区"}


def _search(page, site, text: str, **fill: str) -> None:
    page.goto(f"{site.url}/")
    page.fill("textarea[name=q]", text)
    for name, value in fill.items():
        page.locator(f"[name={name}]").fill(value) if name.startswith("year") else \
            page.select_option(f"select[name={name}]", value)
    page.click("[data-testid=search]")
    page.wait_for_selector("[data-testid=analysis]")


def _ids(page) -> list[str]:
    return [c.get_attribute("data-case") for c in page.locator("[data-testid=result]").all()]


def _logged(site, user: str, text: str) -> int:
    return sum(1 for q in site.service.store.queries.recent(10_000) if q.user == user and q.text == text)


def test_a_search_is_a_link_that_survives_refresh_and_reopening(browser, site, viewer_page):
    page = viewer_page
    _search(page, site, PROBLEM, province="上海")
    url = page.url
    params = parse_qs(urlsplit(url).query)
    assert urlsplit(url).path == "/" and params == {"q": [PROBLEM], "province": ["上海"]}
    first = _ids(page)
    assert first and page.locator("textarea[name=q]").input_value() == PROBLEM
    assert page.locator("select[name=province]").input_value() == "上海"
    assert _logged(site, "viewer1", PROBLEM) == 1
    page.reload()  # a GET: no "resubmit the form?" and the same answer
    page.wait_for_selector("[data-testid=result]")
    assert _ids(page) == first and page.url == url
    other = login(browser, site, "editor1")  # the link, opened by a colleague
    try:
        other.goto(url)
        assert _ids(other) == first
        assert other.locator("textarea[name=q]").input_value() == PROBLEM
    finally:
        other.context.close()
    assert _logged(site, "viewer1", PROBLEM) == 1  # a refresh is not a new question


def test_back_and_breadcrumb_return_to_the_same_results(site, viewer_page):
    page = viewer_page
    _search(page, site, PROBLEM, level="村社区")
    results_url, ids = page.url, _ids(page)
    page.locator("[data-testid=result] h3 a").nth(1).click()
    page.wait_for_selector("[data-testid=case-detail]")
    crumb = page.locator("[data-testid=back-to-results]")
    assert crumb.get_attribute("href") == results_url.removeprefix(site.url)
    page.locator("[data-testid=similar] a").first.click()  # one case further: the way back is kept
    page.wait_for_selector("[data-testid=case-detail]")
    page.click("[data-testid=back-to-results]")
    page.wait_for_selector("[data-testid=result]")
    assert page.url == results_url and _ids(page) == ids
    page.locator("[data-testid=result] h3 a").first.click()
    page.wait_for_selector("[data-testid=case-detail]")
    page.go_back()
    page.wait_for_selector("[data-testid=result]")
    assert page.url == results_url and _ids(page) == ids


def test_year_filter_on_the_page(site, viewer_page):
    page = viewer_page
    _search(page, site, PROBLEM, year_from="2020", year_to="2022")
    params = parse_qs(urlsplit(page.url).query)
    assert params["year_from"] == ["2020"] and params["year_to"] == ["2022"]
    years = [int(c.get_attribute("data-year")) for c in page.locator("[data-testid=result]").all()]
    assert years and all(2020 <= y <= 2022 for y in years)
    expected = site.service.engine().recommend(PROBLEM, top_k=10, filters={"year_from": 2020, "year_to": 2022})
    assert _ids(page) == [r.case_id for r in expected.results]
    assert "2020–2022年" in page.locator("[data-testid=filter-summary]").inner_text()
    page.goto(f"{site.url}/?q={PROBLEM}&year_from=二〇二〇")
    assert "起始年份" in page.locator("[data-testid=error]").inner_text()


def test_zero_results_say_so_and_offer_the_search_without_filters(site, viewer_page):
    page = viewer_page
    page.goto(f"{site.url}/?q=加装电梯&province=火星")
    empty = page.locator("[data-testid=empty]")
    assert empty.is_visible() and page.locator("[data-testid=result]").count() == 0
    assert "以下为最接近" not in page.content()  # no promise of cases that are not there
    page.click("[data-testid=drop-filters]")
    page.wait_for_selector("[data-testid=result]")
    assert parse_qs(urlsplit(page.url).query) == {"q": ["加装电梯"]}


def test_my_queries_lists_a_masked_question_and_reruns_it(site, viewer_page):
    page = viewer_page
    text = f"小区停车难，业主晚上车停不进来，联系电话{PHONE}"
    _search(page, site, text)
    assert PHONE not in page.url and PHONE not in page.content()  # the link carries the masked text
    masked = page.locator("textarea[name=q]").input_value()
    assert "138****5678" in masked
    page.click("nav >> text=我的查询")
    item = page.locator("[data-testid=my-query]").first
    assert masked in item.inner_text() and PHONE not in page.content()
    item.locator("[data-testid=rerun]").click()
    page.wait_for_selector("[data-testid=result]")
    assert page.locator("textarea[name=q]").input_value() == masked


def test_star_unstar_and_my_favorites(site, viewer_page):
    page = viewer_page
    _search(page, site, PROBLEM)
    card = page.locator("[data-testid=result]").first
    case_id, title = card.get_attribute("data-case"), card.locator("h3 a").inner_text()
    card.locator("[data-testid=star]").click()
    card.locator("[data-testid=star].on").wait_for()
    page.click("nav >> text=我的收藏")
    listed = page.locator("[data-testid=favorite]")
    assert [f.get_attribute("data-case") for f in listed.all()] == [case_id]
    assert title in listed.first.inner_text()
    page.goto(f"{site.url}/cases/{case_id}")  # starred on the case page too
    assert page.locator("[data-testid=star]").get_attribute("aria-pressed") == "true"
    page.goto(f"{site.url}/my/favorites")
    page.locator("[data-testid=favorite] [data-testid=star]").click()
    page.locator("[data-testid=favorite] [data-testid=star]:not(.on)").wait_for()
    page.reload()
    assert page.locator("[data-testid=no-favorites]").is_visible()


def test_generic_words_are_not_highlighted(site, viewer_page):
    page = viewer_page
    _search(page, site, "小区居民吵起来了，加装电梯的事谈不拢，社区问题一直拖着")
    marks = [m.inner_text() for m in page.locator("[data-testid=result] mark.hit").all()]
    assert "加装电梯" in marks  # a governance term is marked …
    assert not STOPWORDS & set(marks)  # … the words every message has are not
    lexicon = site.service.engine().analyzer.lexicon
    titles = [m.inner_text() for m in page.locator("[data-testid=result] h3 mark.hit").all()]
    assert titles and all(t.lower() in lexicon for t in titles)  # titles: lexicon terms only


def test_method_ranks_are_behind_details(site, viewer_page):
    page = viewer_page
    _search(page, site, PROBLEM)
    card = page.locator("[data-testid=result]").first
    methods = card.locator("[data-testid=methods]")
    assert not methods.is_visible() and "关键词检索第" not in card.inner_text()
    card.locator("[data-testid=why] summary").click()
    assert methods.is_visible() and "关键词检索第" in methods.inner_text()


def test_phone_shows_the_first_case_on_the_first_screen(browser, site):
    page = login(browser, site, "viewer1", viewport={"width": 390, "height": 844}, is_mobile=True,
                 has_touch=True, device_scale_factor=3)
    try:
        _search(page, site, PROBLEM)
        box = page.locator("[data-testid=result]").first.locator("h3").bounding_box()
        assert box["y"] + box["height"] <= 844, f"第一个案例标题在 {box['y']:.0f}px，超出手机第一屏"
        assert not page.locator("[data-testid=routing]").is_visible()  # analysis folded to one line
        assert not page.locator("select[name=province]").is_visible()  # filters folded too
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 844 * 8, f"手机页面高 {height}px"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("[data-testid=analysis-summary]")
        assert page.locator("[data-testid=routing]").is_visible()
        card = page.locator("[data-testid=result]").first  # 展开 un-clamps the card's texts
        practice = card.locator(".texts .clamp.c3")
        before = practice.bounding_box()["height"]
        if card.locator("[data-more]").is_visible():
            card.locator("[data-more]").click()
            assert practice.bounding_box()["height"] > before
        card.locator("[data-testid=why] summary").click()
        assert card.locator("[data-testid=methods]").is_visible()
    finally:
        page.context.close()


def test_anonymous_search_by_link_when_allowed(browser, site):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{site.url}/?q={PROBLEM}")
        page.wait_for_selector("[data-testid=result]")
        assert page.locator("[data-testid=star]").count() == 0  # 收藏 needs an account
        assert page.locator("nav >> text=我的查询").count() == 0
        page.goto(f"{site.url}/my/favorites")
        assert page.url.endswith("/login?next=/my/favorites")
    finally:
        context.close()
