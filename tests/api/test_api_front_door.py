"""Issue 10, one front door: the use cases the pages had and the API lacked (bulk publish /
withdraw / delete, restore a version, the 决策参考, the deduplicated backlog and its export) are
the same `zhili.usecases` calls behind both; and the drift that was a bug is gone (an untouched
published case saved under four eyes stays published, as on the pages)."""

from __future__ import annotations

import io
import json

from api_helpers import Api, error_of, new_case
from docx import Document
from openpyxl import load_workbook
from test_api_review import _review

CASES = "/api/v1/cases"


def _create(api: Api, title: str, status: str = "published") -> str:
    resp = api.client.post(f"{CASES}?status={status}", json=new_case(title), headers=api.auth("admin"))
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_bulk_dry_run_then_withdraw_and_delete(api: Api) -> None:
    c, editor = api.client, api.auth("editor")
    a, b = _create(api, "批量撤回甲"), _create(api, "批量撤回乙")
    plan = c.post(f"{CASES}/bulk", json={"action": "withdraw", "ids": [a, b, "no-such-case"], "dry_run": True},
                  headers=editor).json()
    assert [(i["id"], i["will"], i["why"]) for i in plan["items"]] == [(a, True, None), (b, True, None),
                                                                        ("no-such-case", False, "missing")]
    assert api.service.store.cases.get_record(a).status == "published"  # a dry run changes nothing
    done = c.post(f"{CASES}/bulk", json={"action": "withdraw", "ids": [a, b]}, headers=editor).json()
    assert done["changed"] == [a, b] and done["missing"] == []
    assert a not in api.service.store.cases.published_hashes()
    assert api.service.state.revision == api.service.store.cases.revision()  # the engine follows
    again = c.post(f"{CASES}/bulk", json={"action": "withdraw", "ids": [a]}, headers=editor).json()
    assert again["changed"] == [] and again["same"] == 1
    gone = c.post(f"{CASES}/bulk", json={"action": "delete", "ids": [a, b]}, headers=editor).json()
    assert gone["changed"] == [a, b] and api.service.store.cases.get_record(a) is None


def test_bulk_refuses_viewers_and_bad_bodies(api: Api) -> None:
    c = api.client
    error_of(c.post(f"{CASES}/bulk", json={"action": "delete", "ids": ["case-0001"]}, headers=api.auth("viewer")), 403)
    error_of(c.post(f"{CASES}/bulk", json={"action": "delete", "ids": ["case-0001"]}), 401)
    error_of(c.post(f"{CASES}/bulk", json={"action": "burn", "ids": ["case-0001"]}, headers=api.auth("editor")), 422)
    error_of(c.post(f"{CASES}/bulk", json={"action": "publish", "ids": []}, headers=api.auth("editor")), 422)


def test_bulk_publish_under_four_eyes_skips_own_drafts(api: Api) -> None:
    c, editor = api.client, api.auth("editor")
    with _review(api):
        mine = c.post(CASES, json=new_case("四眼批量发布"), headers=editor).json()["id"]
        done = c.post(f"{CASES}/bulk", json={"action": "publish", "ids": [mine]}, headers=editor).json()
        assert done["changed"] == [] and done["skipped_review"] == 1
        assert api.service.store.cases.get_record(mine).status == "draft"


def test_restore_a_version_through_the_api(api: Api) -> None:
    c, editor = api.client, api.auth("editor")
    cid = _create(api, "恢复版本原标题")
    body = c.get(f"{CASES}/{cid}", headers=editor).json()
    fields = {k: body[k] for k in new_case("x") if k in body}
    assert c.put(f"{CASES}/{cid}", json=fields | {"title": "恢复版本新标题"}, headers=editor).status_code == 200
    entries = c.get(f"{CASES}/{cid}/history", headers=editor).json()["entries"]
    create = next(e for e in entries if e["action"] == "create")
    restored = c.post(f"{CASES}/{cid}/restore/{create['id']}", headers=editor)
    assert restored.status_code == 200 and restored.json()["title"] == "恢复版本原标题"
    assert restored.json()["status"] == "published"  # "keep" keeps the status
    error_of(c.post(f"{CASES}/{cid}/restore/{2**31 - 1}", headers=editor), 404, "entry_id", "version_not_found")
    with _review(api):  # four eyes: an editor's restore cannot publish
        error_of(c.post(f"{CASES}/{cid}/restore/{create['id']}?then=published", headers=editor), 403,
                 "status", "review_required")


def test_saving_an_untouched_published_case_under_four_eyes_keeps_it_published(api: Api) -> None:
    c, editor = api.client, api.auth("editor")
    cid = _create(api, "四眼未改动保存")
    body = c.get(f"{CASES}/{cid}", headers=editor).json()
    fields = {k: body[k] for k in new_case("x") if k in body}
    with _review(api):
        same = c.put(f"{CASES}/{cid}", json=fields, headers=editor)
        assert same.status_code == 200 and same.json()["status"] == "published"
        changed = c.put(f"{CASES}/{cid}", json=fields | {"title": "四眼改动后保存"}, headers=editor)
        assert changed.json()["status"] == "draft"  # a real change waits for review


def test_brief_over_the_api_is_the_pages_brief(api: Api) -> None:
    resp = api.client.post("/api/v1/brief", json={"text": "老旧小区加装电梯，一楼住户反对", "top": 3},
                           headers=api.auth("viewer"))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml")
    text = "\n".join(p.text for p in Document(io.BytesIO(resp.content)).paragraphs)
    assert "决策参考" in text and "电梯" in text
    html = api.client.post("/api/v1/brief", json={"text": "老旧小区加装电梯", "format": "html"},
                           headers=api.auth("viewer"))
    assert html.status_code == 200 and "决策参考" in html.text
    error_of(api.client.post("/api/v1/brief", json={"text": "电梯", "format": "pdf"}, headers=api.auth("viewer")), 422)


def test_stats_backlog_is_deduplicated_markable_and_exportable(api: Api) -> None:
    c, viewer, editor = api.client, api.auth("viewer"), api.auth("editor")
    question = "我们村里的古戏台年久失修，想请非遗传承人来修，钱从哪里来"
    for _ in range(2):  # nothing in the library is about this (if that changes, pick another question)
        assert c.post("/api/v1/recommend", json={"text": question}, headers=viewer).json()["verdict"] == "no_fit"
    stats = c.get("/api/v1/stats?backlog=all", headers=viewer).json()
    assert {"queries", "feedback", "backlog", "backlog_counts", "library"} <= set(stats)
    same = [b for b in stats["backlog"] if b["text"] == question]
    assert len(same) == 1 and same[0]["count"] >= 2 and same[0]["rerun"].startswith("/?q=")
    key = same[0]["key"]
    error_of(c.put(f"/api/v1/stats/backlog/{key}", json={"status": "added"}, headers=viewer), 403)
    marked = c.put(f"/api/v1/stats/backlog/{key}", json={"status": "added"}, headers=editor)
    assert marked.status_code == 200
    error_of(c.put("/api/v1/stats/backlog/not-a-key", json={"status": "added"}, headers=editor), 422, "key")
    xlsx = c.get("/api/v1/stats/backlog.xlsx?backlog=added", headers=editor)
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "问题（已脱敏）" and any(r[0] == question for r in rows[1:])
    csv = c.get("/api/v1/stats/backlog.csv?backlog=added", headers=editor)
    assert csv.content.startswith(b"\xef\xbb\xbf") and question in csv.content.decode("utf-8-sig")


def test_import_refuses_the_templates_example_row_like_the_page(api: Api, tmp_path) -> None:
    from zhili.cases.io import EXAMPLE_MARK

    row = new_case(f"{EXAMPLE_MARK}示例标题")
    data = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
    before = api.service.store.cases.revision()
    resp = api.client.post(f"{CASES}/import", files={"file": ("t.jsonl", data, "application/x-ndjson")},
                           headers=api.auth("editor"))
    err = error_of(resp, 422, "file", "invalid_file")
    assert "示例行" in err["rows"][0]["message"] and api.service.store.cases.revision() == before
