"""统计 in a real browser: Beijing-time days, the deduplicated backlog, an editor changing an
item's status, the re-run link and both exports — under the page's Content-Security-Policy."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from openpyxl import load_workbook
from sqlalchemy import update
from web_helpers import login

from zhili.store.schema import query_table

# a governance problem the library has no case for (nonsense would be off-topic, never backlog)
# problems the grown library still has no case for (古井水质 and 烧烤摊, used here before, have
# fitting cases since the library grew, so they no longer reach the no-fit backlog)
MARS = "包工头拖欠农民工工资半年了，能不能帮忙讨薪，联系人手机13812345678"
# run as a script on every page load (a bare "() => {…}" would only define a function, never call it)
WATCH = """window.__csp = [];
  document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective));"""


def _backdate(site, query_id: str, when: datetime) -> None:
    with site.service.store.engine.begin() as conn:
        conn.execute(update(query_table).where(query_table.c.id == query_id).values(created_at=when))


def test_backlog_status_change_rerun_and_export(browser, site):
    service = site.service
    for text in (MARS, MARS.replace("，", " ") + "？", "包工头拖欠农民工工资半年了，能不能帮忙讨薪"):
        service.recommend(text, user="editor1")
    # a no-fit question (焚烧秸秆 has 禁烧 cases since the kinds growth; 高空抛物 has none)
    old_id, _ = service.recommend("楼上邻居高空抛物", user="editor1")
    _backdate(site, old_id, datetime(2026, 1, 1, 17, 30, tzinfo=timezone.utc))  # 01:30 on 2 Jan, Beijing
    page = login(browser, site, "editor1")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.add_init_script(WATCH)
    try:
        page.goto(f"{site.url}/stats?days=365")
        assert "按北京时间的日期汇总" in page.inner_text("main")
        items = page.locator("[data-testid=backlog-item]", has_text="拖欠农民工工资")
        assert items.count() == 1  # three askings, one question
        row = items.first
        assert row.locator("td.num").inner_text() == "3"
        assert "13812345678" not in row.inner_text()
        href = row.locator("[data-testid=rerun]").get_attribute("href")
        assert href.startswith("/?q=") and "%E8%AE%A8%E8%96%AA" in href  # 讨薪, url-encoded
        # the backdated query: on the local day in the chart and in the backlog alike, not on the UTC day
        days = page.locator("svg.chart").first.locator("circle[data-day]").evaluate_all(
            "els => els.map(e => e.dataset.day)")
        assert "2026-01-02" in days and "2026-01-01" not in days
        moon = page.locator("[data-testid=backlog-item]", has_text="高空抛物")
        assert "2026-01-02 01:30" in moon.inner_text()

        with page.expect_download() as xlsx_info:
            page.click("[data-testid=export-xlsx]")
        assert xlsx_info.value.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(open(xlsx_info.value.path(), "rb").read())).active
        rows = [[c.value for c in r] for r in sheet.iter_rows(values_only=False)]
        assert rows[0][0] == "问题（已脱敏）" and any("拖欠农民工工资" in (r[0] or "") and r[1] == 3 for r in rows[1:])
        with page.expect_download() as csv_info:
            page.click("[data-testid=export-csv]")
        raw = open(csv_info.value.path(), "rb").read()
        assert raw.startswith(b"\xef\xbb\xbf") and csv_info.value.suggested_filename.endswith(".csv")
        assert any("拖欠农民工工资" in r[0] for r in csv.reader(io.StringIO(raw.decode("utf-8-sig"))))

        key = row.get_attribute("data-key")
        row.get_by_role("button", name="标为已补充").click()
        page.wait_for_url("**/stats?days=365&backlog=open#backlog")
        assert page.locator(f"[data-key='{key}']").count() == 0  # gone from 待收集
        assert "已补充 1" in page.locator("[data-testid=view-added]").inner_text()
        page.click("[data-testid=view-added]")
        done = page.locator(f"[data-key='{key}']")
        assert done.locator("[data-testid=backlog-status]").inner_text() == "已补充"
        assert "editor1" in done.inner_text()
        item = next(i for i in service.store.queries.backlog(365, "added") if i.key == key)
        assert (item.stored_status, item.status_by) == ("added", "editor1")
        with page.expect_navigation():  # back to the same view (already its URL): wait for the new page
            done.get_by_role("button", name="标为不处理").click()
        assert page.locator(f"[data-key='{key}']").count() == 0
        assert service.store.queries.backlog_counts(365)["dropped"] >= 1
        assert page.evaluate("window.__csp") == [] and errors == []
    finally:
        page.context.close()


def test_a_viewer_can_neither_see_nor_change_the_backlog(site, viewer_page):
    page = viewer_page
    assert page.goto(f"{site.url}/stats").status == 403
    assert page.goto(f"{site.url}/stats/backlog.csv").status == 403
    refused = page.request.post(f"{site.url}/stats/backlog", form={"key": "0" * 32, "status": "added"})
    assert refused.status == 403
