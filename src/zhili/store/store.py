"""`Store`: every table of one database behind one object, for the service and the web app."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from .assessments import AssessmentStore
from .audit import AuditLog
from .case_store import CaseStore
from .favorites import FavoriteStore
from .feedback import FeedbackStore
from .ingest import IngestStore
from .queries import QueryLog
from .rule_drafts import RuleDrafts
from .rule_versions import RuleVersions
from .schema import make_engine
from .sessions import SessionStore
from .users import UserStore


class Store:
    """One per database URL, shared by all threads (each call takes its own pooled connection).

    >>> store = Store.open()            # $ZHILI_DB_URL or $ZHILI_HOME/zhili.db; migrates, seeds once
    >>> store.cases.page(status="draft")
    >>> store.close()
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.cases = CaseStore(engine)
        self.audit = AuditLog(engine)
        self.users = UserStore(engine)
        self.sessions = SessionStore(engine)
        self.feedback = FeedbackStore(engine)
        self.favorites = FavoriteStore(engine)
        self.queries = QueryLog(engine)
        self.rule_versions = RuleVersions(engine)
        self.assessments = AssessmentStore(engine)
        self.ingest = IngestStore(engine, self.cases)
        self.rule_drafts = RuleDrafts(engine)

    @classmethod
    def open(cls, url: str | URL | None = None, *, seed: bool = True) -> "Store":
        store = cls(make_engine(url))
        try:
            store.cases.prepare(seed)
        except BaseException:
            store.close()
            raise
        return store

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
