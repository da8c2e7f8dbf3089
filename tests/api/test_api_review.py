"""Issue 9: four eyes (`require_review`). With it on, what an editor wrote is published by someone
else (another editor or an admin); with it off (the default) nothing changes."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from api_helpers import PASSWORD, Api, error_of, new_case
from fastapi.testclient import TestClient

CASES = "/api/v1/cases"


@contextmanager
def _review(api: Api, on: bool = True) -> Iterator[None]:
    settings = api.client.app.state.settings
    saved, settings.require_review = settings.require_review, on
    try:
        yield
    finally:
        settings.require_review = saved


@pytest.fixture
def second_editor(api: Api) -> dict[str, str]:
    users = api.service.store.users
    user = users.by_name("editor2") or users.create("editor2", PASSWORD, "editor")
    return {"Authorization": f"Bearer {users.issue_token(user.id, 'review')}"}


def _draft(api: Api, headers: dict[str, str], title: str) -> str:
    resp = api.client.post(CASES, json=new_case(title), headers=headers)
    assert resp.status_code == 201 and resp.json()["status"] == "draft", resp.text
    return resp.json()["id"]


def test_an_editor_cannot_publish_their_own_draft(api: Api, second_editor: dict[str, str]) -> None:
    c, editor = api.client, api.auth("editor")
    with _review(api):
        cid = _draft(api, editor, "四眼审核草稿")
        err = error_of(c.post(f"{CASES}/{cid}/publish", headers=editor), 403, "status", "review_required")
        assert "其他编辑或管理员" in err["message"]
        assert api.service.store.cases.get_record(cid).status == "draft"
        published = c.post(f"{CASES}/{cid}/publish", headers=second_editor)
        assert published.status_code == 200 and published.json()["status"] == "published"
        assert published.json()["updated_by"] == "editor2"


def test_the_last_content_author_counts_not_the_creator(api: Api, second_editor: dict[str, str]) -> None:
    c, editor = api.client, api.auth("editor")
    with _review(api):
        cid = _draft(api, editor, "他人修改后的草稿")
        body = c.get(f"{CASES}/{cid}", headers=editor).json()
        changed = {k: body[k] for k in new_case("x") if k in body} | {"title": "他人修改后的草稿（改）"}
        assert c.put(f"{CASES}/{cid}", json=changed, headers=second_editor).status_code == 200
        error_of(c.post(f"{CASES}/{cid}/publish", headers=second_editor), 403, code="review_required")
        assert c.post(f"{CASES}/{cid}/publish", headers=editor).status_code == 200  # the creator reviews the edit


def test_admins_publish_their_own_and_direct_publishing_is_for_admins(api: Api) -> None:
    c, editor, admin = api.client, api.auth("editor"), api.auth("admin")
    with _review(api):
        cid = _draft(api, admin, "管理员自己的草稿")
        assert c.post(f"{CASES}/{cid}/publish", headers=admin).status_code == 200
        error_of(c.post(CASES, params={"status": "published"}, json=new_case("编辑直接发布"), headers=editor),
                 403, "status", "review_required")
        direct = c.post(CASES, params={"status": "published"}, json=new_case("管理员直接发布"), headers=admin)
        assert direct.status_code == 201 and direct.json()["status"] == "published"
        line = json.dumps(new_case("编辑导入直接发布"), ensure_ascii=False).encode()
        files = {"file": ("cases.jsonl", io.BytesIO(line), "application/octet-stream")}
        error_of(c.post(f"{CASES}/import", files=files, data={"status": "published"}, headers=editor),
                 403, "status", "review_required")
        files = {"file": ("cases.jsonl", io.BytesIO(line), "application/octet-stream")}
        assert c.post(f"{CASES}/import", files=files, data={"status": "draft"}, headers=editor).status_code == 200


def test_an_editors_change_to_a_published_case_goes_back_to_review(api: Api, second_editor: dict[str, str]) -> None:
    c, editor = api.client, api.auth("editor")
    cid = _draft(api, editor, "已发布后再修改")
    assert c.post(f"{CASES}/{cid}/publish", headers=second_editor).status_code == 200
    body = {k: v for k, v in c.get(f"{CASES}/{cid}").json().items() if k in new_case("x")}
    with _review(api):
        edited = c.put(f"{CASES}/{cid}", json=body | {"title": "已发布后再修改（新版）"}, headers=editor)
        assert edited.status_code == 200 and edited.json()["status"] == "draft"  # not live unreviewed
        error_of(c.post(f"{CASES}/{cid}/publish", headers=editor), 403, code="review_required")
        assert c.post(f"{CASES}/{cid}/publish", headers=second_editor).json()["status"] == "published"
        same = c.put(f"{CASES}/{cid}", json=body | {"title": "管理员再改"}, headers=api.auth("admin"))
        assert same.json()["status"] == "published"  # admins are exempt


def test_without_the_setting_editors_publish_their_own(api: Api) -> None:
    c, editor = api.client, api.auth("editor")
    with _review(api, on=False):
        cid = _draft(api, editor, "未开启审核")
        assert c.post(f"{CASES}/{cid}/publish", headers=editor).json()["status"] == "published"
        direct = c.post(CASES, params={"status": "published"}, json=new_case("未开启直接发布"), headers=editor)
        assert direct.status_code == 201


def test_web_publish_follows_the_same_rule(api: Api) -> None:
    import re

    page = TestClient(api.client.app)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get("/login").text).group(1)
    page.post("/login", data={"username": "editor", "password": PASSWORD, "csrf_token": csrf, "next": "/"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get("/admin/cases").text).group(1)
    with _review(api):
        cid = _draft(api, api.auth("editor"), f"网页审核{uuid.uuid4().hex[:6]}")
        form = page.get(f"/admin/cases/{cid}/edit").text
        assert 'data-testid="review-needed"' in form and 'data-testid="publish"' not in form
        refused = page.post(f"/admin/cases/{cid}/status", data={"status": "published", "csrf_token": csrf},
                            follow_redirects=False)
        assert refused.status_code == 403 and "需要审核" in refused.text and "其他编辑或管理员" in refused.text
        assert api.service.store.cases.get_record(cid).status == "draft"
    with _review(api, on=False):
        assert 'data-testid="publish"' in page.get(f"/admin/cases/{cid}/edit").text
        done = page.post(f"/admin/cases/{cid}/status", data={"status": "published", "csrf_token": csrf},
                         follow_redirects=False)
        assert done.status_code == 303 and api.service.store.cases.get_record(cid).status == "published"
