"""测评 pages in Debian's chromium: the radar chart renders (measured in the browser and kept as a
screenshot), the overview lists warnings by severity, a viewer sees only aggregates of the
person-level pack, and an assessor's bad upload shows every bad cell with nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from web_helpers import PASSWORD, Site, login

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "assessments"
WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.fixture(scope="module")
def loaded(site: Site) -> Site:
    users = site.service.store.users
    if users.by_name("assessor1") is None:
        users.create("assessor1", PASSWORD, "assessor")
    for name in ("health", "capability"):
        site.service.assessments.import_file(name, SAMPLES / f"{name}-sample.xlsx", by="assessor1")
    return site


def test_radar_chart_renders_in_chromium(browser: object, loaded: Site, tmp_path: Path) -> None:
    page = login(browser, loaded, "assessor1", viewport={"width": 1280, "height": 1400})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(WATCH)
    page.goto(f"{loaded.url}/assess/capability/units/P03")
    radar = page.locator("[data-testid=radar] svg.radar")
    radar.wait_for()
    box = radar.bounding_box()
    assert box and box["width"] > 250 and box["height"] > 250
    score = page.locator("svg.radar polygon[data-series=score]").bounding_box()
    required = page.locator("svg.radar polygon[data-series=required]").bounding_box()
    assert score and required and score["width"] > 50 and required["width"] > 50
    labels = page.locator("svg.radar text.lbl").all_text_contents()
    assert labels == ["政治素养", "业务能力", "群众工作", "应急处突", "抓落实", "廉洁自律"]
    assert page.locator("[data-testid=unit-level]").inner_text() == "良好"
    assert page.locator("[data-testid=warning-trace]").count() == 2
    assert page.locator("[data-testid=pres-case]").count() >= 3
    assert "应急处突" in page.locator("[data-testid=training]").inner_text()
    page.screenshot(path=str(tmp_path / "assess-unit.png"), full_page=True)  # docs: scripts/screenshots.py
    page.goto(f"{loaded.url}/assess/health")
    rows = page.locator("[data-testid=warning-row]")
    assert rows.count() >= 3
    assert rows.first.locator(".sev").inner_text() == "红"
    assert page.locator("[data-testid=unit-row] svg.spark").count() == 4
    page.screenshot(path=str(tmp_path / "assess-overview.png"), full_page=True)
    assert page.evaluate("window.__csp || []") == [] and errors == []  # no policy violation, no script error
    page.context.close()


def test_viewer_sees_aggregates_only(browser: object, loaded: Site) -> None:
    page = login(browser, loaded, "viewer1")
    page.goto(f"{loaded.url}/assess/capability")
    assert page.locator("[data-testid=personal-hidden]").is_visible()
    assert page.locator("[data-testid=suppressed]").is_visible()  # 4 people in the sample: under 5
    assert page.locator("[data-testid=unit-row]").count() == 0
    assert "示例干部" not in page.content()
    assert page.locator("[data-testid=import-form]").count() == 0
    resp = page.goto(f"{loaded.url}/assess/capability/units/P01")
    assert resp.status == 403 and "测评员" in page.content()
    page.context.close()


def test_bad_upload_names_every_cell(browser: object, loaded: Site, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("单位编号,单位名称,所属地区,期次," + ",".join(f"H{i:02d}" for i in range(1, 13)) + "\n"
                   "Z1,甲,某区,2025Q7," + ",".join(["100"] * 11) + ",x\n", encoding="utf-8")
    before = len(loaded.service.store.assessments.records("health"))
    page = login(browser, loaded, "assessor1")
    page.goto(f"{loaded.url}/assess/health")
    page.set_input_files("[data-testid=import-form] input[type=file]", str(bad))
    page.click("[data-testid=import-form] button[type=submit]")
    page.locator("[data-testid=import-failed]").wait_for()
    cells = page.locator("[data-testid=cell-errors] tbody tr").all_inner_texts()
    assert len(cells) == 2 and "2025Q7" in cells[0] and "H12" in cells[1]
    assert len(loaded.service.store.assessments.records("health")) == before
    page.context.close()
