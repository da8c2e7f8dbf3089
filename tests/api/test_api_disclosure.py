"""Issue 9: health and rules tell each role only what it needs; versions, models, fingerprints and
server paths are for admins."""

from __future__ import annotations

import json
import shutil

import pytest
from api_helpers import Api

from zhili import __version__, config


@pytest.mark.parametrize("who", ["anonymous", "viewer", "editor"])
def test_health_is_just_ok_and_degraded_below_admin(api: Api, who: str) -> None:
    headers = {} if who == "anonymous" else api.auth(who)
    resp = api.client.get("/api/v1/health", headers=headers)
    assert resp.status_code == 200 and resp.json() == {"ok": True, "degraded": False}


def test_health_details_for_admins(api: Api) -> None:
    body = api.client.get("/api/v1/health", headers=api.auth("admin")).json()
    assert body["version"] == __version__ and body["index"]["embedder"] and body["rules"]["fingerprint"]
    client, _csrf = api.session("admin")  # a signed-in admin sees the same
    assert client.get("/api/v1/health").json()["rules"]["fingerprint"] == body["rules"]["fingerprint"]


def _paths(api: Api) -> list[str]:
    engine = api.service.engine()
    return [str(config.rules_dir()), str(engine.rules.directory), str(api.home)]


@pytest.mark.parametrize("who", ["viewer", "editor"])
def test_rules_hide_server_paths_below_admin(api: Api, who: str) -> None:
    for path in ("/api/v1/rules", "/api/v1/rules/check"):
        resp = api.client.get(path, headers=api.auth(who))
        assert resp.status_code == 200
        text = resp.text
        assert "directory" not in resp.json() and not any(p in text for p in _paths(api)), (path, text[:300])
    listed = api.client.get("/api/v1/rules", headers=api.auth(who)).json()
    assert listed["serving"]["packs"] and "directory" not in listed["serving"]


def test_a_missing_rules_folder_is_named_only_to_admins(api: Api, tmp_path) -> None:
    missing = tmp_path / "secret-server-folder" / "rules"
    old_dir, api.service.rules_dir = api.service.rules_dir, missing
    try:
        viewer = api.client.get("/api/v1/rules/check", headers=api.auth("viewer")).json()
        assert not viewer["ok"] and "secret-server-folder" not in json.dumps(viewer, ensure_ascii=False)
        admin = api.client.get("/api/v1/rules/check", headers=api.auth("admin")).json()
        assert str(missing) in json.dumps(admin, ensure_ascii=False)
    finally:
        api.service.rules_dir = old_dir


def test_rules_show_paths_to_admins(api: Api) -> None:
    listed = api.client.get("/api/v1/rules", headers=api.auth("admin")).json()
    assert listed["directory"] and listed["serving"]["directory"]
    assert api.client.get("/api/v1/rules/check", headers=api.auth("admin")).json()["directory"]


def test_rule_problems_name_files_relative_to_the_rules_folder(api: Api, tmp_path) -> None:
    broken = tmp_path / "secret-server-folder" / "rules"
    shutil.copytree(config.rules_dir(), broken)
    (broken / "02-routing" / "routing.json").write_text("{ not json", encoding="utf-8")
    old_dir, api.service.rules_dir = api.service.rules_dir, broken
    try:
        viewer = api.client.get("/api/v1/rules/check", headers=api.auth("viewer")).json()
        assert not viewer["ok"] and "secret-server-folder" not in json.dumps(viewer, ensure_ascii=False)
        assert "02-routing/routing.json" in {p["file"] for p in viewer["problems"]}
        admin = api.client.get("/api/v1/rules/check", headers=api.auth("admin")).json()
        assert admin["directory"] == str(broken)
        api.service.refresh(force=True)  # the broken folder reaches the engine: last good rules serve
        served = api.client.get("/api/v1/rules", headers=api.auth("viewer")).json()["serving"]
        assert served["fallback"] and "secret-server-folder" not in json.dumps(served, ensure_ascii=False)
        assert api.client.get("/api/v1/health").json() == {"ok": True, "degraded": True}
    finally:
        api.service.rules_dir = old_dir
        api.service.refresh(force=True)
