"""Issue 9: security headers on every page, API answer, static file and error; no-store for
whatever a signed-in caller was served."""

from __future__ import annotations

import re

from api_helpers import Api
from fastapi.testclient import TestClient

BASE = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "same-origin"}


def _secured(resp) -> None:
    for name, value in BASE.items():
        assert resp.headers.get(name) == value, (resp.request.url, name, resp.headers)
    csp = resp.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp


def test_every_kind_of_response_has_the_headers(api: Api) -> None:
    html = {"accept": "text/html"}
    for resp in (api.client.get("/", headers=html), api.client.get("/static/css/zhili.css"),
                 api.client.get("/static/js/zhili.js"), api.client.get("/api/v1/cases"),
                 api.client.get("/openapi.json"), api.client.get("/docs-static/swagger-ui.css"),
                 api.client.get("/nope", headers=html), api.client.get("/api/v1/nope"),
                 api.client.post("/api/v1/recommend", content=b"x" * (2 * 1024 * 1024),
                                 headers={"content-type": "application/json"})):  # 413 from BodyLimit
        _secured(resp)
    page = api.client.get("/", headers=html)
    assert page.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self';")
    assert "<script>" not in page.text and " style=" not in page.text  # nothing inline to allow


def test_signed_in_responses_are_not_stored(api: Api) -> None:
    assert "no-store" in api.client.get("/api/v1/cases", headers=api.auth("viewer")).headers["cache-control"]
    fresh = TestClient(api.client.app)  # no cookie at all: a public answer may be cached
    assert "no-store" not in fresh.get("/api/v1/cases").headers.get("cache-control", "")
    editor, _ = api.session("editor")
    for path in ("/admin/cases", "/", "/api/v1/auth/me", "/stats"):
        assert editor.get(path).headers["cache-control"] == "no-store", path
    anonymous_admin = api.client.get("/admin/cases", follow_redirects=False)
    assert anonymous_admin.headers["cache-control"] == "no-store"
    static = editor.get("/static/css/zhili.css")  # the same file for everyone: cacheable
    assert "no-store" not in static.headers.get("cache-control", "")
    export = api.client.get("/api/v1/cases/export", params={"format": "csv"}, headers=api.auth("editor"))
    assert export.headers["cache-control"] == "no-store"


def test_docs_page_runs_its_one_inline_script_by_nonce(api: Api) -> None:
    resp = api.client.get("/docs")
    _secured(resp)
    csp = resp.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    scripts = re.findall(r"<script([^>]*)>", resp.text)
    assert scripts and all('src="/docs-static/' in s or f'nonce="{nonce}"' in s for s in scripts)
    assert re.search(r"'nonce-([^']+)'", api.client.get("/docs").headers["content-security-policy"]).group(1) != nonce


def test_printable_brief_allows_only_its_own_inline_css(api: Api) -> None:
    client, csrf = api.session("viewer")
    resp = client.post("/brief", data={"csrf_token": csrf, "q": "老旧小区加装电梯，一楼反对"})
    assert resp.status_code == 200 and "<style>" in resp.text
    _secured(resp)
    csp = resp.headers["content-security-policy"]
    assert "'sha256-" in csp and "script-src" not in csp and "default-src 'none'" in csp
