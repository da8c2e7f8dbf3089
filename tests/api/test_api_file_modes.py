"""Issue 9: the workspace is owner-only: folder 0700; database, WAL/SHM and uploads 0600, both
when zhili creates them and when an older build left them readable by everyone."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from api_helpers import Api, new_case

from fastapi.testclient import TestClient

from zhili.app import create_app
from zhili.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "workspace"
    monkeypatch.setenv("ZHILI_HOME", str(path))
    monkeypatch.delenv("ZHILI_DB_URL", raising=False)
    return path


def _write_something(store: Store) -> None:
    from zhili.cases import Case

    store.cases.create(Case.model_validate(new_case("权限测试")), user="tester")


def test_a_new_workspace_is_owner_only(home: Path) -> None:
    """The app as `zhili serve` builds it, on the default database (zhili.db in the workspace)."""
    with TestClient(create_app()) as client:
        resp = client.post("/api/v1/recommend", json={"text": "老旧小区加装电梯", "top": 1})
        assert resp.status_code == 200  # the query log was written: the WAL exists
        db = home / "zhili.db"
        assert mode(home) == 0o700 and mode(db) == 0o600
        sides = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
        assert all(p.exists() for p in sides)  # WAL mode: both exist while the store is open
        assert [mode(p) for p in sides] == [0o600, 0o600]


def test_files_an_older_build_left_readable_are_tightened(home: Path) -> None:
    with Store.open() as store:
        _write_something(store)
    home.chmod(0o755)
    for p in home.glob("zhili.db*"):
        p.chmod(0o644)
    with Store.open() as store:
        assert mode(home) == 0o700
        assert {p.name: mode(p) for p in home.glob("zhili.db*")} == {p.name: 0o600 for p in home.glob("zhili.db*")}
        assert store.cases.count() > 0


def test_a_database_outside_the_workspace_is_owner_only(tmp_path: Path, home: Path) -> None:
    db = tmp_path / "srv" / "zhili" / "cases.db"
    with Store.open(f"sqlite:///{db}") as store:
        _write_something(store)
        assert mode(db.parent) == 0o700 and mode(db) == 0o600
        assert mode(db.with_name("cases.db-wal")) == 0o600


def test_uploads_held_for_review_are_owner_only(api: Api) -> None:
    """Through the real app: the web import keeps the file until it is confirmed."""
    client, _ = api.session("editor")
    page = client.get("/admin/import", headers={"accept": "text/html"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    uploads = api.home / "uploads"
    if uploads.exists():
        uploads.chmod(0o755)  # as an older build left it
    data = "编号,标题\nperm-1,权限测试案例\n".encode()
    resp = client.post("/admin/import", data={"csrf_token": csrf}, files={"file": ("案例.csv", data, "text/csv")})
    assert resp.status_code == 200, resp.text
    token = re.search(r'name="token" value="([0-9a-f]{32})"', resp.text).group(1)
    held = sorted(uploads.glob(f"{token}*"))
    assert len(held) == 2 and all(mode(p) == 0o600 for p in held)
    assert mode(uploads) == 0o700 and mode(api.home) == 0o700
