"""账号与令牌 page (admins only), without a browser: roles, disable/enable, tokens with expiry,
issue and revoke — each change in the store and the audit log, each refused for non-admins."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, page_client

from zhili.access.auth import SESSION_COOKIE


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, object]]:
    with page_client(tmp_path_factory.mktemp("account-pages-home"), [("boss", "admin"), ("clerk", "editor"), ("reader", "viewer")]) as (client, service):
        yield client, service


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(app: TestClient, name: str) -> tuple[TestClient, str]:
    client = TestClient(app.app)
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return client, _csrf(client.get("/").text)


def test_only_admins_see_the_accounts_page(app_client) -> None:
    app, _service = app_client
    admin, _ = _login(app, "boss")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and 'data-testid="user-table"' in page.text
    assert all(f'data-user="{n}"' in page.text for n in ("boss", "clerk", "reader"))
    assert 'href="/admin/users"' in admin.get("/admin/cases").text  # the tab is there for admins
    editor, editor_csrf = _login(app, "clerk")
    refused = editor.get("/admin/users")
    assert refused.status_code == 403 and "无权访问" in refused.text
    assert 'href="/admin/users"' not in editor.get("/admin/cases").text
    assert editor.post("/admin/users/1/role", data={"role": "admin", "csrf_token": editor_csrf},
                       follow_redirects=False).status_code == 403
    anonymous = TestClient(app.app).get("/admin/users", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")


def test_role_and_disable_from_the_page_are_stored_audited_and_end_sessions(app_client) -> None:
    app, service = app_client
    users = service.store.users
    target = users.create("temp1", PASSWORD, "viewer")
    victim, _ = _login(app, "temp1")
    cookie = victim.cookies.get(SESSION_COOKIE)
    admin, csrf = _login(app, "boss")
    assert admin.post(f"/admin/users/{target.id}/role", data={"role": "editor"},
                      follow_redirects=False).status_code == 403  # no CSRF token: refused
    done = admin.post(f"/admin/users/{target.id}/role", data={"role": "editor", "csrf_token": csrf},
                      follow_redirects=False)
    assert done.status_code == 303 and users.get(target.id).role == "editor"
    stale = TestClient(app.app).get("/admin/cases", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
                                    follow_redirects=False)
    assert stale.status_code == 303  # the old session died with the role change
    bad = admin.post(f"/admin/users/{target.id}/role", data={"role": "root", "csrf_token": csrf})
    assert bad.status_code == 422 and users.get(target.id).role == "editor"
    off = admin.post(f"/admin/users/{target.id}/active", data={"active": "0", "csrf_token": csrf})
    assert off.status_code == 200 and not users.get(target.id).active  # redirected back to the list
    assert 'data-testid="enable"' in off.text
    assert admin.post(f"/admin/users/{target.id}/active", data={"active": "1", "csrf_token": csrf}).status_code == 200
    assert users.get(target.id).active
    assert admin.post("/admin/users/9999/active", data={"active": "0", "csrf_token": csrf}).status_code == 404
    events = [(e.case_id, e.action, e.user) for e in service.store.audit.recent(10, kind="user")][:3]
    assert events == [("temp1", "enable", "boss"), ("temp1", "disable", "boss"), ("temp1", "role", "boss")]
    assert "修改角色" in admin.get("/admin/users").text  # listed under 最近的账号变更


def test_the_last_admin_cannot_demote_themselves(app_client) -> None:
    app, service = app_client
    admin, csrf = _login(app, "boss")
    boss = service.store.users.by_name("boss")
    r = admin.post(f"/admin/users/{boss.id}/role", data={"role": "viewer", "csrf_token": csrf})
    assert r.status_code == 409 and "至少需要保留一个启用的管理员" in r.text
    assert service.store.users.get(boss.id).role == "admin"


def test_tokens_are_issued_once_listed_with_expiry_and_revoked(app_client) -> None:
    app, service = app_client
    clerk = service.store.users.by_name("clerk")
    admin, csrf = _login(app, "boss")
    page = admin.get(f"/admin/users/{clerk.id}/tokens")
    assert page.status_code == 200 and "还没有令牌" in page.text and 'value="90"' in page.text
    issued = admin.post(f"/admin/users/{clerk.id}/tokens", data={"name": "热线对接", "days": "30", "csrf_token": csrf})
    assert issued.status_code == 200
    token = re.search(r'data-testid="new-token">([^<]+)<', issued.text).group(1)
    assert service.store.users.user_for_token(token) == clerk
    again = admin.get(f"/admin/users/{clerk.id}/tokens").text
    assert token not in again and "热线对接" in again and "有效" in again  # shown once only
    (listed,) = service.store.users.tokens(clerk.id)
    assert (listed.expires_at - listed.created_at).days == 30
    bad = admin.post(f"/admin/users/{clerk.id}/tokens", data={"name": "x", "days": "5000", "csrf_token": csrf})
    assert bad.status_code == 422 and "有效期" in bad.text and len(service.store.users.tokens(clerk.id)) == 1
    revoked = admin.post(f"/admin/tokens/{listed.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303 and revoked.headers["location"] == f"/admin/users/{clerk.id}/tokens"
    assert service.store.users.user_for_token(token) is None
    assert "已撤销" in admin.get(f"/admin/users/{clerk.id}/tokens").text
    assert admin.post("/admin/tokens/99999/revoke", data={"csrf_token": csrf}).status_code == 404
    actions = [e.action for e in service.store.audit.recent(5, kind="user") if e.case_id == "clerk"]
    assert actions[:2] == ["token_revoke", "token_issue"]
