"""Issue 9, accounts: a copied session cookie dies with the session; tokens expire; admins change
roles and disable users over the API; look-alike names are refused. All on the real app and store."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from api_helpers import PASSWORD, Api, error_of, new_case
from fastapi.testclient import TestClient
from sqlalchemy import update

from zhili.access.auth import SESSION_COOKIE
from zhili.store.clock import now
from zhili.store.schema import tokens_table

CASES = "/api/v1/cases"


def _user(api: Api, role: str = "editor") -> tuple[str, int]:
    """A fresh user of `role` (tests here change users, so never the shared ones)."""
    name = f"u{uuid.uuid4().hex[:10]}"
    return name, api.service.store.users.create(name, PASSWORD, role).id


def _login(api: Api, name: str) -> tuple[TestClient, str, str]:
    """A client logged in as `name`: (client, CSRF token, the session cookie's value)."""
    client = TestClient(api.client.app)
    resp = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return client, resp.json()["csrf_token"], client.cookies.get(SESSION_COOKIE)


def _replay(api: Api, cookie: str, csrf: str) -> dict[str, int]:
    """What a stolen copy of a session cookie can still do: read drafts, write, open a page."""
    thief = TestClient(api.client.app)
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    return {
        "me": 200 if thief.get("/api/v1/auth/me", headers=headers).json()["user"] else 401,
        "read": thief.get(CASES, params={"status": "draft"}, headers=headers).status_code,
        "write": thief.post(CASES, json=new_case("被盗会话写入"), headers={**headers, "X-CSRF-Token": csrf}).status_code,
        "page": thief.get("/admin/cases", headers=headers, follow_redirects=False).status_code,
    }


LIVE = {"me": 200, "read": 200, "write": 201, "page": 200}
DEAD = {"me": 401, "read": 401, "write": 401, "page": 303}  # pages send the anonymous to /login


def test_a_copied_cookie_stops_working_after_logout(api: Api) -> None:
    name, _ = _user(api)
    client, csrf, cookie = _login(api, name)
    other, _other_csrf, other_cookie = _login(api, name)  # the same person on a second computer
    assert _replay(api, cookie, csrf) == LIVE
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).json() == {"ok": True}
    assert _replay(api, cookie, csrf) == DEAD
    assert other.get("/api/v1/auth/me").json()["user"]["username"] == name  # only that session ended
    assert api.service.store.sessions.count(api.service.store.users.by_name(name).id) == 1


def test_web_logout_ends_the_session_too(api: Api) -> None:
    name, _ = _user(api)
    _client, csrf, cookie = _login(api, name)
    browser = TestClient(api.client.app)
    resp = browser.post("/logout", data={"csrf_token": csrf}, headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
                        follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert _replay(api, cookie, csrf) == DEAD


@pytest.mark.parametrize("change", ["password", "role", "disable"])
def test_password_role_and_disable_end_every_session(api: Api, change: str) -> None:
    name, uid = _user(api)
    _client, csrf, cookie = _login(api, name)
    token = api.service.store.users.issue_token(uid, "集成")
    bearer = {"Authorization": f"Bearer {token}"}
    assert _replay(api, cookie, csrf) == LIVE
    c, admin = api.client, api.auth("admin")
    if change == "password":
        api.service.store.users.set_password(uid, "a fresh long password", by="admin")
    else:
        body = {"role": "viewer"} if change == "role" else {"active": False}
        assert c.patch(f"/api/v1/users/{name}", json=body, headers=admin).status_code == 200
    assert _replay(api, cookie, csrf) == DEAD
    if change == "disable":  # a disabled user's bearer tokens are refused as well
        error_of(c.get(CASES, params={"status": "draft"}, headers=bearer), 401, code="invalid_token")
        error_of(c.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD}), 401)
        assert c.patch(f"/api/v1/users/{name}", json={"active": True}, headers=admin).json()["active"] is True
        assert _replay(api, cookie, csrf) == DEAD  # enabling again does not revive old cookies
    assert c.get(CASES, params={"status": "draft"}, headers=bearer).status_code == (200 if change != "role" else 403)


def test_admins_change_roles_and_disable_users(api: Api) -> None:
    c, admin = api.client, api.auth("admin")
    name, _ = _user(api, "viewer")
    changed = c.patch(f"/api/v1/users/{name}", json={"role": "editor"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["role"] == "editor"
    both = c.patch(f"/api/v1/users/{name.upper()}", json={"role": "admin", "active": False}, headers=admin).json()
    assert both["role"] == "admin" and both["active"] is False  # the name is matched like at login
    error_of(c.patch(f"/api/v1/users/{name}", json={}, headers=admin), 422, "role")
    error_of(c.patch(f"/api/v1/users/{name}", json={"role": "root"}, headers=admin), 422, "role")
    error_of(c.patch("/api/v1/users/nobody-here", json={"active": False}, headers=admin), 404, "username")
    error_of(c.patch(f"/api/v1/users/{name}", json={"active": True}, headers=api.auth("editor")), 403)
    error_of(c.patch(f"/api/v1/users/{name}", json={"active": True}), 401)
    entries = [e for e in c.get("/api/v1/audit", headers=admin).json()["entries"]
               if e["kind"] == "user" and e["case_id"] == name]
    assert [e["action"] for e in entries] == ["disable", "role", "role", "user_create"][: len(entries)]
    assert {e["user"] for e in entries[:3]} == {"admin"}
    assert entries[0]["before"] == {"role": "editor", "active": True}
    assert entries[0]["after"] == {"role": "admin", "active": False}


def test_tokens_expire_and_show_their_state(api: Api) -> None:
    c, admin = api.client, api.auth("admin")
    name, uid = _user(api)
    default = c.post("/api/v1/tokens", json={"username": name, "name": "默认期限"}, headers=admin).json()
    short = c.post("/api/v1/tokens", json={"username": name, "name": "一天", "days": 1}, headers=admin).json()
    assert "90 天后过期" in default["message"] and "1 天后过期" in short["message"]
    error_of(c.post("/api/v1/tokens", json={"username": name, "days": 0}, headers=admin), 422, "days")
    error_of(c.post("/api/v1/tokens", json={"username": name, "days": 3651}, headers=admin), 422, "days")
    bearer = {"Authorization": f"Bearer {short['token']}"}
    assert c.get("/api/v1/auth/me", headers=bearer).json()["user"]["username"] == name
    with api.service.store.engine.begin() as conn:
        conn.execute(update(tokens_table).where(tokens_table.c.id == short["id"])
                     .values(expires_at=now() - timedelta(minutes=1)))
    error_of(c.get("/api/v1/auth/me", headers=bearer), 401, code="invalid_token")
    listed = {t["name"]: t for t in c.get(f"/api/v1/users/{name}/tokens", headers=admin).json()["items"]}
    assert listed["一天"]["state"] == "expired" and listed["一天"]["state_label"] == "已过期"
    assert listed["默认期限"]["state"] == "active" and listed["默认期限"]["expires_at"]
    assert c.delete(f"/api/v1/tokens/{default['id']}", headers=admin).status_code == 204
    revoked = c.get(f"/api/v1/users/{name}/tokens", headers=admin).json()["items"]
    assert {t["name"]: t["state"] for t in revoked} == {"一天": "expired", "默认期限": "revoked"}
    actions = [e.action for e in api.service.store.audit.recent(20, kind="user") if e.case_id == name]
    assert actions[:3] == ["token_revoke", "token_issue", "token_issue"]


def test_token_lifetime_follows_the_setting(api: Api) -> None:
    settings = api.client.app.state.settings
    name, uid = _user(api)
    saved, settings.token_days = settings.token_days, 7
    try:
        issued = api.client.post("/api/v1/tokens", json={"username": name}, headers=api.auth("admin")).json()
    finally:
        settings.token_days = saved
    expires = api.service.store.users.token(issued["id"]).expires_at
    assert abs(expires - (now() + timedelta(days=7))) < timedelta(minutes=1)


@pytest.mark.parametrize(("typed", "status", "message"), [
    ("ADMIN", 409, "admin"),                 # the shared app has a user "admin"
    ("ａｄｍｉｎ", 409, "不区分大小写"),
    ("Editor", 409, "editor"),
    ("ad\u200bmin", 422, "不可见字符"),
    ("\u0430dmin", 422, "混用了"),            # Cyrillic а
    ("\u0440\u0430\u0443\u0440\u0430\u04cf", 422, "外形与拉丁字母相同"),
])
def test_look_alike_user_names_are_refused(api: Api, typed: str, status: int, message: str) -> None:
    before = len(api.service.store.users.list())
    err = error_of(api.client.post("/api/v1/users", json={"username": typed, "password": PASSWORD},
                                   headers=api.auth("admin")), status, "username")
    assert message in err["message"]
    assert len(api.service.store.users.list()) == before


def test_login_matches_the_canonical_name(api: Api) -> None:
    name, _ = _user(api)
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in name.upper())  # full-width capitals
    resp = TestClient(api.client.app).post("/api/v1/auth/login", json={"username": wide, "password": PASSWORD})
    assert resp.status_code == 200 and resp.json()["user"]["username"] == name
