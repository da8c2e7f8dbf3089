"""Helpers shared by the API tests (imported by name; tests/ has no packages)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from zhili.app import create_app
from zhili.api.settings import ApiSettings
from zhili.service import Service

PASSWORD = "correct-horse-battery"
ROLES = ("viewer", "editor", "admin")


@dataclass
class Api:
    """The app under test, its service and a bearer token / credentials per role."""

    client: TestClient
    service: Service
    home: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def session(self, role: str) -> tuple[TestClient, str]:
        """A separate client logged in by cookie as `role`; returns it and its CSRF token."""
        client = TestClient(self.client.app)
        resp = client.post("/api/v1/auth/login", json={"username": role, "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        return client, resp.json()["csrf_token"]


def make_api(db_url: str, home: Path, settings: ApiSettings | None = None) -> Iterator[Api]:
    """Service, app and users for `db_url` with workspace `home`.

    ZHILI_HOME is set only while building; tests that use the app get it set around each test
    (see conftest `_workspace`), so it never leaks into other test directories.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZHILI_HOME", str(home))
        mp.delenv("ZHILI_DB_URL", raising=False)
        mp.delenv("ZHILI_RULES_DIR", raising=False)
        service = Service.open(db_url)
        api = Api(TestClient(create_app(service, settings)), service, home)
        for role in ROLES:
            user = service.store.users.by_name(role) or service.store.users.create(role, PASSWORD, role)
            api.tokens[role] = service.store.users.issue_token(user.id, f"test-{role}")
    try:
        with api.client:
            yield api
    finally:
        service.close()


def new_case(title: str, **extra: object) -> dict:
    """A valid case with a unique id; `title` should hold words no bundled case has."""
    return {"id": f"t-{uuid.uuid4().hex[:12]}", "title": title, "province": "浙江", "level": "村社区",
            "year": 2024, "problem": title, "practice": f"{title}：建立议事会，逐户协商。",
            "domains": ["议事协商"], "leadership": ["机制引领"], "mechanisms": ["议事会"],
            "source": {"publisher": "测试用来源", "title": f"{title}（测试）"}, **extra}


def error_of(resp, status: int, field: str | None = None, code: str | None = None) -> dict:
    """The JSON error of `resp`, checked: status, shape, a Chinese message, field and code."""
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert set(err) >= {"code", "message", "message_en", "field"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"]), err
    if field is not None:
        assert err["field"] == field, err
    if code is not None:
        assert err["code"] == code, err
    return err
