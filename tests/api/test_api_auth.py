"""Sessions, bearer tokens, roles, CSRF and the login limit, on the real app."""

from __future__ import annotations

import stat

from api_helpers import PASSWORD, Api, error_of, new_case
from fastapi.testclient import TestClient

CASES = "/api/v1/cases"


def test_secret_key_is_private_and_stable(api: Api) -> None:
    from zhili.access.auth import secret_key

    path = api.home / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(api.home) == path.read_text().strip() and len(path.read_text().strip()) >= 40


def test_session_write_needs_csrf_token(api: Api) -> None:
    client, csrf = api.session("editor")
    me = client.get("/api/v1/auth/me").json()
    assert me["user"]["username"] == "editor" and me["user"]["role"] == "editor" and me["csrf_token"] == csrf
    err = error_of(client.post(CASES, json=new_case("无令牌写入")), 403, "csrf_token", "csrf_failed")
    assert "CSRF" in err["message"]
    for forged in ("forged", csrf[:-1], "é".encode("latin-1") * 43):  # non-ASCII must not crash
        error_of(client.post(CASES, json=new_case("错令牌写入"), headers={"X-CSRF-Token": forged}), 403,
                 code="csrf_failed")
    resp = client.post(CASES, json=new_case("带令牌写入"), headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 201 and resp.json()["updated_by"] == "editor"
    assert client.get(CASES, params={"status": "draft"}).status_code == 200  # reads need no token
    error_of(client.post("/api/v1/auth/logout"), 403, code="csrf_failed")
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).json() == {"ok": True}
    error_of(client.post(CASES, json=new_case("退出后写入"), headers={"X-CSRF-Token": csrf}), 401)


def test_a_stolen_cookie_from_another_session_does_not_carry_csrf(api: Api) -> None:
    alice, alice_csrf = api.session("editor")
    bob, bob_csrf = api.session("editor")
    assert alice_csrf != bob_csrf
    error_of(bob.post(CASES, json=new_case("跨会话"), headers={"X-CSRF-Token": alice_csrf}), 403)


def test_bearer_tokens(api: Api) -> None:
    c = api.client
    assert c.post(CASES, json=new_case("令牌写入"), headers=api.auth("editor")).status_code == 201
    for header in ("Bearer zhili_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer x" * 300):
        resp = c.post(CASES, json=new_case("坏令牌"), headers={"Authorization": header})
        assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer", header
    # a bad token is refused even where anonymous access is allowed
    error_of(c.post("/api/v1/recommend", json={"text": "电梯"},
                    headers={"Authorization": "Bearer zhili_wrong"}), 401, code="invalid_token")


def test_revoked_token_and_disabled_user(api: Api) -> None:
    users = api.service.store.users
    user = users.by_name("revokee") or users.create("revokee", PASSWORD, "editor")
    token = users.issue_token(user.id, "临时")
    headers = {"Authorization": f"Bearer {token}"}
    assert api.client.get(CASES, params={"status": "draft"}, headers=headers).status_code == 200
    token_id = users.tokens(user.id)[0].id
    assert api.client.delete(f"/api/v1/tokens/{token_id}", headers=api.auth("admin")).status_code == 204
    error_of(api.client.get(CASES, params={"status": "draft"}, headers=headers), 401, code="invalid_token")

    token = users.issue_token(user.id, "again")
    client = TestClient(api.client.app)
    csrf = client.post("/api/v1/auth/login", json={"username": "revokee", "password": PASSWORD}).json()["csrf_token"]
    users.set_active(user.id, False)
    error_of(api.client.get(CASES, params={"status": "draft"}, headers={"Authorization": f"Bearer {token}"}), 401)
    error_of(client.post(CASES, json=new_case("停用账号"), headers={"X-CSRF-Token": csrf}), 401)
    assert client.get("/api/v1/auth/me").json()["user"] is None


def test_roles(api: Api) -> None:
    c = api.client
    error_of(c.get("/api/v1/users"), 401)
    error_of(c.get("/api/v1/users", headers=api.auth("editor")), 403, code="forbidden")
    assert c.get("/api/v1/users", headers=api.auth("admin")).status_code == 200
    err = error_of(c.post(CASES, json=new_case("查看者写"), headers=api.auth("viewer")), 403)
    assert "编辑" in err["message"] and "查看者" in err["message"]
    error_of(c.get("/api/v1/stats"), 401)
    assert c.get("/api/v1/stats", headers=api.auth("viewer")).status_code == 200


def test_login_failures_and_limit(api: Api) -> None:
    from zhili.access.auth import LoginLimiter

    state = api.client.app.state
    saved, state.login_limiter = state.login_limiter, LoginLimiter(attempts=3)  # each try costs argon2
    try:
        _login_failures_and_limit(TestClient(api.client.app))
    finally:
        state.login_limiter = saved


def _login_failures_and_limit(client: TestClient) -> None:
    err = error_of(client.post("/api/v1/auth/login", json={"username": "editor", "password": "wrong-password"}),
                   401, "password", "bad_credentials")
    assert "密码" in err["message"]
    error_of(client.post("/api/v1/auth/login", json={"username": "nobody", "password": "whatever1"}), 401)
    error_of(client.post("/api/v1/auth/login", json={"username": "editor"}), 422, "password")
    for _ in range(3):
        client.post("/api/v1/auth/login", json={"username": "viewer", "password": "wrong-password"})
    error_of(client.post("/api/v1/auth/login", json={"username": "viewer", "password": "wrong-password"}), 429)
    # even the right password waits: the limit is per client and name
    error_of(client.post("/api/v1/auth/login", json={"username": "viewer", "password": PASSWORD}), 429,
             code="too_many_logins")
    assert client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}).status_code == 200
