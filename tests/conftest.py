"""Shared fixtures. Tests run against real files under tmp_path; nothing here is mocked."""

from __future__ import annotations

from pg_database import fresh_pg_database

import json
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest

from zhili.cases import Case, case_from_record
from zhili.config import BUNDLED_CASES


@lru_cache(maxsize=1)
def _bundled() -> tuple[Case, ...]:
    lines = BUNDLED_CASES.read_text(encoding="utf-8").splitlines()
    return tuple(case_from_record(json.loads(line)) for line in lines if line.strip())


@pytest.fixture
def bundled_cases() -> list[Case]:
    """The 223 bundled cases, as fresh copies a test may change."""
    return [c.model_copy(deep=True) for c in _bundled()]


@pytest.fixture
def zhili_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace (ZHILI_HOME) for this test; the case store lands in it as zhili.db."""
    home = tmp_path / "zhili-home"
    home.mkdir()
    monkeypatch.setenv("ZHILI_HOME", str(home))
    monkeypatch.delenv("ZHILI_DB_URL", raising=False)
    return home


PG_URL_ENV = "ZHILI_TEST_PG_URL"
REQUIRE_PG_ENV = "ZHILI_REQUIRE_PG"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once per backend: the test runs on SQLite and on PostgreSQL.

    - "sqlite": a new file in tmp_path.
    - "postgresql": a brand-new database on the server at $ZHILI_TEST_PG_URL (a role with
      CREATEDB, e.g. postgresql+psycopg://zhili:zhili@127.0.0.1:54329/zhili), dropped after the
      test. Without that variable the case is skipped — unless ZHILI_REQUIRE_PG=1 (set by
      .ci/run), then it fails, so CI can never pass by silently skipping PostgreSQL.

    Open it with `Store.open(db_url)` / `CaseStore.open(db_url)` (migrates and seeds the bundled
    cases) and close the store before the test ends.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'zhili-test.db'}"
        return
    base = os.environ.get(PG_URL_ENV)
    if not base:
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail(f"{REQUIRE_PG_ENV}=1 but {PG_URL_ENV} is not set")
        pytest.skip(f"PostgreSQL not configured: set {PG_URL_ENV} (.ci/run starts a server and sets it)")
    yield from fresh_pg_database(base)
