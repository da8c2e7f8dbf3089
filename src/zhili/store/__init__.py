"""Workspace storage: the case library in SQL (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import os
from pathlib import Path

from ..cases.model import Case
from .case_store import CaseStore, ImportSummary
from .schema import DB_URL_ENV, default_url, make_engine


def load_library(path: str | os.PathLike[str] | None = None) -> list[Case]:
    """Cases to match against: an external corpus file when given (benchmarks; nothing is stored),
    else the workspace library (seeded with the bundled cases on first use)."""
    if path is not None:
        from ..cases.io import read_cases

        return read_cases(Path(path))
    with CaseStore.open() as store:
        return store.all()


__all__ = ["CaseStore", "ImportSummary", "load_library", "default_url", "make_engine", "DB_URL_ENV"]
