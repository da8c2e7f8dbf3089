"""案例库管理, 统计 and access control in a real browser, checked against the real database."""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from web_helpers import login

HEADER = ["编号", "标题", "省份", "层级", "年份", "问题", "做法", "领域", "引领维度"]


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "案例"
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _good_row(cid: str, title: str) -> list[object]:
    return [cid, title, "浙江", "村社区", 2024, "村里红白喜事大操大办", "村规民约约定标准，红白理事会监督",
            "移风易俗", "机制引领"]


def _upload(page, site, path: Path) -> None:
    page.goto(f"{site.url}/admin/import")
    page.set_input_files("[data-testid=import-file]", str(path))
    page.click("[data-testid=import-check]")


def test_import_with_a_bad_row_reports_it_and_saves_nothing(site, editor_page, tmp_path):
    page = editor_page
    before = site.service.store.cases.page(limit=1)[1]
    bad = _xlsx(tmp_path / "cases.xlsx", [_good_row("web-imp-1", "好的一行"),
                                          _good_row("web-imp-2", "年份写错") [:4] + ["二〇二四"] + _good_row("x", "")[5:]])
    _upload(page, site, bad)
    errors = page.locator("[data-testid=row-error]")
    errors.first.wait_for()
    assert errors.count() == 1
    row = errors.first.inner_text()
    assert "3" in row and "年份" in row and "整数" in row  # header is row 1, so the second case is row 3
    assert "未保存任何案例" in page.locator("[data-testid=import-errors]").inner_text()
    assert site.service.store.cases.get_record("web-imp-1") is None
    assert site.service.store.cases.page(limit=1)[1] == before


def test_import_preview_then_confirm(site, editor_page, tmp_path):
    page = editor_page
    good = _xlsx(tmp_path / "good.xlsx", [_good_row("web-imp-3", "红白理事会"), _good_row("web-imp-4", "村规民约")])
    _upload(page, site, good)
    preview = page.locator("[data-testid=import-preview]")
    preview.wait_for()
    assert "共 2 个案例" in preview.inner_text() and "尚未保存" in preview.inner_text()
    assert site.service.store.cases.get_record("web-imp-3") is None  # preview saves nothing
    page.click("[data-testid=import-confirm]")
    page.locator("[data-testid=import-done]").wait_for()
    record = site.service.store.cases.get_record("web-imp-3")
    assert record is not None and record.status == "draft" and record.updated_by == "editor1"
    # the pending upload is gone once imported (its token cannot import twice)
    assert not list((site.home / "uploads").glob("*.xlsx"))


def test_edit_case_then_see_it_in_audit_history(site, editor_page):
    page = editor_page
    page.goto(f"{site.url}/admin/cases/case-0034/edit")
    old_title = page.input_value("input[name=title]")
    page.fill("input[name=title]", old_title + "（网页修订）")
    page.fill("input[name=year]", "2024")
    page.click("[data-testid=save]")
    assert page.inner_text("[data-testid=done]") == "已保存。"
    stored = site.service.store.cases.get_record("case-0034")
    assert stored.case.title == old_title + "（网页修订）" and stored.case.year == 2024
    assert stored.updated_by == "editor1"
    page.goto(f"{site.url}/admin/cases/case-0034/history")
    newest = page.locator("[data-testid=audit-entry]").first
    assert newest.locator("[data-testid=audit-user]").inner_text() == "editor1"
    text = newest.inner_text()
    assert "修改" in text and "标题" in text and "年份" in text and "2025" in text
    assert newest.locator("ins").filter(has_text="（网页修订）").count() == 1


def test_bad_edit_is_refused_and_nothing_changes(site, editor_page):
    page = editor_page
    page.goto(f"{site.url}/admin/cases/case-0035/edit")
    before = site.service.store.cases.get_record("case-0035")
    page.fill("input[name=year]", "明年")
    page.fill("input[name=title]", "不应保存的标题")
    page.click("[data-testid=save]")
    errors = page.locator("[data-testid=form-errors]")
    errors.wait_for()
    assert "年份" in errors.inner_text()
    assert page.input_value("input[name=title]") == "不应保存的标题"  # what was typed stays in the form
    assert site.service.store.cases.get_record("case-0035") == before


def test_create_draft_publish_and_unpublish(site, editor_page):
    page = editor_page
    page.goto(f"{site.url}/admin/cases/new")
    page.fill("input[name=id]", "web-new-1")
    page.fill("input[name=title]", "网页新建的议事协商案例")
    page.fill("textarea[name=problem]", "小区停车位紧张，居民争吵不断")
    page.check("input[name=domains][value=停车治理]")
    page.click("[data-testid=save]")
    assert page.inner_text("[data-testid=done]") == "已保存为草稿。"
    assert site.service.store.cases.get_record("web-new-1").status == "draft"
    page.click("[data-testid=publish]")  # no source yet: refused, saying what is missing
    assert "发布前须填写来源的发布单位或标题（至少一项）" in page.content()
    assert site.service.store.cases.get_record("web-new-1").status == "draft"
    page.goto(f"{site.url}/admin/cases/web-new-1/edit")
    page.fill("input[name=source_publisher]", "某区人民政府网站")
    page.fill("input[name=source_url]", "not-a-url")
    page.click("[data-testid=save]")  # the same words as the importer
    assert "来源链接必须以 http:// 或 https:// 开头，收到“not-a-url”" in page.content()
    page.fill("input[name=source_url]", "https://www.example.gov.cn/1.html")
    page.click("[data-testid=save]")
    assert site.service.store.cases.get("web-new-1").source.trust == "官方发布"
    page.click("[data-testid=publish]")
    page.locator("[data-testid=unpublish]").wait_for()
    assert page.inner_text("[data-testid=done]") == "已发布。"
    assert site.service.store.cases.get_record("web-new-1").status == "published"
    page.click("[data-testid=unpublish]")  # 撤回 asks first
    page.click("[data-testid=confirm]")
    page.locator("[data-testid=publish]").wait_for()
    assert page.inner_text("[data-testid=done]") == "已撤回为草稿。"
    assert site.service.store.cases.get_record("web-new-1").status == "draft"
    actions = [e.action for e in site.service.store.audit.history("web-new-1")]
    assert actions[0] == "create" and len(actions) == 4


def test_editors_see_feedback_counts_on_a_case(site, editor_page):
    query_id, answer = site.service.recommend("小区加装电梯低层住户反对", user="editor1")
    case_id = answer.results[0].case_id
    site.service.store.feedback.add(query_id, case_id, "adopted", user="editor1")
    page = editor_page
    page.goto(f"{site.url}/cases/{case_id}")
    assert "采纳 1" in page.locator("[data-testid=votes]").inner_text()


def test_list_filters_and_paging(site, editor_page):
    page = editor_page
    page.goto(f"{site.url}/admin/cases?province=上海")
    rows = page.locator("[data-testid=case-table] tbody tr")
    assert rows.count() >= 1
    assert all("上海" in r.locator("td").nth(3).inner_text() for r in rows.all())  # after the pick box, 编号, 标题
    page.goto(f"{site.url}/admin/cases?page=2")
    assert "第 2/" in page.inner_text("main")


def test_stats_page_draws_charts_and_backlog(site, editor_page):
    site.service.recommend("火星基地氧气循环泵的量子校准参数如何设置，联系人手机13812345678", user="editor1")
    page = editor_page
    page.goto(f"{site.url}/stats")
    assert page.locator("svg.chart").count() >= 3
    backlog = page.locator("[data-testid=backlog]").inner_text()
    assert "火星基地" in backlog and "13812345678" not in backlog  # masked before it was stored


def test_roles_and_csrf(browser, site, viewer_page):
    page = viewer_page
    response = page.goto(f"{site.url}/admin/cases")
    assert response.status == 403 and "无权访问" in page.inner_text("main")
    assert page.locator("nav.mainnav a[href='/admin/cases']").count() == 0
    assert page.locator("[data-testid=nav-user]").inner_text() == "viewer1"
    # a form post without the session's CSRF token is refused
    refused = page.request.post(f"{site.url}/feedback", form={"query_id": "x", "case_id": "case-0001",
                                                              "verdict": "helpful"})
    assert refused.status == 403
    anonymous = browser.new_context()
    try:
        anon = anonymous.new_page()
        anon.goto(f"{site.url}/admin/cases")
        assert re.search(r"/login\?next=", anon.url)
    finally:
        anonymous.close()


def test_admin_manages_roles_accounts_and_tokens(browser, site):
    """账号与令牌 in a browser: the role select, disable (the user's open session ends), a token."""
    from web_helpers import PASSWORD

    users = site.service.store.users
    target = users.create("web-temp", PASSWORD, "viewer")
    victim = login(browser, site, "web-temp")
    page = login(browser, site, "admin1")
    try:
        page.goto(f"{site.url}/admin/users")
        row = page.locator("tr[data-user='web-temp']")
        row.locator("[data-testid=role-select]").select_option("editor")
        row.locator("[data-testid=role-save]").click()
        page.wait_for_url(f"{site.url}/admin/users")
        assert users.get(target.id).role == "editor"
        page.locator("tr[data-user='web-temp'] [data-testid=disable]").click()
        page.locator("tr[data-user='web-temp'] [data-testid=enable]").wait_for()
        assert not users.get(target.id).active
        victim.goto(f"{site.url}/admin/cases")
        assert re.search(r"/login\?next=", victim.url)  # the open session ended with the change
        page.locator("tr[data-user='web-temp'] [data-testid=enable]").click()
        page.locator("tr[data-user='web-temp'] [data-testid=disable]").wait_for()
        page.locator("tr[data-user='web-temp'] [data-testid=tokens-link]").click()
        page.fill("input[name=name]", "网页签发")
        page.fill("input[name=days]", "14")
        page.click("[data-testid=issue]")
        token = page.locator("[data-testid=new-token]").inner_text().strip()
        assert users.user_for_token(token).username == "web-temp"
        assert "有效" in page.locator("[data-testid=token-state]").first.inner_text()
        page.click("[data-testid=revoke]")
        page.locator("[data-testid=token-state]", has_text="已撤销").wait_for()
        assert users.user_for_token(token) is None
    finally:
        page.context.close()
        victim.context.close()
