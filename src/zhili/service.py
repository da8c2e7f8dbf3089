"""The long-running side of zhili: one Store plus the Engine that matches its published cases.

A web server answers many requests from many threads while editors change the library, so the
index must follow the database without ever serving a half-built engine:

* every call to `engine()` compares `store.cases.revision()` (cheap) with the revision the
  current engine was built from; on a change it rebuilds (incrementally through
  `Engine.updated` when little changed, else in full through `zhili.wiring`, which reuses cached
  tokens and vectors) and swaps the reference in one assignment — requests already running keep
  the engine they started with;
* writes made through this process call `refresh()` themselves, so a saved case is searchable
  in the very next request; writes by another process are noticed on the next request;
* the bundled embedder is one native model shared by the whole process and not known to be
  thread-safe, so every embedding call (queries, and passages during a rebuild) runs under
  `EMBED_LOCK`.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from . import config, wiring
from .answer import Answer
from .engine import EmptyLibraryError, Engine
from .retrieval.filters import Filters

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger(__name__)

EMBED_LOCK = threading.RLock()
"""Serialises use of the (process-wide, shared) embedding model across request threads."""


@dataclass(frozen=True)
class EngineState:
    """What `health` reports about the serving engine."""

    revision: str | None
    cases: int
    built_at: float | None
    build_seconds: float | None
    incremental: bool
    dense: bool


def _locked(fn: Callable[..., Any], lock: threading.RLock) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return fn(*args, **kwargs)
    return call


def username_of(user: Any) -> str | None:
    """Store calls take a user name; callers may hold a User, a name or nobody."""
    if user is None or isinstance(user, str):
        return user
    return getattr(user, "username", None)


class Service:
    """A Store and the Engine over its published cases, safe to share between request threads."""

    def __init__(self, store: "Store", *, index_dir: Path | None = None,
                 rules_dir: Path | None = None, follow_writes: bool = True) -> None:
        self.store = store
        self.index_dir = index_dir or wiring.index_dir()
        self.rules_dir = rules_dir
        self.follow_writes = follow_writes
        """Rebuild the engine right after each write made here (a server: the next search must
        see it). The CLI turns it off: its next command opens the library afresh anyway."""
        self._engine: Engine | None = None
        self._revision: str | None = None
        self._hashes: dict[str, str] = {}  # id → content hash of what the serving engine matches
        self._reload = threading.Lock()
        self._provinces: tuple[str, list[str]] | None = None  # (store revision, provinces)
        self._rules_marker: tuple[int, str] | None = None  # newest rule version the engine follows
        self.state = EngineState(None, 0, None, None, False, False)
        from .usecases.library import Library

        self.library = Library(self)
        """Reading and writing the case library (`zhili.usecases.library`)."""
        self._assessments: Any = None
        from .ruleedit.service import RuleEditing

        self.rule_edits = RuleEditing(self)  # drafts → review → publish → restore; export, import, replay

    @classmethod
    def open(cls, db_url: str | None = None, **kwargs: Any) -> "Service":
        """Open the store for `db_url` (default: ZHILI_DB_URL or the workspace SQLite file)."""
        from .store import Store

        return cls(Store.open(db_url), **kwargs)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Service":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- the engine
    def engine(self) -> Engine:
        """The engine for the current published library.

        When the library changed, this request rebuilds it — unless another thread is already
        rebuilding, in which case the current engine answers meanwhile (a large library's
        rebuild must not stall every request). Writers call `refresh()`, which waits, so their
        own change is always in the next request.
        """
        current = self._engine
        if current is not None and self.store.cases.revision() == self._revision \
                and self.store.rule_versions.latest() == self._rules_marker:
            return current
        if current is None:
            return self.refresh()
        if not self._reload.acquire(blocking=False):
            return current
        try:
            return self._refresh_locked(force=False)
        finally:
            self._reload.release()

    def refresh(self, force: bool = False) -> Engine:
        """Bring the engine up to the database's revision now (waiting for a rebuild already
        under way); returns the engine in use. A failed rebuild raises and leaves the previous
        engine serving."""
        with self._reload:
            return self._refresh_locked(force)

    def _refresh_locked(self, force: bool) -> Engine:
        """Rebuild if the revision moved (or `force`); the caller holds `_reload`.

        The revision is read before the cases, so a write racing the rebuild only causes one
        more rebuild on the next request, never a stale engine marked current.
        """
        revision = self.store.cases.revision()
        marker = self.store.rule_versions.latest()
        if self._engine is not None and revision == self._revision and not force:
            if marker != self._rules_marker:  # rules published elsewhere: same index, new rules
                self._engine, self._rules_marker = self._with_serving_rules(self._engine), marker
            return self._engine
        start = time.perf_counter()
        engine, hashes, incremental = self._rebuild(self._engine, force)
        if incremental and marker != self._rules_marker:
            engine = self._with_serving_rules(engine)
        self._guard(engine)
        self._engine, self._revision, self._hashes, self._rules_marker = engine, revision, hashes, marker
        self.state = EngineState(revision, len(hashes), time.time(), round(time.perf_counter() - start, 3),
                                 incremental, engine.embedder is not None)
        log.info("engine at revision %s: %d cases (%s, %.3f s)", revision, len(hashes),
                 "incremental" if incremental else "rebuilt", self.state.build_seconds)
        return engine

    def serving_rules_dir(self) -> Path | None:
        """The folder the serving rules load from (a version published in the product, else the
        rules folder); see `zhili.wiring.serving_rules_dir`."""
        return wiring.serving_rules_dir(self.store.rule_versions, self.rules_dir)[0]

    def _with_serving_rules(self, engine: Engine) -> Engine:
        """`engine` with the rules the newest version names (loading raises: the old engine stays)."""
        rules, problem = wiring.load_rules(self.serving_rules_dir())
        fresh = engine.with_rules(rules, problem)
        self._guard(fresh)
        return fresh

    def use_rules(self, rules: Any, marker: tuple[int, str] | None) -> Engine:
        """Switch the serving engine to `rules` (already loaded and checked) in one assignment;
        requests already running keep the engine they started with."""
        with self._reload:
            current = self._engine if self._engine is not None else self._refresh_locked(False)
            fresh = current.with_rules(rules, None)
            self._guard(fresh)
            self._engine, self._rules_marker = fresh, marker
            return fresh

    def _rebuild(self, old: Engine | None, force: bool) -> tuple[Engine, dict[str, str], bool]:
        """A delta update when little changed, else a full build. Returns (engine, id → hash
        of what it matches, whether it was a delta). The hashes come from the hash column
        alone: a library change costs one narrow query, never loading every case."""
        hashes = self.store.cases.published_hashes()
        with EMBED_LOCK:  # new passages are embedded by the same shared model
            if old is not None and not force and hashes:
                engine = self._delta(old, hashes)
                if engine is not None:
                    return engine, hashes, True
            return self._full_build(len(hashes)), hashes, False

    def _full_build(self, published: int) -> Engine:
        """The published library opened as the settings say (`zhili.wiring`), as the CLI does."""
        return wiring.store_engine(self.store.cases, self.index_dir, published=published,
                                   settings=config.MatchSettings.load(),
                                   rules_dir=self.serving_rules_dir())

    def _delta(self, old: Engine, hashes: dict[str, str]) -> Engine | None:
        """`old.updated(changed, removed)`, or None when a full build is the better choice.

        The diff is taken against `self._hashes` (what the serving engine was given), not the
        engine's own case list, which a delta-updated engine need not keep current.
        """
        changed_ids = sorted(cid for cid, h in hashes.items() if self._hashes.get(cid) != h)
        removed = sorted(set(self._hashes) - set(hashes))
        if len(changed_ids) + len(removed) > max(1, len(hashes) // 2):
            return None
        # a case gone (or withdrawn) since the hashes were read is caught by the next revision
        changed = [c for c in map(self.store.cases.get, changed_ids) if c is not None]
        # small libraries are re-indexed exactly or rebuilt — never served from a delta whose
        # BM25 statistics drift from a rebuild's (see `Engine.updated`); the memory-mapped
        # large layout cannot be re-indexed in memory, so it always takes the delta
        exact_only = old.in_memory and len(hashes) < old.settings.exact_update_below
        try:
            return old.updated(changed, removed, exact_only=exact_only)
        except EmptyLibraryError:
            raise
        except Exception:  # noqa: BLE001 - a full build is slower but always right
            log.exception("delta update failed; rebuilding the whole index")
            return None

    @staticmethod
    def _guard(engine: Engine) -> None:
        """Query embedding mutates the engine's query cache and calls the shared model: one at a time."""
        if not getattr(engine.query_vector, "_zhili_locked", False):
            guarded = _locked(engine.query_vector, EMBED_LOCK)
            guarded._zhili_locked = True  # type: ignore[attr-defined]
            engine.query_vector = guarded  # type: ignore[method-assign]
        if not getattr(engine.embed_about, "_zhili_locked", False):
            guarded = _locked(engine.embed_about, EMBED_LOCK)
            guarded._zhili_locked = True  # type: ignore[attr-defined]
            engine.embed_about = guarded  # type: ignore[method-assign]

    # ---------------------------------------------------------------- assessments
    @property
    def assessments(self) -> Any:
        """健康指数 / 能力图谱 use cases (`zhili.assess.usecases.AssessmentService`)."""
        if self._assessments is None:
            from .assess.usecases import AssessmentService

            self._assessments = AssessmentService(self)
        return self._assessments

    # ---------------------------------------------------------------- ingestion
    @functools.cached_property
    def ingest(self) -> Any:
        """案例入库 use cases (`zhili.ingest.service.IngestService`): run, review, publish."""
        from .ingest.service import IngestService

        return IngestService(self)

    # ---------------------------------------------------------------- the library
    def provinces(self) -> list[str]:
        """Distinct non-empty provinces of the published cases (the search page's filter list):
        one query on the store's province column, cached until the library's revision moves —
        never a walk over every case, whatever the backend or the library's size."""
        revision = self.store.cases.revision()
        cached = self._provinces
        if cached is None or cached[0] != revision:
            cached = self._provinces = (revision, self.store.cases.published_provinces())
        return list(cached[1])

    # ---------------------------------------------------------------- answering
    def recommend(self, text: str, top: int = 10, filters: Filters | dict | None = None,
                  user: Any = None, use_rules: bool = True,
                  repeat_window: timedelta | None = None) -> tuple[str, Answer]:
        """Answer a problem and log it (masked, by the store); returns (query id, answer).

        `repeat_window`: when the same user asked the same thing within it (a page refreshed,
        revisited or reopened from a link), that logged query's id is returned and nothing new
        is logged.

        Raises QueryError / EmptyLibraryError from the engine and pydantic's ValidationError for
        bad filters — nothing is logged then.
        """
        filters = filters if isinstance(filters, Filters) else Filters.model_validate(filters or {})
        answer = self.engine().recommend(text, top_k=top, filters=filters, use_rules=use_rules)
        logged = filters.model_dump(exclude_defaults=True)
        name = username_of(user)
        query_id = (self.store.queries.repeat_of(text, logged, name, repeat_window) if repeat_window else None)
        if query_id is None:
            query_id = self.store.queries.record(text, logged, answer, user=name)
        return query_id, answer

    def answer(self, text: str, top: int = 10, filters: Filters | dict | None = None,
               use_rules: bool = True) -> Answer:
        """Answer without logging: the same question again (an export of results already shown)."""
        filters = filters if isinstance(filters, Filters) else Filters.model_validate(filters or {})
        return self.engine().recommend(text, top_k=top, filters=filters, use_rules=use_rules)

    def similar(self, case: Any, n: int = 5) -> list[Any]:
        """The published cases most like `case` (see `zhili.usecases.answers`)."""
        from .usecases.answers import similar_cases

        return similar_cases(self, case, n)

    def brief(self, text: str, top: int = 10, filters: Filters | dict | None = None, fmt: str = "docx",
              author: str | None = None) -> tuple[Answer, bytes]:
        """The 决策参考 (docx or printable html) of a search, not logged again."""
        from .usecases.answers import brief

        answer = self.answer(text, top, filters)
        return answer, brief(answer, fmt, author)  # type: ignore[arg-type]

    def add_feedback(self, query_id: str, case_id: str, verdict: str, user: Any = None) -> int:
        """采纳/有帮助/不相关 on a case shown for a logged query (see `zhili.feedback`)."""
        from .feedback import record_feedback

        return record_feedback(self.store, query_id, case_id, verdict, username_of(user))
