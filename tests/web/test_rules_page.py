"""规则编辑 in a real browser (issue 13): edit a cell and see the lint error as you type, 试运行 a
problem under the draft, publish and see the search answer change, roll back and see it change
back; the page on a phone; a viewer is kept out."""

from __future__ import annotations

import re

from web_helpers import login

PROBLEM = "小区楼下烧烤店油烟噪音扰民，晚上睡不着"
LEAD = "测试综合行政执法局"  # a name no bundled rule produces, so the change is unmistakable


def _lead_on_search_page(page, site) -> str:
    page.goto(f"{site.url}/?q={PROBLEM}")
    page.wait_for_selector("[data-testid=analysis]")
    page.click("[data-testid=analysis-summary]")
    return page.locator("[data-testid=routing]").inner_text()


def _cell(page, row: int, col: str):
    return page.locator(f'[data-cell="{row}:{col}"] textarea')


def test_edit_lint_try_publish_and_roll_back(browser, site, editor_page):
    page = editor_page
    before = _lead_on_search_page(page, site)
    assert LEAD not in before

    page.goto(f"{site.url}/admin/rules")
    page.wait_for_selector("[data-testid=rule-grid]")
    assert page.locator("[data-testid=draft-state]").inner_text().endswith("只读）")
    page.click("[data-testid=new-draft]")
    page.wait_for_selector("[data-testid=save]:visible")
    page.click("[data-testid=table-routing]")
    page.wait_for_selector('[data-testid=table-title]:has-text("牵头与配合")')
    headers = page.locator(".rulegrid thead").inner_text()
    assert "牵头单位" in headers and "配合单位" in headers and "问题主体" in headers  # Chinese column names
    rows = page.locator(".rulegrid tbody tr").count()

    # duplicate the first row, move the copy to the top, and make it the 油烟 rule
    page.click("[data-testid=dup-0]")
    assert page.locator(".rulegrid tbody tr").count() == rows + 1
    page.locator('[data-row="1"] button[title=上移]').click()
    assert _cell(page, 0, "_id").input_value().endswith("-副本")
    _cell(page, 0, "_id").fill("油烟扰民-测试")
    for cell in page.locator('.rulegrid tr[data-row="0"] td.in textarea').all():
        cell.fill("")  # no condition but the one below
    _cell(page, 0, "in_focus").fill('contains($, "油烟"')  # a bad expression: the quote is never closed
    msg = page.locator('[data-cell="0:in_focus"] .cell-msg')
    msg.wait_for(state="visible")
    assert "无法解析" in msg.inner_text()
    assert "has-error" in page.locator('[data-cell="0:in_focus"]').get_attribute("class")
    _cell(page, 0, "in_focus").fill('contains($, "油烟")')
    page.wait_for_selector('[data-cell="0:in_focus"]:not(.has-error)')
    # narrowed in the second column on the same field (且出现), so the bundled example 烧烤-油烟噪音
    # (油烟 → 城管, no 睡不着) still passes and publishing is allowed
    _cell(page, 0, "in_and").fill('contains($, "睡不着")')
    _cell(page, 0, "out_lead").fill(f'"{LEAD}"')
    _cell(page, 0, "out_supporting").fill('["生态环境部门"]')
    _cell(page, 0, "out_basis").fill('"测试用依据"')
    page.wait_for_selector("[data-testid=lint-state].good")

    # 试运行 the draft, unsaved edits included
    page.fill("[data-testid=try-text]", PROBLEM)
    page.click("[data-testid=try]")
    page.wait_for_selector("[data-testid=try-lead]")
    assert page.locator("[data-testid=try-lead]").inner_text() == LEAD
    assert "油烟扰民-测试" in page.locator("[data-testid=try-trace]").inner_text()
    page.click("[data-testid=save]")
    page.wait_for_selector('[data-testid=flash]:has-text("草稿已保存")')
    assert LEAD not in _lead_on_search_page(page, site)  # a draft changes nothing that serves

    page.goto(f"{site.url}/admin/rules")
    page.wait_for_selector("[data-testid=publish]:visible")
    page.click("[data-testid=table-routing]")
    assert _cell(page, 0, "_id").input_value() == "油烟扰民-测试"  # the saved draft reopens
    page.fill("[data-testid=publish-note]", "油烟扰民改由执法部门牵头（测试）")
    page.click("[data-testid=publish]")
    page.wait_for_selector('[data-testid=flash]:has-text("已发布为版本")')
    versions = page.locator("[data-testid=versions] tbody tr")
    assert versions.count() == 2  # the folder as it served, kept for rolling back, and the new one
    assert "油烟扰民改由执法部门牵头" in versions.first.inner_text()
    assert LEAD in _lead_on_search_page(page, site)

    page.goto(f"{site.url}/admin/rules")
    page.wait_for_selector("[data-testid=versions] tbody tr")
    first = page.locator("[data-testid=versions] tbody tr").last.get_attribute("data-version")
    page.once("dialog", lambda d: d.accept("回退测试"))
    page.click(f"[data-testid=restore-{first}]")
    page.wait_for_selector('[data-testid=flash]:has-text("已恢复")')
    assert LEAD not in _lead_on_search_page(page, site)
    audit = [e.action for e in site.service.store.audit.recent(20, kind="rules")]
    assert {"draft_create", "draft_save", "rules_publish", "rules_restore"} <= set(audit)


def test_rules_page_on_a_phone_and_for_a_viewer(browser, site, viewer_page):
    viewer_page.goto(f"{site.url}/admin/rules")
    assert "无权访问" in viewer_page.content()
    page = login(browser, site, "editor1", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page.goto(f"{site.url}/admin/rules")
        page.wait_for_selector("[data-testid=rule-grid]")
        card = page.locator(".rulegrid tbody tr").first
        box = card.bounding_box()
        assert box["width"] <= 390  # each rule row is a card, no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= 392
        label = page.evaluate("getComputedStyle(document.querySelector('.rulegrid td.in'), '::before').content")
        assert re.search("[\u4e00-\u9fff]", label)  # every cell says which column it is
    finally:
        page.context.close()
