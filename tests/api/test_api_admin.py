"""Accounts, tokens, rules, feedback, statistics and health."""

from __future__ import annotations

import json
import shutil

from api_helpers import PASSWORD, Api, error_of

from zhili import config
from bundled import BUNDLED


def test_users_and_tokens(api: Api) -> None:
    c, admin = api.client, api.auth("admin")
    resp = c.post("/api/v1/users", json={"username": "张科长", "password": PASSWORD, "role": "editor"}, headers=admin)
    assert resp.status_code == 201 and resp.json()["role"] == "editor" and resp.json()["role_label"] == "编辑"
    error_of(c.post("/api/v1/users", json={"username": "张科长", "password": PASSWORD}, headers=admin), 409, "username")
    error_of(c.post("/api/v1/users", json={"username": "short", "password": "123"}, headers=admin), 422, "password")
    error_of(c.post("/api/v1/users", json={"username": "x", "password": PASSWORD, "role": "root"}, headers=admin),
             422, "role")
    error_of(c.post("/api/v1/users", json={"username": "a b", "password": PASSWORD}, headers=admin), 422, "username")
    names = [u["username"] for u in c.get("/api/v1/users", headers=admin).json()["items"]]
    assert "张科长" in names and "admin" in names

    issued = c.post("/api/v1/tokens", json={"username": "张科长", "name": "12345热线对接"}, headers=admin)
    assert issued.status_code == 201 and issued.json()["token"].startswith("zhili_")
    token, token_id = issued.json()["token"], issued.json()["id"]
    listed = c.get("/api/v1/users/张科长/tokens", headers=admin).json()["items"]
    assert [t["name"] for t in listed] == ["12345热线对接"] and token not in json.dumps(listed)
    me = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["user"]["username"] == "张科长"
    assert c.delete(f"/api/v1/tokens/{token_id}", headers=admin).status_code == 204
    error_of(c.delete(f"/api/v1/tokens/{token_id}", headers=admin), 404, "token_id")
    error_of(c.post("/api/v1/tokens", json={"username": "nobody"}, headers=admin), 404, "username")
    error_of(c.post("/api/v1/tokens", json={"username": "editor"}, headers=api.auth("editor")), 403)
    assert c.get("/api/v1/audit", headers=admin).status_code == 200


def test_feedback_is_stored(api: Api) -> None:
    answer = api.client.post("/api/v1/recommend", json={"text": "小区停车难，车位被占", "top": 3}).json()
    case_id = answer["results"][0]["case_id"]
    resp = api.client.post("/api/v1/feedback", json={"query_id": answer["query_id"], "case_id": case_id,
                                                      "verdict": "adopted"})
    assert resp.status_code == 201, resp.text
    stored = api.service.store.feedback.list(query_id=answer["query_id"])
    assert [(f.case_id, f.verdict) for f in stored] == [(case_id, "adopted")]
    listed = api.client.get("/api/v1/feedback", params={"query_id": answer["query_id"]}, headers=api.auth("editor"))
    assert listed.json()["items"][0]["verdict"] == "adopted"
    post = api.client.post
    error_of(post("/api/v1/feedback", json={"query_id": "0" * 32, "case_id": case_id, "verdict": "helpful"}),
             404, "query_id")
    error_of(post("/api/v1/feedback", json={"query_id": answer["query_id"], "case_id": case_id, "verdict": "great"}),
             422, "verdict")
    error_of(post("/api/v1/feedback", json={"query_id": answer["query_id"], "case_id": "nope", "verdict": "helpful"}),
             422, "case_id", "case_not_in_answer")  # a missing id answers like any other not shown
    other = next(c for c in ("case-0001", "case-0002", "case-0003", "case-0004")
                 if c not in [r["case_id"] for r in answer["results"]])
    error_of(post("/api/v1/feedback", json={"query_id": answer["query_id"], "case_id": other, "verdict": "helpful"}),
             422, "case_id")


def test_stats(api: Api) -> None:
    api.client.post("/api/v1/recommend", json={"text": "老旧小区加装电梯 一楼反对", "province": "上海"})
    body = api.client.get("/api/v1/stats", params={"days": 30}, headers=api.auth("viewer")).json()
    assert body["queries"]["total"] >= 1
    assert any(r["province"] == "上海" for r in body["queries"]["by_region"])
    assert body["library"]["total"] >= BUNDLED
    error_of(api.client.get("/api/v1/stats", params={"days": 0}, headers=api.auth("viewer")), 422, "days")


def test_health(api: Api) -> None:
    body = api.client.get("/api/v1/health", headers=api.auth("admin")).json()
    assert body["ok"] and body["db"]["ok"] and body["rules"]["ok"] and not body["degraded"]
    assert body["library"]["published"] >= BUNDLED and body["index"]["revision"] == body["db"]["revision"]
    assert body["index"]["dense"] is True


def test_rules_list_check_and_publish(api: Api, tmp_path, monkeypatch) -> None:
    c = api.client
    listed = c.get("/api/v1/rules", headers=api.auth("viewer")).json()
    assert [p["id"] for p in listed["serving"]["packs"]][:3] == ["01-classify", "02-routing", "03-risk"]
    assert all(p["rows"] > 0 for p in listed["serving"]["packs"]) and not listed["serving"]["fallback"]
    check = c.get("/api/v1/rules/check", headers=api.auth("viewer")).json()
    assert check["ok"] and check["errors"] == 0 and len(check["packs"]) == len(listed["serving"]["packs"])
    error_of(c.get("/api/v1/rules/check"), 401)
    error_of(c.post("/api/v1/rules/versions", headers=api.auth("editor")), 403)
    version = c.post("/api/v1/rules/versions", headers=api.auth("admin"))
    assert version.status_code == 201 and version.json()["user"] == "admin"
    assert c.get("/api/v1/rules", headers=api.auth("viewer")).json()["versions"][0]["id"] == version.json()["id"]

    broken = tmp_path / "rules"
    shutil.copytree(config.rules_dir(), broken)
    graph = broken / "02-routing" / "routing.json"
    graph.write_text("{ not json", encoding="utf-8")
    old_dir, api.service.rules_dir = api.service.rules_dir, broken
    try:
        bad = c.get("/api/v1/rules/check", headers=api.auth("viewer")).json()
        assert not bad["ok"] and any(p["file"].endswith(graph.name) for p in bad["problems"])
        err = error_of(c.post("/api/v1/rules/versions", headers=api.auth("admin")), 422, "rules", "rules_invalid")
        assert err["problems"]
        api.service.refresh(force=True)  # a broken edit reaches the engine: last good rules serve
        health = c.get("/api/v1/health", headers=api.auth("admin"))
        assert health.status_code == 200 and health.json()["degraded"] and health.json()["rules"]["fallback"]
        assert c.get("/api/v1/health").json() == {"ok": True, "degraded": True}
        assert c.post("/api/v1/recommend", json={"text": "加装电梯"}).json()["rules_used"]
    finally:
        api.service.rules_dir = old_dir
        api.service.refresh(force=True)
    assert not c.get("/api/v1/health").json()["degraded"]
