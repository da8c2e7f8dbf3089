"""Shared fixtures. Tests run against real files under tmp_path; nothing here is mocked."""

from __future__ import annotations

import json
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
