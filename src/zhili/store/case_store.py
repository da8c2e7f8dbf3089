"""The case library as stored in the workspace database.

Each import is one transaction: either every case lands or the previous library stays exactly
as it was. `library_hash()` fingerprints the whole library so indexes and caches know when to
rebuild.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import URL

from ..cases.model import Case
from .schema import SCHEMA_VERSION, cases_table, make_engine, meta_table, metadata

BATCH = 500  # rows per executemany / IN (...) list; well under SQLite's variable limit


@dataclass(frozen=True)
class ImportSummary:
    """What an import did, case by case."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        text = f"新增 {self.added}，更新 {self.updated}，未变 {self.unchanged}"
        return text + (f"，删除 {self.removed}" if self.removed else "")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _batches(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class CaseStore:
    """Cases in a SQL database (SQLite file by default). Use `CaseStore.open()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | URL | None = None, *, seed: bool = True) -> "CaseStore":
        """Open (creating tables if needed); a brand-new database is seeded with the bundled cases."""
        store = cls(make_engine(url))
        store._prepare(seed)
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "CaseStore":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _write(self) -> Any:
        """A write transaction (BEGIN IMMEDIATE on SQLite)."""
        return self.engine.execution_options(zhili_write=True).begin()

    def _prepare(self, seed: bool) -> None:
        with self._write() as conn:
            metadata.create_all(conn)
            version = self._meta(conn, "schema_version")
            if version is not None and int(version) > SCHEMA_VERSION:
                raise RuntimeError(f"案例库数据库版本 {version} 比本程序支持的 {SCHEMA_VERSION} 新，请升级 zhili")
            if self._meta(conn, "initialized") is not None:
                return
            # marker first: a second process opening the same new database waits on the lock above
            self._set_meta(conn, "schema_version", str(SCHEMA_VERSION))
            self._set_meta(conn, "initialized", _now().isoformat())
            if seed and not conn.execute(select(func.count()).select_from(cases_table)).scalar_one():
                from ..cases.io import read_cases
                from ..config import BUNDLED_CASES

                self._apply(conn, read_cases(BUNDLED_CASES), replace=False)
                self._set_meta(conn, "seeded_from", "bundled")

    # ---- meta --------------------------------------------------------------------------------

    @staticmethod
    def _meta(conn: Connection, key: str) -> str | None:
        return conn.execute(select(meta_table.c.value).where(meta_table.c.key == key)).scalar_one_or_none()

    @staticmethod
    def _set_meta(conn: Connection, key: str, value: str) -> None:
        done = conn.execute(update(meta_table).where(meta_table.c.key == key).values(value=value))
        if not done.rowcount:
            conn.execute(insert(meta_table).values(key=key, value=value))

    def meta(self, key: str) -> str | None:
        """A value from the meta table (schema_version, initialized, last_import, …)."""
        with self.engine.connect() as conn:
            return self._meta(conn, key)

    # ---- reading -----------------------------------------------------------------------------

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(cases_table)).scalar_one()

    def all(self) -> list[Case]:
        """Every case, ordered by id."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(cases_table.c.payload).order_by(cases_table.c.id))
            return [Case.model_validate(_payload(p)) for (p,) in rows]

    def get(self, case_id: str) -> Case | None:
        with self.engine.connect() as conn:
            p = conn.execute(select(cases_table.c.payload).where(cases_table.c.id == case_id)).scalar_one_or_none()
        return None if p is None else Case.model_validate(_payload(p))

    def ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(cases_table.c.id).order_by(cases_table.c.id)).scalars())

    def library_hash(self) -> str:
        """sha256 over the sorted (id, content_hash) pairs: changes iff some case was added, changed or removed."""
        h = hashlib.sha256()
        with self.engine.connect() as conn:
            rows = conn.execute(select(cases_table.c.id, cases_table.c.content_hash).order_by(cases_table.c.id))
            for cid, chash in rows:
                h.update(f"{cid}\t{chash}\n".encode("utf-8"))
        return h.hexdigest()

    # ---- writing -----------------------------------------------------------------------------

    def import_cases(self, cases: Iterable[Case], mode: Literal["upsert", "replace"] = "upsert") -> ImportSummary:
        """Add or update cases in one transaction; "replace" also removes cases not in `cases`.

        Any failure rolls the whole import back, leaving the library as it was.
        """
        if mode not in ("upsert", "replace"):
            raise ValueError(f"未知导入方式“{mode}”，应为 upsert 或 replace")
        items = list(cases)
        dups = sorted(cid for cid, n in Counter(c.id for c in items).items() if n > 1)
        if dups:
            raise ValueError(f"导入的案例中编号重复：{'、'.join(dups[:20])}")
        with self._write() as conn:
            summary = self._apply(conn, items, replace=mode == "replace")
            self._set_meta(conn, "last_import", _now().isoformat())
        return summary

    def delete(self, ids: Iterable[str]) -> int:
        """Remove cases by id in one transaction; returns how many existed."""
        wanted = sorted(set(ids))
        removed = 0
        with self._write() as conn:
            for chunk in _batches(wanted):
                removed += conn.execute(delete(cases_table).where(cases_table.c.id.in_(chunk))).rowcount
        return removed

    @staticmethod
    def _apply(conn: Connection, items: list[Case], replace: bool) -> ImportSummary:
        existing = dict(conn.execute(select(cases_table.c.id, cases_table.c.content_hash)).all())
        now = _now()
        new_rows: list[dict[str, Any]] = []
        changed_rows: list[dict[str, Any]] = []
        unchanged = 0
        for case in items:
            chash = case.content_hash()
            old = existing.get(case.id)
            if old == chash:
                unchanged += 1
                continue
            row = {"id": case.id, "payload": case.model_dump(mode="json"), "content_hash": chash, "updated_at": now}
            (new_rows if old is None else changed_rows).append(row)
        stale = sorted(set(existing) - {c.id for c in items}) if replace else []
        for chunk in _batches(stale):
            conn.execute(delete(cases_table).where(cases_table.c.id.in_(chunk)))
        for chunk in _batches(new_rows):
            conn.execute(insert(cases_table), list(chunk))
        stmt = (
            update(cases_table)
            .where(cases_table.c.id == bindparam("b_id"))
            .values(payload=bindparam("b_payload"), content_hash=bindparam("b_hash"), updated_at=bindparam("b_at"))
        )
        for chunk in _batches(changed_rows):
            conn.execute(stmt, [
                {"b_id": r["id"], "b_payload": r["payload"], "b_hash": r["content_hash"], "b_at": r["updated_at"]}
                for r in chunk
            ])
        return ImportSummary(len(new_rows), len(changed_rows), unchanged, len(stale))


def _payload(value: Any) -> dict[str, Any]:
    """JSON columns come back as dicts; tolerate a driver that hands back text."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value

