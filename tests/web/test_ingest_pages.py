"""Issue 11 in a real browser: upload a Word compilation on 导入文档, review a draft on 待审核
(source text with highlighted spans beside the fields), edit one field, publish the batch, then
find the published case by search and open its source document from the case page."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from make_docs import compilation_docx, library_cases  # noqa: E402

CASES = library_cases(2)


def test_upload_review_edit_publish_and_search(site, editor_page, tmp_path):
    site.service.store.cases.delete([c["id"] for c in CASES], user="setup")  # new to this library
    path = tmp_path / "典型案例选编.docx"
    path.write_bytes(compilation_docx(CASES))
    page = editor_page
    page.goto(f"{site.url}/admin/ingest")
    page.set_input_files("[data-testid=ingest-files]", str(path))
    page.fill("input[name=batch]", "浏览器测试批次")
    page.click("[data-testid=ingest-submit]")
    page.wait_for_url("**/admin/ingest/*")
    drafts = page.locator("[data-testid=draft]")
    assert drafts.count() == 2
    first = drafts.nth(0)
    assert first.locator("[data-testid=f-title]").input_value() == CASES[0]["title"]
    marks = first.locator("[data-testid=source-text] mark")
    assert marks.count() >= 3 and "标题" in (marks.first.get_attribute("title") or "")
    # publishing now is refused: nothing is reviewed yet (and a compilation names no source)
    page.click("[data-testid=publish-batch]")
    assert "未审核" in page.inner_text("[data-testid=review-error]")
    assert "来源" in page.locator("[data-testid=missing]").first.inner_text()
    # the reviewer edits one field of each draft (来源) and confirms it
    for i in range(2):
        d = page.locator("[data-testid=draft]").nth(i)
        d.locator("[data-testid=f-source-title]").fill("基层治理典型案例选编（浏览器测试）")
        d.locator("[data-testid=accept]").click()
        page.wait_for_selector("[data-testid=review-done]")
    page.click("[data-testid=publish-batch]")
    assert "已发布 2 个案例" in page.inner_text("[data-testid=review-done]")
    case_id = page.locator("[data-testid=draft]").nth(0).get_attribute("data-case-id")
    record = site.service.store.cases.get_record(case_id)
    assert record.status == "published" and record.case.source.title == "基层治理典型案例选编（浏览器测试）"
    assert [e.action for e in site.service.store.audit.history(case_id)][-3:] == ["update", "review_accepted", "status"]
    page.goto(f"{site.url}/?q={quote(CASES[0]['problem'][:60])}")
    found = [page.locator("[data-testid=result]").nth(i).get_attribute("data-case")
             for i in range(page.locator("[data-testid=result]").count())]
    assert case_id in found
    page.goto(f"{site.url}/cases/{case_id}")
    link = page.locator("[data-testid=source-document] a")
    assert link.inner_text() == "典型案例选编.docx"
    with page.expect_download() as dl:
        link.click()
    assert Path(dl.value.path()).read_bytes() == path.read_bytes()


def test_each_file_shows_its_progress_and_a_bad_one_stops_the_batch(site, editor_page, tmp_path):
    good = tmp_path / "选编.docx"
    good.write_bytes(compilation_docx(library_cases(3)[2:]))
    bad = tmp_path / "旧材料.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    batches = len(site.service.store.ingest.batches())
    page = editor_page
    page.goto(f"{site.url}/admin/ingest")
    page.set_input_files("[data-testid=ingest-files]", [str(good), str(bad)])
    page.click("[data-testid=ingest-submit]")
    items = page.locator("[data-testid=ingest-progress-item]")
    page.wait_for_selector("[data-testid=ingest-progress] li.bad >> nth=1")
    assert "识别出 1 个案例" in items.nth(0).inner_text()
    assert "旧材料.doc" in items.nth(1).inner_text() and "另存为" in items.nth(1).inner_text()
    assert "没有导入任何内容" in page.inner_text("[data-testid=ingest-progress]")
    assert len(site.service.store.ingest.batches()) == batches and page.url.endswith("/admin/ingest")
