"""Issue 9: a browser gets a Chinese HTML page for 404/405/500 on the web paths; /api/v1 and
clients that do not ask for HTML keep the JSON error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from api_helpers import Api
from fastapi.testclient import TestClient
from sqlalchemy import text

from zhili.app import create_app
from zhili.service import Service

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_browsers_get_html_error_pages(api: Api) -> None:
    page = api.client.get("/no/such/page", headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "页面不存在" in page.text and "返回首页" in page.text
    wrong = api.client.delete("/", headers=HTML)
    assert wrong.status_code == 405 and "不支持此操作" in wrong.text and "GET" in wrong.headers["allow"]
    missing_static = api.client.get("/static/nope.css", headers=HTML)
    assert missing_static.status_code == 404 and "页面不存在" in missing_static.text


def test_api_and_non_browser_clients_keep_json(api: Api) -> None:
    for path, headers in (("/api/v1/nope", HTML), ("/no/such/page", {}), ("/no/such/page", {"accept": "application/json"})):
        resp = api.client.get(path, headers=headers)
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    assert api.client.delete("/api/v1/recommend", headers=HTML).json()["error"]["code"] == "method_not_allowed"


def test_a_server_error_is_a_generic_page_and_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """A real failure (the cases table is gone), not a mock: the page says nothing of the cause."""
    monkeypatch.setenv("ZHILI_HOME", str(tmp_path))
    service = Service.open(f"sqlite:///{tmp_path / 'zhili.db'}")
    try:
        with service.store.engine.begin() as conn:
            conn.execute(text("DROP TABLE cases"))
        client = TestClient(create_app(service), raise_server_exceptions=False)
        with caplog.at_level(logging.ERROR, logger="zhili.api"):
            page = client.get("/cases/case-0001", headers=HTML)
            api_resp = client.get("/api/v1/cases/case-0001")
        assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
        assert "服务器出错了" in page.text
        assert not any(w in page.text for w in ("no such table", "OperationalError", "Traceback"))
        assert api_resp.status_code == 500 and api_resp.json()["error"]["code"] == "internal_error"
        for resp in (page, api_resp):  # the security headers reach even a 500 (issue 9, item 4)
            assert resp.headers["x-frame-options"] == "DENY" and "content-security-policy" in resp.headers
        assert any("unhandled error on GET /cases/case-0001" in r.getMessage() for r in caplog.records)
    finally:
        service.close()
