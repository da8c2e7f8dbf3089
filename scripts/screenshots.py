"""Write PNG screenshots of the main web pages to docs/screenshots/ (desktop 1366×768 + a 390×844 phone).

Runs the real app on a temporary workspace (bundled library, SQLite), signs in as an editor,
asks a few questions so the statistics have data, and photographs each page with Debian's
chromium. Usage: .venv/bin/python scripts/screenshots.py [OUT_DIR] [--only rules]
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "Screenshot-2026"
PROBLEM = "老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果"
NEAR_MISS = "早上六点多路灯就关了，孩子上学路上一片漆黑，能不能晚点关灯"  # cases on broken lights, not switch-off times
OTHERS = ["小区物业跑路了，垃圾没人清，找谁？", "村里天价彩礼问题突出，怎么移风易俗", "外卖骑手进小区难，和保安经常起冲突",
          "村里古井的水质发黄，能不能请人来检测"]


def _serve(home: Path) -> tuple[str, object, object]:
    import uvicorn

    from zhili.app import create_app
    from zhili.service import Service

    service = Service.open(f"sqlite:///{home / 'zhili.db'}")
    service.store.users.create("wangli", PASSWORD, "editor")
    for text in OTHERS:
        service.recommend(text, user="wangli")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, service


def _shoot(page, out: Path, name: str, full: bool = True) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def _login(browser, url: str, user: str = "wangli", **ctx):
    page = browser.new_context(locale="zh-CN", **ctx).new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def _assess_shots(browser, url: str, out: Path, service) -> None:
    """测评 with the shipped sample workbooks: one unit's radar and prescriptions, the overview."""
    service.store.users.create("zhaomin", PASSWORD, "assessor")
    for name in ("health", "capability"):
        service.assessments.import_file(name, ROOT / "examples" / "assessments" / f"{name}-sample.xlsx", by="zhaomin")
    page = _login(browser, url, "zhaomin", viewport={"width": 1280, "height": 1400})
    page.goto(f"{url}/assess/capability/units/P03")
    page.locator("[data-testid=radar] svg.radar").wait_for()
    _shoot(page, out, "assess-unit")
    page.goto(f"{url}/assess/health")
    page.locator("[data-testid=warning-row]").first.wait_for()
    _shoot(page, out, "assess-overview")
    page.context.close()


def _search(page, text: str) -> None:
    page.fill("textarea[name=q]", text)
    page.click("[data-testid=search]")
    page.wait_for_url("**/?q=*")  # the results page (an off-topic answer has no analysis block)
    page.wait_for_load_state()


def _bad_workbook(home: Path) -> Path:
    """Three rows, two of them wrong, as an editor's spreadsheet might be."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "案例"
    ws.append(["编号", "标题", "省份", "层级", "年份", "问题", "做法", "领域"])
    ws.append(["zj-2025-01", "红白理事会管住大操大办", "浙江", "村社区", 2024, "人情负担重", "村规民约约定标准", "移风易俗"])
    ws.append(["zj-2025-02", "", "浙江", "村级", "二〇二四", "彩礼攀比", "党员带头", "移风易俗"])
    ws.append(["zj-2025-03", "网格员上门调解", "浙江", "村社区", 2023, "邻里纠纷", "网格化调解", "邻里关系"])
    path = home / "待导入案例.xlsx"
    wb.save(path)
    return path


def _admin_shots(browser, url: str, out: Path, service) -> None:
    """案例库管理 after issue 10: the new-case form (proposed id, required marks, 成效 rows), the
    import page with its template, bulk publish's confirmation, restoring a version, the phone form."""
    # two real bundled cases withdrawn, to be published again in bulk (no invented cases)
    service.store.cases.set_status_many(["case-0002", "case-0003"], "draft", "wangli")
    page = _login(browser, url, viewport={"width": 1366, "height": 768})
    page.goto(f"{url}/admin/cases/new")
    page.fill("input[name=title]", "社区“议事厅”推动加装电梯")
    rows = page.locator("[data-testid=outcome-row]")
    for i, (metric, value, unit, text) in enumerate([("加装电梯", "12", "部", "一年内完成12部电梯加装"),
                                                     ("居民满意率", "95", "%", "")]):
        rows.nth(i).locator("input[name=outcome_metric]").fill(metric)
        rows.nth(i).locator("input[name=outcome_value]").fill(value)
        rows.nth(i).locator("input[name=outcome_unit]").fill(unit)
        rows.nth(i).locator("textarea[name=outcome_text]").fill(text)
    page.fill("textarea[name=mechanisms]", "楼道议事会、费用分摊")
    _shoot(page, out, "admin-new-case")
    page.goto(f"{url}/admin/cases?status=draft")
    page.check("[data-select-all]")
    _shoot(page, out, "admin-cases-selected", full=False)
    page.click("[data-testid=bulk-publish]")
    page.wait_for_selector("[data-testid=confirm-list]")
    _shoot(page, out, "admin-bulk-confirm", full=False)
    page.click("[data-testid=confirm]")
    page.wait_for_selector("[data-testid=done]")
    _shoot(page, out, "admin-bulk-done", full=False)
    page.goto(f"{url}/admin/cases/case-0034/history")
    page.locator("[data-testid=restore-link]").first.click()
    page.wait_for_selector("[data-testid=restore-diff]")
    _shoot(page, out, "admin-restore", full=False)
    page.goto(f"{url}/admin/import")
    _shoot(page, out, "admin-import", full=False)
    page.goto(f"{url}/admin/cases/case-0001/edit")
    _shoot(page, out, "admin-edit")
    page.locator("[data-testid=unpublish]").click()
    page.wait_for_selector("[data-testid=confirm-list]")
    _shoot(page, out, "admin-withdraw-confirm", full=False)
    page.context.close()
    phone = _login(browser, url, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
                   device_scale_factor=2)
    phone.goto(f"{url}/admin/cases/case-0001/edit")
    phone.locator("[data-testid=outcomes]").scroll_into_view_if_needed()
    _shoot(phone, out, "phone-admin-edit", full=False)
    phone.context.close()


def _bad_rules_workbook(home: Path, url: str, page) -> Path:
    """The rules exported as Excel with one condition broken, as an editor's edit might be."""
    import io

    from openpyxl import load_workbook

    data = page.request.get(f"{url}/api/v1/rules/export").body()
    wb = load_workbook(io.BytesIO(data))
    ws = wb["权责清单-牵头与配合"]
    ws["E3"] = 'contains($, "物业'
    path = home / "规则-有错误.xlsx"
    wb.save(path)
    return path


def _rules_shots(browser, url: str, out: Path, home: Path) -> None:
    """规则编辑 (issue 13): the grid with a lint error, 试运行, impact replay, an Excel import's
    per-cell report, and the phone's card layout."""
    page = _login(browser, url, viewport={"width": 1366, "height": 768})
    page.goto(f"{url}/admin/rules")
    page.wait_for_selector("[data-testid=rule-grid]")
    page.click("[data-testid=new-draft]")
    page.wait_for_selector("[data-testid=save]:visible")
    page.click("[data-testid=table-routing]")
    cell = page.locator('[data-cell="1:in_focus"] textarea')
    original = cell.input_value()
    cell.fill(original + ', "征地')  # an unclosed quote, as a typing slip leaves it
    page.wait_for_selector('[data-cell="1:in_focus"].has-error')
    _shoot(page, out, "rules-editor", full=False)
    cell.fill(original)
    page.wait_for_selector("[data-testid=lint-state].good")
    page.fill("[data-testid=try-text]", "小区楼下烧烤店油烟噪音扰民，晚上睡不着")
    page.click("[data-testid=try]")
    page.wait_for_selector("[data-testid=try-lead]")
    page.locator("[data-testid=try-result]").scroll_into_view_if_needed()
    _shoot(page, out, "rules-try", full=False)
    page.locator("[data-src=recent]").uncheck()
    page.locator('[data-cell="0:out_lead"] textarea').fill('"县农业农村局"')
    page.click("[data-testid=save]")
    page.wait_for_selector('[data-testid=flash]:has-text("草稿已保存")')
    page.click("[data-testid=replay]")
    page.wait_for_selector("[data-testid=replay-summary]", timeout=120_000)
    page.locator("[data-testid=replay-result]").scroll_into_view_if_needed()
    _shoot(page, out, "rules-replay", full=False)
    page.set_input_files("[data-testid=import]", str(_bad_rules_workbook(home, url, page)))
    page.wait_for_selector("[data-testid=import-problems]")
    page.locator("[data-testid=import-problems]").scroll_into_view_if_needed()
    _shoot(page, out, "rules-import-errors", full=False)
    page.context.close()
    phone = _login(browser, url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                   device_scale_factor=2)
    phone.goto(f"{url}/admin/rules")
    phone.wait_for_selector("[data-testid=rule-grid]")
    phone.click("[data-testid=table-routing]")
    phone.locator("[data-testid=table-title]").scroll_into_view_if_needed()
    _shoot(phone, out, "phone-rules", full=False)
    phone.context.close()


def main(out: Path, only: str = "") -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="zhili-shots-"))
    os.environ["ZHILI_HOME"] = str(home)
    os.environ.pop("ZHILI_DB_URL", None)
    url, server, service = _serve(home)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            if only == "rules":
                _rules_shots(browser, url, out, home)
                return
            desk = {"viewport": {"width": 1366, "height": 768}}
            page = browser.new_context(locale="zh-CN", **desk).new_page()
            page.goto(f"{url}/login")
            _shoot(page, out, "login", full=False)
            page.context.close()

            page = _login(browser, url, **desk)
            _shoot(page, out, "search-empty", full=False)
            _search(page, PROBLEM)
            _shoot(page, out, "search-results")
            _shoot(page, out, "search-results-top", full=False)
            first = page.locator("[data-testid=result]").first
            first.locator("[data-testid=why] summary").click()
            first.locator("[data-testid=star]").click()
            first.locator("[data-testid=star].on").wait_for()
            page.click("[data-testid=analysis-summary]")
            _shoot(page, out, "search-results-open")
            page.locator("[data-testid=result] h3 a").nth(1).click()
            page.wait_for_selector("[data-testid=case-detail]")
            _shoot(page, out, "case-detail")
            page.goto(f"{url}/")
            _search(page, OTHERS[-1])
            _shoot(page, out, "search-no-fit", full=False)
            page.goto(f"{url}/")
            _search(page, NEAR_MISS)
            _shoot(page, out, "search-caution", full=False)
            page.goto(f"{url}/")
            _search(page, "今天天气不错我想吃火锅")
            _shoot(page, out, "search-off-topic", full=False)
            page.goto(f"{url}/?q=加装电梯&province=西藏&domain=加装电梯")
            _shoot(page, out, "search-zero", full=False)
            page.goto(f"{url}/my/queries")
            _shoot(page, out, "my-queries", full=False)
            page.goto(f"{url}/my/favorites")
            _shoot(page, out, "my-favorites", full=False)
            page.goto(f"{url}/admin/cases")
            _shoot(page, out, "admin-cases", full=False)
            page.goto(f"{url}/admin/cases/case-0034/edit")
            page.fill("input[name=title]", "无锡惠山区玉祁街道松涛苑安置房“加梯议事会”（修订）")
            page.click("[data-testid=save]")
            page.goto(f"{url}/admin/cases/case-0034/history")
            _shoot(page, out, "admin-history", full=False)
            page.goto(f"{url}/admin/import")
            page.set_input_files("[data-testid=import-file]", str(_bad_workbook(home)))
            page.click("[data-testid=import-check]")
            page.wait_for_selector("[data-testid=import-errors]")
            _shoot(page, out, "admin-import-errors", full=False)
            page.goto(f"{url}/stats")
            _shoot(page, out, "stats")
            page.context.close()
            _admin_shots(browser, url, out, service)
            _assess_shots(browser, url, out, service)

            phone = _login(browser, url, viewport={"width": 390, "height": 844}, is_mobile=True,
                           has_touch=True, device_scale_factor=2)
            _shoot(phone, out, "phone-search", full=False)
            _search(phone, PROBLEM)
            _shoot(phone, out, "phone-search-results", full=False)  # the first case on the first screen
            card = phone.locator("[data-testid=result]").first
            card.locator("[data-more]").click()
            card.locator("[data-testid=why] summary").click()
            card.scroll_into_view_if_needed()
            _shoot(phone, out, "phone-result-open", full=False)
            phone.goto(f"{url}/my/queries")
            _shoot(phone, out, "phone-my-queries", full=False)
            phone.context.close()
            _rules_shots(browser, url, out, home)
            browser.close()
    finally:
        server.should_exit = True
        service.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a not in ("--only", "rules")]
    main(Path(args[0]) if args else ROOT / "docs" / "screenshots", "rules" if "--only" in sys.argv else "")
