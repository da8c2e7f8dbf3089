"""Issue 13 over HTTP: rule drafts (edit, lint, 试运行, replay), publishing with checks and an
optional second approver, restoring, the Excel round-trip — and who may do which (401/403)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from api_helpers import PASSWORD, Api, error_of, make_api

R = "/api/v1/rules"
WORD = "测试专用词乙"
TEXT = f"{WORD}：小区里的公共设施坏了没人修"
LEAD = "测试牵头单位乙"


@pytest.fixture(scope="module")
def rapi(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """An app of its own: publishing rules here must not change what the shared app serves."""
    home = tmp_path_factory.mktemp("rules-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    gen = make_api(module_db_url, home)
    api = next(gen)
    users = api.service.store.users
    user = users.by_name("editor2") or users.create("editor2", PASSWORD, "editor")
    api.tokens["editor2"] = users.issue_token(user.id, "second")
    try:
        yield api
    finally:
        gen.close()
        mp.undo()


def _lead(api: Api, text: str = TEXT) -> str:
    body = api.client.post("/api/v1/recommend", json={"text": text}).json()
    return body["routing"]["lead"]


def _new_draft(api: Api, role: str = "editor") -> dict:
    resp = api.client.post(f"{R}/drafts", json={"note": "测试"}, headers=api.auth(role))
    assert resp.status_code == 201, resp.text
    return resp.json()


def _routing(draft: dict) -> tuple[dict, dict]:
    pack = next(p for p in draft["packs"] if p["id"] == "02-routing")
    return pack, next(t for t in pack["tables"] if t["id"] == "routing")


def _word_row(table: dict, focus: str = f'contains($, "{WORD}")') -> dict:
    cells = {c["id"]: "" for c in table["inputs"] + table["outputs"]}
    lead = next(c["id"] for c in table["outputs"] if c["field"] == "routing.lead")
    focus_col = next(c["id"] for c in table["inputs"] if c["field"] == "focus_text")
    cells.update({focus_col: focus, lead: f'"{LEAD}"'})
    return {"_id": "测试行", "_description": "测试", "cells": cells}


def test_viewer_and_anonymous_can_neither_edit_nor_publish(rapi: Api) -> None:
    c = rapi.client
    writes = [("post", f"{R}/drafts", {}), ("put", f"{R}/drafts/1", {"tables": []}), ("delete", f"{R}/drafts/1", None),
              ("post", f"{R}/drafts/1/publish", {}), ("post", f"{R}/drafts/1/submit", {}),
              ("post", f"{R}/drafts/1/approve", {}), ("post", f"{R}/versions/1/restore", {}),
              ("post", f"{R}/lint", {"pack": "02-routing"}), ("post", f"{R}/try", {"text": "加装电梯"}),
              ("post", f"{R}/drafts/1/replay", {}), ("get", f"{R}/drafts", None), ("get", f"{R}/drafts/1", None)]
    for method, path, body in writes:
        kw = {} if body is None else {"json": body}
        error_of(getattr(c, method)(path, **kw), 401)
        error_of(getattr(c, method)(path, headers=rapi.auth("viewer"), **kw), 403)
    files = {"file": ("r.xlsx", b"PK", "application/octet-stream")}
    error_of(c.post(f"{R}/import", files=files), 401)
    error_of(c.post(f"{R}/import", files=files, headers=rapi.auth("viewer")), 403)
    error_of(c.get(f"{R}/tables"), 401)
    assert c.get(f"{R}/tables", headers=rapi.auth("viewer")).status_code == 200
    assert c.get(f"{R}/versions", headers=rapi.auth("viewer")).status_code == 200
    session, csrf = rapi.session("editor")
    error_of(session.post(f"{R}/drafts", json={}), 403)  # a browser session needs its CSRF token
    assert session.post(f"{R}/drafts", json={}, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert rapi.service.store.rule_versions.list() == []


def test_edit_lint_try_replay_publish_and_restore(rapi: Api) -> None:
    c, ed, ed2 = rapi.client, rapi.auth("editor"), rapi.auth("editor2")
    before = _lead(rapi)
    assert before != LEAD
    draft = _new_draft(rapi)
    assert draft["owner"] == "editor" and draft["status"] == "editing" and draft["revision"] == 1
    pack, table = _routing(draft)
    assert "牵头单位" in [col["name"] for col in table["outputs"]]  # Chinese column names

    bad = [_word_row(table, 'contains($, "测试'), *table["rows"]]
    lint = c.post(f"{R}/lint", params={"draft": draft["id"]}, json={"pack": "02-routing", "table": "routing", "rows": bad},
                  headers=ed).json()
    focus = next(col["id"] for col in table["inputs"] if col["field"] == "focus_text")
    assert not lint["ok"] and any(p["rows"] == [0] and p["column"] == focus and "无法解析" in p["message"]
                                  for p in lint["problems"])

    rows = [_word_row(table), *table["rows"]]
    edit = {"revision": 1, "tables": [{"pack": "02-routing", "table": "routing", "rows": rows}]}
    error_of(c.put(f"{R}/drafts/{draft['id']}", json=edit, headers=ed2), 403, code="not_owner")
    saved = c.put(f"{R}/drafts/{draft['id']}", json=edit, headers=ed)
    assert saved.status_code == 200 and saved.json()["revision"] == 2
    error_of(c.put(f"{R}/drafts/{draft['id']}", json=edit, headers=ed), 409, code="conflict")  # stale revision
    error_of(c.put(f"{R}/drafts/{draft['id']}", json={"tables": [{"pack": "02-routing", "table": "routing",
                                                                   "rows": [{"cells": {"nope": ""}}]}]}, headers=ed),
             422, code="invalid_edit")

    tried = c.post(f"{R}/try", json={"text": TEXT, "draft": draft["id"]}, headers=ed).json()
    assert tried["routing"]["lead"] == LEAD and any(t["row_id"] == "测试行" for t in tried["rule_trace"])
    assert tried["results"]  # the draft answers with cases too
    assert _lead(rapi) == before  # nothing serves from a draft

    replay = c.post(f"{R}/drafts/{draft['id']}/replay", headers=ed,
                    json={"sources": ["upload", "examples"], "queries": f"{TEXT}\n小区加装电梯，一楼反对\n"}).json()
    mine = [q for q in replay["queries"] if q["source"] == "upload"]
    assert [q["routing_changed"] for q in mine] == [True, False]
    assert mine[0]["new"]["routing"]["lead"] == LEAD and replay["with_engine"] and replay["top_k"] == 10
    assert replay["summary"]["routing_changed"] >= 1 and replay["summary"]["queries"] > 2
    error_of(c.post(f"{R}/drafts/{draft['id']}/replay", headers=ed, json={"sources": ["upload"]}), 422)

    published = c.post(f"{R}/drafts/{draft['id']}/publish", json={"note": "测试发布", "revision": 2}, headers=ed)
    assert published.status_code == 201, published.text
    version = published.json()
    assert (version["user"], version["note"], version["origin"], version["draft_id"]) == ("editor", "测试发布", "product", draft["id"])
    assert _lead(rapi) == LEAD  # the service switched at once
    versions = c.get(f"{R}/versions", headers=rapi.auth("viewer")).json()
    assert [v["origin"] for v in versions[:2]] == ["product", "folder"]  # the folder kept for rolling back
    assert c.get(f"{R}/drafts/{draft['id']}", headers=ed).json()["status"] == "published"
    error_of(c.post(f"{R}/drafts/{draft['id']}/publish", json={}, headers=ed), 409)

    restored = c.post(f"{R}/versions/{versions[1]['id']}/restore", json={"note": "回退"}, headers=ed2)
    assert restored.status_code == 201 and restored.json()["restored_from"] == versions[1]["id"]
    assert _lead(rapi) == before
    actions = [e.action for e in rapi.service.store.audit.recent(50, kind="rules")]
    assert {"draft_create", "draft_save", "draft_publish", "rules_record", "rules_publish", "rules_restore"} <= set(actions)
    error_of(c.post(f"{R}/versions/99999/restore", json={}, headers=ed), 404)


def test_a_failing_publish_changes_nothing(rapi: Api) -> None:
    c, ed = rapi.client, rapi.auth("editor")
    serving = rapi.service.engine().rules.fingerprint
    n_versions = len(rapi.service.store.rule_versions.list())
    draft = _new_draft(rapi)
    _, table = _routing(draft)
    broken = [_word_row(table, 'contains($, "测试'), *table["rows"]]
    c.put(f"{R}/drafts/{draft['id']}", json={"tables": [{"pack": "02-routing", "table": "routing", "rows": broken}]},
          headers=ed)
    err = error_of(c.post(f"{R}/drafts/{draft['id']}/publish", json={}, headers=ed), 422, code="rules_invalid")
    assert err["problems"]
    # an empty routing table checks clean but fails the packs' examples
    c.put(f"{R}/drafts/{draft['id']}", json={"tables": [{"pack": "02-routing", "table": "routing", "rows": []}]},
          headers=ed)
    err = error_of(c.post(f"{R}/drafts/{draft['id']}/publish", json={}, headers=ed), 422, code="examples_failed")
    assert err["examples"]["failed"] > 0
    assert rapi.service.engine().rules.fingerprint == serving
    assert len(rapi.service.store.rule_versions.list()) == n_versions
    assert c.delete(f"{R}/drafts/{draft['id']}", headers=ed).json()["status"] == "discarded"


def test_a_second_person_must_approve_when_the_setting_is_on(rapi: Api) -> None:
    c, ed, ed2 = rapi.client, rapi.auth("editor"), rapi.auth("editor2")
    settings = c.app.state.settings
    settings.rules_require_approval = True
    try:
        draft = _new_draft(rapi)
        _, table = _routing(draft)
        c.put(f"{R}/drafts/{draft['id']}", headers=ed,
              json={"tables": [{"pack": "02-routing", "table": "routing", "rows": [_word_row(table), *table["rows"]]}]})
        error_of(c.post(f"{R}/drafts/{draft['id']}/publish", json={}, headers=ed), 403, code="review_required")
        error_of(c.post(f"{R}/drafts/{draft['id']}/publish", json={}, headers=ed2), 409)  # not submitted yet
        assert c.post(f"{R}/drafts/{draft['id']}/submit", json={"note": "请审核"}, headers=ed).json()["status"] == "submitted"
        error_of(c.post(f"{R}/drafts/{draft['id']}/approve", json={}, headers=ed), 403, code="review_required")
        listed = c.get(f"{R}/drafts", headers=ed2).json()
        assert any(d["id"] == draft["id"] and d["status"] == "submitted" for d in listed)  # waiting for review
        approved = c.post(f"{R}/drafts/{draft['id']}/approve", json={"revision": 2}, headers=ed2).json()
        assert (approved["status"], approved["approved_by"]) == ("approved", "editor2")
        version = c.post(f"{R}/drafts/{draft['id']}/publish", json={"note": "审核后发布"}, headers=ed)
        assert version.status_code == 201 and version.json()["approved_by"] == "editor2"
        assert _lead(rapi) == LEAD
    finally:
        settings.rules_require_approval = False


def test_excel_export_and_import_as_draft(rapi: Api) -> None:
    c, ed = rapi.client, rapi.auth("editor")
    error_of(c.get(f"{R}/export"), 401)
    resp = c.get(f"{R}/export", params={"pack": "02-routing"}, headers=rapi.auth("viewer"))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    ws = wb["权责清单-牵头与配合"]
    col = next(cell.column_letter for cell in ws[1] if cell.value == "问题主体")
    ws[f"{col}3"] = 'contains($, "坏了'
    bad = io.BytesIO()
    wb.save(bad)
    err = error_of(c.post(f"{R}/import", files={"file": ("r.xlsx", bad.getvalue())}, headers=ed), 422, "file")
    problem = next(p for p in err["problems"] if p["severity"] == "error")
    assert (problem["sheet"], problem["row"], problem["column"], problem["header"]) == ("权责清单-牵头与配合", 3, col, "问题主体")
    drafts_before = len(rapi.service.store.rule_drafts.list())
    ws[f"{col}3"] = 'contains($, "坏了")'
    good = io.BytesIO()
    wb.save(good)
    made = c.post(f"{R}/import", files={"file": ("r.xlsx", good.getvalue())}, data={"note": "Excel 修改"}, headers=ed)
    assert made.status_code == 201, made.text
    assert made.json()["packs"] == ["02-routing"] and made.json()["draft"]["note"] == "Excel 修改"
    assert len(rapi.service.store.rule_drafts.list()) == drafts_before + 1
    draft = c.get(f"{R}/drafts/{made.json()['draft']['id']}", headers=ed).json()
    _, table = _routing(draft)
    focus = next(col["id"] for col in table["inputs"] if col["field"] == "focus_text")
    assert table["rows"][1]["cells"][focus] == 'contains($, "坏了")'
    error_of(c.post(f"{R}/import", files={"file": ("r.xlsx", b"hello")}, headers=ed), 422, code="invalid_workbook")
