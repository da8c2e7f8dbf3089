"""Issue 9, failure 1: an ordinary editor workflow took search down for everyone.

Publish two new cases, unpublish the second, publish it again → every `POST /recommend` and the
case pages answered 500 (`IndexError` in the delta's dense scores) until a restart, while
`/health` still said ok. Create F, delete F, create G reached the same crash. Both paths run here
through the app, on the default small-library path (exact re-index) and with every change forced
through the delta (`exact_update_below = 0`, as libraries above the threshold are served).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import Api, make_api

API = "/api/v1"


@pytest.fixture(params=["exact", "delta"])
def app(request: pytest.FixtureRequest, module_db_url: str, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """A fresh service on this module's database; "delta" forces every change through the delta."""
    home = tmp_path_factory.mktemp("home")
    if request.param == "delta":
        (home / "zhili.toml").write_text("[match]\nexact_update_below = 0\n", encoding="utf-8")
    monkeypatch.setenv("ZHILI_HOME", str(home))
    yield from make_api(module_db_url, home)


def _ids(app: Api, *names: str) -> list[str]:
    """Case ids of this fixture instance (both variants share the module's database)."""
    return [f"{n}-{app.home.name}" for n in names]


def _case(cid: str, title: str) -> dict:
    return {"id": cid, "title": title, "province": "浙江", "level": "村社区", "year": 2024,
            "problem": f"{title}，多次调解无果", "practice": f"{title}：建立议事会，逐户协商",
            "domains": ["议事协商"], "source": {"publisher": "测试用来源", "title": title}}


def _search_works(app: Api, case_ids: list[str]) -> None:
    """Search answers, and so do the API and the web page of each case."""
    resp = app.client.post(f"{API}/recommend", json={"text": "晾衣杆纠纷 楼道议事会 邻里协商", "top": 10})
    assert resp.status_code == 200, resp.text
    for cid in case_ids:
        assert app.client.get(f"{API}/cases/{cid}", headers=app.auth("editor")).status_code == 200
        page = app.client.get(f"/cases/{cid}", headers={**app.auth("editor"), "Accept": "text/html"})
        assert page.status_code == 200, page.text[:300]


def test_unpublish_then_republish_keeps_search_up(app: Api) -> None:
    ed = app.auth("editor")
    a, b = _ids(app, "REG-A", "REG-B")
    _search_works(app, [])  # a serving engine first: the new cases then live in its delta
    for cid, title in ((a, "鹊桥议事化解晾衣杆纠纷"), (b, "楼道议事会清理堆物")):
        assert app.client.post(f"{API}/cases", params={"status": "published"}, json=_case(cid, title), headers=ed).status_code == 201
    assert app.client.post(f"{API}/cases/{b}/unpublish", headers=ed).status_code == 200
    assert app.client.post(f"{API}/cases/{b}/publish", headers=ed).status_code == 200
    _search_works(app, [a, b])
    ids = [r["case_id"] for r in app.client.post(f"{API}/recommend", json={"text": "鹊桥议事化解晾衣杆纠纷", "top": 5}).json()["results"]]
    assert a in ids


def test_create_delete_create_keeps_search_up(app: Api) -> None:
    ed = app.auth("editor")
    f, g = _ids(app, "REG-F", "REG-G")
    _search_works(app, [])
    assert app.client.post(f"{API}/cases", params={"status": "published"}, json=_case(f, "积分超市换文明"), headers=ed).status_code == 201
    assert app.client.delete(f"{API}/cases/{f}", headers=ed).status_code == 204
    assert app.client.post(f"{API}/cases", params={"status": "published"}, json=_case(g, "楼道议事会清理堆物"), headers=ed).status_code == 201
    _search_works(app, [g])
    ids = [r["case_id"] for r in app.client.post(f"{API}/recommend", json={"text": "积分超市换文明", "top": 20}).json()["results"]]
    assert f not in ids
