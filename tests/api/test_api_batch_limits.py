"""Issue 9: batch work is bounded (work orders, and work orders × top; stricter without a login)
and anonymous matching is rate-limited per client, for the API and the search page alike."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from api_helpers import Api, error_of, make_api
from fastapi.testclient import TestClient

from zhili.api.settings import ApiSettings

BATCH = "/api/v1/recommend/batch"
LIMITS = ApiSettings(max_batch_rows=40, max_batch_results=200, anonymous_batch_rows=8,
                     anonymous_batch_results=30, anonymous_answers_per_minute=12)


@pytest.fixture(scope="module")
def limited(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """An app with small limits, so that the tests stay quick."""
    yield from make_api(module_db_url, tmp_path_factory.mktemp("home-limits"), LIMITS)


@pytest.fixture(autouse=True)
def _workspace_of_limited(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "limited" in request.fixturenames:
        monkeypatch.setenv("ZHILI_HOME", str(request.getfixturevalue("limited").home))


def _orders(n: int, top: int | None = None) -> bytes:
    rows = [{"id": f"W{i}", "text": "小区物业跑路了，垃圾没人清", **({"top": top} if top else {})} for i in range(n)]
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


def _batch(client: TestClient, data: bytes, top: int = 3, headers: dict | None = None):
    return client.post(BATCH, files={"file": ("w.jsonl", data)}, data={"top": str(top)}, headers=headers or {})


def test_rows_and_rows_times_top_are_capped_more_tightly_for_the_anonymous(limited: Api) -> None:
    viewer = limited.auth("viewer")
    anon = TestClient(limited.client.app)
    err = error_of(_batch(anon, _orders(9)), 413, "file", "too_many_rows")
    assert "8 条上限" in err["message"] and "登录后" in err["message"] and err["limit"] == 8
    err = error_of(_batch(anon, _orders(4), top=10), 413, "top", "batch_too_large")
    assert "40 条结果" in err["message"] and "30 条上限" in err["message"]
    err = error_of(_batch(anon, _orders(2, top=20), top=1), 413, "top")  # a row's own top counts
    assert "40 条结果" in err["message"]
    error_of(_batch(limited.client, _orders(41), headers=viewer), 413, "file", "too_many_rows")
    err = error_of(_batch(limited.client, _orders(21), top=10, headers=viewer), 413, "top", "batch_too_large")
    assert "210 条结果" in err["message"] and "200 条上限" in err["message"] and "登录后" not in err["message"]
    ok = _batch(limited.client, _orders(20), top=10, headers=viewer)
    assert ok.status_code == 200 and ok.json()["count"] == 20


def test_anonymous_answers_are_rate_limited_per_client(limited: Api) -> None:
    anon = TestClient(limited.client.app, client=("203.0.113.7", 50000))
    assert _batch(anon, _orders(8), top=3).status_code == 200           # 8 of 12 answers
    for _ in range(4):
        assert anon.post("/api/v1/recommend", json={"text": "天价彩礼"}).status_code == 200
    refused = anon.post("/api/v1/recommend", json={"text": "天价彩礼"})
    err = error_of(refused, 429, code="too_many_requests")
    assert "每分钟最多 12 条" in err["message"] and 0 < int(refused.headers["retry-after"]) <= 61
    error_of(_batch(anon, _orders(1)), 429)
    # the search page shares the brake, and keeps what was typed
    page = anon.get("/", headers={"accept": "text/html"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    searched = anon.post("/", data={"csrf_token": csrf, "q": "天价彩礼怎么治"}, headers={"accept": "text/html"})
    assert searched.status_code == 429 and "每分钟最多" in searched.text and "天价彩礼怎么治" in searched.text
    # another client, and signed-in callers, are not affected
    other = TestClient(limited.client.app, client=("203.0.113.8", 50000))
    assert other.post("/api/v1/recommend", json={"text": "天价彩礼"}).status_code == 200
    assert anon.post("/api/v1/recommend", json={"text": "天价彩礼"},
                     headers=limited.auth("viewer")).status_code == 200
