"""内置案例更新 over the API and the page: a workspace seeded by an older release (fewer cases,
some texts since corrected) is brought up to the shipped library in one step, admins only,
keeping what its owners changed — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import Api, error_of, make_api

from zhili.cases import Case
from zhili.store import CaseStore

URL = "/api/v1/cases/bundled-update"
OLD = 40  # cases the "older release" shipped


@pytest.fixture
def old_api(db_url: str, tmp_path: Path, bundled_cases: list[Case]) -> Iterator[Api]:
    """A workspace as an older release left it: its seed (anonymous `import` rows at one instant)
    held the first 40 cases, case-0002 with a text corrected since; an editor then changed case-0003."""
    old = bundled_cases[:OLD]
    old[1] = old[1].model_copy(update={"title": "旧版本标题"})
    with CaseStore.open(db_url, seed=False) as cases:
        cases.import_cases(old, user=None)
        with cases.engine.begin() as conn:
            cases._set_meta(conn, "seeded_from", "bundled")
        cases.update(old[2].model_copy(update={"problem": "本地改写"}), "张三")
    yield from make_api(db_url, tmp_path / "home")


def test_an_admin_updates_an_older_workspace(old_api: Api, bundled_cases: list[Case]) -> None:
    c, admin = old_api.client, old_api.auth("admin")
    error_of(c.get(URL), 401)
    error_of(c.get(URL, headers=old_api.auth("editor")), 403)
    error_of(c.post(URL, headers=old_api.auth("editor")), 403)
    plan = c.get(URL, headers=admin).json()
    assert len(plan["added"]) == len(bundled_cases) - OLD
    assert (plan["updated"], plan["edited"], plan["deleted"]) == (["case-0002"], ["case-0003"], [])
    assert old_api.service.store.cases.count() == OLD  # looking changes nothing
    error_of(c.post(f"{URL}?status=live", headers=admin), 422)
    done = c.post(f"{URL}?status=draft", headers=admin).json()
    assert done["added"] == plan["added"] and done["updated"] == ["case-0002"]
    store = old_api.service.store.cases
    assert store.count() == len(bundled_cases)
    assert store.get_record(plan["added"][0]).status == "draft"
    assert store.get("case-0002").title == bundled_cases[1].title
    assert store.get("case-0003").problem == "本地改写"
    assert old_api.service.state.revision == store.revision()  # the engine follows the update
    again = c.get(URL, headers=admin).json()
    assert again["added"] == [] and again["updated"] == [] and again["edited"] == ["case-0003"]


def test_the_page_shows_the_plan_and_applies_it(old_api: Api, bundled_cases: list[Case]) -> None:
    client, _csrf = old_api.session("admin")
    listing = client.get("/admin/cases")
    assert 'data-testid="bundled-pending"' in listing.text and f"新增 {len(bundled_cases) - OLD} 个" in listing.text
    page = client.get("/admin/bundled")
    assert page.status_code == 200
    assert f"新增 {len(bundled_cases) - OLD}，更新 1" in page.text and "case-0003" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    done = client.post("/admin/bundled", data={"csrf_token": token, "status": "published"})
    assert done.status_code == 200 and 'data-testid="bundled-done"' in done.text
    assert "与内置案例库对比：新增 0，更新 0，未变" in done.text and "本地已修改 1" in done.text
    assert old_api.service.store.cases.count("published") == len(bundled_cases)
    assert 'data-testid="bundled-pending"' not in client.get("/admin/cases").text
    viewer, _ = old_api.session("editor")
    assert viewer.get("/admin/bundled").status_code == 403
