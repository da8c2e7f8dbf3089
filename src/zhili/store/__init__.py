"""Workspace storage (SQLite by default, PostgreSQL by URL): the case library with drafts and an
audit log, users and API tokens, feedback, the masked query log and rule-pack versions.

The schema is managed by alembic (`migrations/`) and brought up to date whenever a store opens.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..cases.model import Case
from .audit import AuditEntry, AuditLog
from .case_records import CaseRecord
from .case_store import CaseStore, ImportSummary, StatusSummary
from .errors import (
    CaseExistsError,
    CaseIncompleteError,
    CaseNotFoundError,
    LastAdminError,
    QueryNotFoundError,
    StoreError,
    UserExistsError,
    VersionNotFoundError,
    VersionUnusableError,
)
from .favorites import Favorite, FavoriteLimitError, FavoriteStore
from .feedback import FeedbackEntry, FeedbackStore
from .migrate import SchemaTooNewError
from .queries import QueryLog, QueryRecord
from .rule_drafts import RuleDraft, RuleDraftError, RuleDrafts
from .rule_versions import RuleVersion, RuleVersions
from .schema import DB_URL_ENV, default_url, make_engine
from .store import Store
from .sessions import SessionStore
from .users import ApiToken, User, UserStore


def load_library(path: str | os.PathLike[str] | None = None) -> list[Case]:
    """Cases to match against: an external corpus file when given (benchmarks; nothing is stored),
    else the workspace library's *published* cases (seeded with the bundled cases on first use)."""
    if path is not None:
        from ..cases.io import read_cases

        return read_cases(Path(path))
    with CaseStore.open() as store:
        return store.published()


__all__ = [
    "ApiToken", "AuditEntry", "AuditLog", "CaseExistsError", "CaseIncompleteError", "CaseNotFoundError", "CaseRecord", "CaseStore",
    "DB_URL_ENV", "Favorite", "FavoriteLimitError", "FavoriteStore", "FeedbackEntry", "FeedbackStore",
    "ImportSummary", "LastAdminError", "QueryLog", "QueryNotFoundError", "QueryRecord", "RuleDraft", "RuleDraftError", "RuleDrafts", "RuleVersion",
    "RuleVersions", "SchemaTooNewError", "SessionStore", "StatusSummary", "Store", "StoreError", "User",
    "UserExistsError", "UserStore", "VersionNotFoundError", "VersionUnusableError", "default_url",
    "load_library", "make_engine",
]
