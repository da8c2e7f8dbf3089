"""Issue 10, admin forms, in a real browser: the proposed id and its Chinese pattern message,
required marks, the 成效 rows, the import template, bulk publish/withdraw behind a confirmation,
撤回 asking first, the 已发布/已撤回 messages and restoring an earlier version."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook
from web_helpers import login

from zhili.cases import Case
from zhili.cases.tabular import COLUMNS, LIST_HINT


def _engine_current(site) -> bool:
    """The write refreshed the engine before the page answered: the next search matches it."""
    return site.service.state.revision == site.service.store.cases.revision()


def _draft(site, cid: str, title: str, **fields: object) -> Case:
    case = Case(id=cid, title=title, problem=fields.pop("problem", "村里的问题"),
                source=fields.pop("source", {"publisher": "测试用来源", "title": title}), **fields)
    site.service.store.cases.create(case, "editor1", status="draft")
    return case


def test_new_case_proposes_the_next_id_and_marks_required_fields(site, editor_page):
    page = editor_page
    page.goto(f"{site.url}/admin/cases/new")
    proposed = page.input_value("input[name=id]")
    assert proposed == site.service.store.cases.next_id() and re.fullmatch(r"case-\d{4}", proposed)
    assert int(proposed[5:]) > max(int(i[5:]) for i in site.service.store.cases.ids() if i.startswith("case-"))
    assert "自动生成" in page.inner_text("[data-testid=id-note]")
    # required: exactly what the model needs to save (编号, 标题), marked for eyes and for screen readers
    for name in ("id", "title"):
        field = page.locator(f"input[name={name}]")
        assert field.get_attribute("aria-required") == "true" and field.get_attribute("required") is not None
        assert field.locator("xpath=..").locator(".req").inner_text() == "*"
    for name in ("province", "year", "source_title"):
        assert page.locator(f"input[name={name}]").get_attribute("aria-required") is None
        assert page.locator(f"input[name={name}]").locator("xpath=..").locator(".req").count() == 0
    assert "必填" in page.inner_text("[data-testid=required-note]")
    assert page.locator("[data-testid=list-hint]").first.inner_text() == LIST_HINT

    # the pattern message is Chinese (not the browser's "Please match the requested format")
    page.fill("input[name=id]", "坏 编号!")
    page.fill("input[name=title]", "格式不对的编号")
    page.click("[data-testid=save]")
    message = page.eval_on_selector("input[name=id]", "el => el.validationMessage")
    assert "编号只能用字母、数字" in message and "Please" not in message
    assert page.url.endswith("/admin/cases/new")  # the browser did not send the form
    page.fill("input[name=id]", proposed)
    page.fill("input[name=title]", "")
    page.click("[data-testid=save]")
    assert page.eval_on_selector("input[name=title]", "el => el.validationMessage") == "请填写“标题”"

    # the server says the same if the browser's check is bypassed
    page.eval_on_selector("input[name=id]", "el => el.removeAttribute('pattern')")
    page.eval_on_selector("input[name=title]", "el => el.removeAttribute('required')")
    page.fill("input[name=id]", "坏 编号!")
    page.fill("input[name=title]", "服务端也检查编号")
    page.click("[data-testid=save]")
    errors = page.locator("[data-testid=form-errors]").inner_text()
    assert "编号只能用字母、数字" in errors and site.service.store.cases.get_record("坏 编号!") is None

    # the proposed id saves as is
    page.goto(f"{site.url}/admin/cases/new")
    page.fill("input[name=title]", "用建议编号新建的案例")
    page.click("[data-testid=save]")
    assert page.inner_text("[data-testid=done]") == "已保存为草稿。"
    assert site.service.store.cases.get_record(proposed).case.title == "用建议编号新建的案例"
    page.goto(f"{site.url}/admin/cases/new")
    assert page.input_value("input[name=id]") != proposed


def test_outcome_rows_add_remove_and_save(site, editor_page):
    page = editor_page
    page.goto(f"{site.url}/admin/cases/new")
    page.fill("input[name=id]", "web-out-1")
    page.fill("input[name=title]", "成效分行填写")
    rows = page.locator("[data-testid=outcome-row]")
    assert rows.count() == 3
    page.click("[data-testid=add-outcome]")
    page.click("[data-testid=add-outcome]")
    assert rows.count() == 5
    rows.nth(0).locator("input[name=outcome_metric]").fill("办结率")
    rows.nth(0).locator("input[name=outcome_value]").fill("95")
    rows.nth(0).locator("input[name=outcome_unit]").fill("%")
    rows.nth(0).locator("textarea[name=outcome_text]").fill("群众诉求办结率达95%")
    rows.nth(1).locator("input[name=outcome_metric]").fill("要删掉的一行")
    rows.nth(4).locator("input[name=outcome_metric]").fill("受益户数")
    rows.nth(4).locator("input[name=outcome_value]").fill("１,２００")  # full width and a thousands comma
    rows.nth(4).locator("input[name=outcome_unit]").fill("户")
    rows.nth(1).locator("[data-testid=remove-outcome]").click()
    assert rows.count() == 4
    assert rows.nth(3).locator("input[name=outcome_value]").get_attribute("aria-label") == "成效第 4 行：数值"
    # a value that is not a finite number is refused in Chinese, and nothing is saved
    rows.nth(2).locator("input[name=outcome_value]").fill("inf")
    page.click("[data-testid=save]")
    errors = page.locator("[data-testid=form-errors]").inner_text()
    assert "第 3 行的数值“inf”不是有限的数字" in errors  # numbered as the form shows the rows
    assert site.service.store.cases.get_record("web-out-1") is None
    shown = [v.input_value() for v in page.locator("input[name=outcome_value]").all()]
    assert shown[:4] == ["95", "", "inf", "１,２００"]  # what was typed stays in the form
    page.locator("input[name=outcome_value]").nth(2).fill("")
    page.click("[data-testid=save]")
    page.locator("[data-testid=done]").wait_for()
    stored = site.service.store.cases.get("web-out-1").outcomes
    assert [(o.metric, o.value, o.unit, o.text) for o in stored] == [
        ("办结率", 95, "%", "群众诉求办结率达95%"), ("受益户数", 1200, "户", "")]
    # the edit form shows them back as rows, plus empty rows for more
    values = [v.input_value() for v in page.locator("input[name=outcome_value]").all()]
    assert values[:2] == ["95", "1200"] and values[2:] == ["", ""]


def test_outcome_rows_work_without_javascript(browser, site):
    page = login(browser, site, "editor1", java_script_enabled=False)
    try:
        page.goto(f"{site.url}/admin/cases/new")
        assert page.locator("[data-testid=add-outcome]").is_hidden()  # nothing to click without JS
        rows = page.locator("[data-testid=outcome-row]")
        assert rows.count() == 3
        page.fill("input[name=id]", "web-out-nojs")
        page.fill("input[name=title]", "不用脚本也能填成效")
        rows.nth(0).locator("input[name=outcome_metric]").fill("调解成功率")
        rows.nth(0).locator("input[name=outcome_value]").fill("98.5")
        rows.nth(0).locator("input[name=outcome_unit]").fill("%")
        rows.nth(2).locator("textarea[name=outcome_text]").fill("群众满意度明显提升")
        page.fill("textarea[name=mechanisms]", "调解室、说理堂，网格员；乡贤")
        page.click("[data-testid=save]")
        page.locator("[data-testid=done]").wait_for()
        case = site.service.store.cases.get("web-out-nojs")
        assert [(o.metric, o.value, o.text) for o in case.outcomes] == [("调解成功率", 98.5, ""),
                                                                          ("", None, "群众满意度明显提升")]
        assert case.mechanisms == ["调解室", "说理堂", "网格员", "乡贤"]
        assert page.input_value("textarea[name=mechanisms]") == "调解室、说理堂、网格员、乡贤"  # one separator
        assert page.locator("[data-testid=outcome-row]").count() == 4  # two filled, two empty
    finally:
        page.context.close()


def test_template_download_opens_with_the_expected_columns(site, editor_page, tmp_path):
    page = editor_page
    page.goto(f"{site.url}/admin/import")
    assert LIST_HINT in page.inner_text("[data-testid=import-rules]")
    with page.expect_download() as got:
        page.click("[data-testid=template-xlsx]")
    download = got.value
    assert download.suggested_filename == "案例导入模板.xlsx"
    path = tmp_path / "template.xlsx"
    download.save_as(path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["案例", "说明"]
    sheet = wb["案例"]
    header = [c.value for c in sheet[1]]
    assert header == [zh + (" *" if name in ("id", "title") else "") for name, zh in COLUMNS]
    example = [c.value for c in sheet[2]]
    assert example[0] == "example-0001" and example[1].startswith("【示例】") and sheet.max_row == 2
    assert sheet["A2"].fill.fgColor.rgb.endswith("FFF2CC")  # shaded: plainly not a real case
    guide = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert "示例" in guide["示例行"] and site.service.store.cases.next_id() in guide["编号 *"]
    assert LIST_HINT in guide["机制、主体"]

    with page.expect_download() as got:
        page.click("[data-testid=template-csv]")
    csv_path = tmp_path / "template.csv"
    got.value.save_as(csv_path)
    rows = list(csv.reader(io.StringIO(csv_path.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == header and rows[1][0] == "example-0001" and len(rows) == 2

    # uploading the template with its example row still in it is refused; nothing is saved
    page.set_input_files("[data-testid=import-file]", str(path))
    page.click("[data-testid=import-check]")
    assert "示例行" in page.inner_text("[data-testid=row-error]")
    assert site.service.store.cases.get_record("example-0001") is None
    # filled in (example replaced by a real row), it imports
    sheet["A2"], sheet["B2"] = "web-tpl-1", "用模板导入的案例"
    wb.save(path)
    page.goto(f"{site.url}/admin/import")
    page.set_input_files("[data-testid=import-file]", str(path))
    page.click("[data-testid=import-check]")
    page.click("[data-testid=import-confirm]")
    page.locator("[data-testid=import-done]").wait_for()
    assert site.service.store.cases.get("web-tpl-1").mechanisms == ["楼道议事会", "费用分摊"]


def test_bulk_publish_and_withdraw_ask_first(site, editor_page):
    page = editor_page
    store = site.service.store
    for i in (1, 2, 3):
        _draft(site, f"web-bulk-{i}", f"蓝莓合作社直播带货第{i}例", province="吉林")
    store.cases.create(Case(id="web-bulk-0", title="已发布的蓝莓案例", problem="p", source={"title": "t"}), "editor1",
                       status="published")
    page.goto(f"{site.url}/admin/cases?q=web-bulk")
    assert page.inner_text("[data-selected-count]") == "勾选案例后可批量操作"
    page.click("[data-testid=bulk-publish]")  # nothing picked: the page says so, nothing is sent
    assert "请先勾选" in page.inner_text("[data-selected-count]") and "confirm" not in page.url
    page.check("[data-select-all]")
    assert page.inner_text("[data-selected-count]") == "已选 4 个"
    page.uncheck("tr[data-case=web-bulk-3] [data-testid=pick]")
    page.click("[data-testid=bulk-publish]")
    page.wait_for_url(re.compile(r".*/admin/cases/confirm\?.*"))
    listed = page.locator("[data-testid=confirm-list] tbody tr")
    assert sorted(r.get_attribute("data-case") for r in listed.all()) == ["web-bulk-0", "web-bulk-1", "web-bulk-2"]
    assert "已是已发布" in page.inner_text("tr[data-case=web-bulk-0]")
    assert store.cases.get_record("web-bulk-1").status == "draft"  # the confirmation page changed nothing
    assert page.inner_text("[data-testid=confirm]") == "确认发布（2 个案例）"
    page.click("[data-testid=confirm]")
    page.wait_for_url(re.compile(r".*/admin/cases\?q=web-bulk.*"))
    assert page.inner_text("[data-testid=done]") == "已发布 2 个案例。另有 1 个原本就是已发布，未改动。"
    assert [store.cases.get_record(f"web-bulk-{i}").status for i in (1, 2, 3)] == ["published", "published", "draft"]
    for i in (1, 2):
        last = store.audit.history(f"web-bulk-{i}")[-1]
        assert (last.action, last.user, last.after["status"]) == ("status", "editor1", "published")
    assert _engine_current(site)
    assert "web-bulk-1" in [r.case_id for r in site.service.engine().recommend("蓝莓合作社直播带货").results[:5]]

    page.check("tr[data-case=web-bulk-1] [data-testid=pick]")
    page.check("tr[data-case=web-bulk-2] [data-testid=pick]")
    page.click("[data-testid=bulk-withdraw]")
    page.click("[data-testid=cancel]")  # changed their mind: back to the list, nothing withdrawn
    page.wait_for_url(re.compile(r".*/admin/cases\?q=web-bulk.*"))
    assert store.cases.get_record("web-bulk-1").status == "published"
    page.check("tr[data-case=web-bulk-1] [data-testid=pick]")
    page.check("tr[data-case=web-bulk-2] [data-testid=pick]")
    page.click("[data-testid=bulk-withdraw]")
    assert "不再参与问题匹配" in page.inner_text("main")
    page.click("[data-testid=confirm]")
    assert page.inner_text("[data-testid=done]") == "已撤回 2 个案例。"
    assert [store.cases.get_record(f"web-bulk-{i}").status for i in (1, 2)] == ["draft", "draft"]
    assert _engine_current(site)


def test_single_withdraw_asks_and_messages_say_what_happened(site, editor_page):
    page = editor_page
    store = site.service.store
    _draft(site, "web-one-1", "单个发布撤回")
    page.goto(f"{site.url}/admin/cases/web-one-1/edit")
    page.click("[data-testid=publish]")
    assert page.inner_text("[data-testid=done]") == "已发布。"  # not "已保存。"
    assert store.cases.get_record("web-one-1").status == "published" and _engine_current(site)
    page.click("[data-testid=unpublish]")
    page.wait_for_url(re.compile(r".*/admin/cases/confirm\?.*"))
    assert "确认撤回为草稿" in page.inner_text("h1")
    assert store.cases.get_record("web-one-1").status == "published"  # asking changed nothing
    page.click("[data-testid=confirm]")
    page.wait_for_url(re.compile(r".*/admin/cases/web-one-1/edit\?done=withdrawn"))
    assert page.inner_text("[data-testid=done]") == "已撤回为草稿。"
    assert store.cases.get_record("web-one-1").status == "draft" and _engine_current(site)

    # the list's 发布 / 撤回 links say the same
    page.goto(f"{site.url}/admin/cases?q=web-one-1")
    page.click("tr[data-case=web-one-1] [data-testid=publish]")
    assert page.inner_text("[data-testid=done]") == "已发布 1 个案例。"
    page.click("tr[data-case=web-one-1] [data-testid=withdraw]")
    page.click("[data-testid=confirm]")
    assert page.inner_text("[data-testid=done]") == "已撤回 1 个案例。"

    # 删除 asks too, says 已删除 and points at the history to get it back
    page.goto(f"{site.url}/admin/cases/web-one-1/edit")
    page.click("[data-testid=delete]")
    page.click("[data-testid=confirm]")
    done = page.locator("[data-testid=done]")
    assert done.inner_text().startswith("已删除 1 个案例。")
    done.locator("a").click()
    page.locator("[data-testid=deleted]").wait_for()
    page.locator("[data-testid=restore-link]").first.click()
    page.click("[data-testid=restore]")
    assert page.inner_text("[data-testid=done]").startswith("已恢复")
    assert store.cases.get_record("web-one-1").status == "draft"


def test_restore_an_earlier_version_from_the_history(site, editor_page):
    page = editor_page
    store = site.service.store
    original = store.cases.get("case-0040")
    page.goto(f"{site.url}/admin/cases/case-0040/edit")
    page.fill("input[name=title]", "改错了的标题")
    page.fill("input[name=year]", "2001")
    page.click("[data-testid=save]")
    assert page.inner_text("[data-testid=done]") == "已保存。"
    page.goto(f"{site.url}/admin/cases/case-0040/history")
    entries = page.locator("[data-testid=audit-entry]")
    assert entries.first.locator("[data-testid=current-version]").count() == 1  # the edit just made
    entries.nth(1).locator("[data-testid=restore-link]").click()  # the imported version
    page.wait_for_url(re.compile(r".*/admin/cases/case-0040/restore/\d+"))
    diff = page.locator("[data-testid=restore-diff]")
    assert diff.locator("del", has_text="改错了的").count() == 1
    assert "标题" in diff.inner_text() and "年份" in diff.inner_text()
    assert store.cases.get("case-0040").title == "改错了的标题"  # the preview changed nothing
    assert page.is_checked("[data-testid=then-keep]")  # the status stays unless the editor says otherwise
    page.click("[data-testid=restore]")
    page.wait_for_url(re.compile(r".*/admin/cases/case-0040/edit\?done=restored"))
    assert page.inner_text("[data-testid=done]").startswith("已恢复所选版本")
    record = store.cases.get_record("case-0040")
    assert record.case == original and record.status == "published" and record.updated_by == "editor1"
    assert _engine_current(site)
    last = store.audit.history("case-0040")[-1]
    assert last.action == "restore" and last.after["restored_from"] == store.audit.history("case-0040")[0].id
    page.goto(f"{site.url}/admin/cases/case-0040/history")
    newest = page.locator("[data-testid=audit-entry]").first
    header = newest.locator("header").inner_text()
    assert header.startswith("恢复") and "（恢复 " in header and "的版本）" in header
    assert newest.locator("[data-testid=current-version]").count() == 1
    assert "领域" not in newest.inner_text()  # saving the form did not reorder the ticked 领域


def test_new_admin_pages_run_under_the_policy(browser, site):
    page = login(browser, site, "editor1")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        entry = site.service.store.audit.history("case-0002")[0]
        for path in ("/admin/cases/new", "/admin/cases/case-0002/edit", "/admin/cases/case-0002/history",
                     f"/admin/cases/case-0002/restore/{entry.id}", "/admin/cases/confirm?action=withdraw&ids=case-0002",
                     "/admin/import"):
            response = page.goto(f"{site.url}{path}")
            assert response.status == 200, path
            assert page.evaluate("getComputedStyle(document.querySelector('.subnav')).display") == "flex"
        page.goto(f"{site.url}/admin/cases/new")
        page.click("[data-testid=add-outcome]")  # admin.js runs under script-src 'self'
        assert page.locator("[data-testid=outcome-row]").count() == 4
        assert page.evaluate("getComputedStyle(document.querySelector('.req')).color") == "rgb(166, 27, 27)"
        assert errors == []
    finally:
        page.context.close()
