"""The case library as stored in the workspace database.

Every write (import, create, update, status change, removal) is one transaction that also writes
its audit rows and, when the published set changes, bumps the `revision` counter — so readers
see the change, its history and the new revision together or not at all. Only *published* cases
are matched (`published()`, `library_hash()`); drafts wait in the editor.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import URL

from ..cases.errors import field_label, validation_messages
from ..cases.model import ID_PATTERN, Case, stored_case
from . import audit, bundled, migrate
from .case_records import CaseRecord, page_query, payload_of, record_of
from .clock import now
from .errors import (
    CaseExistsError,
    CaseNotFoundError,
    VersionNotFoundError,
    VersionUnusableError,
    check_choice,
    check_name,
)
from .facets import facet_columns
from .schema import SCHEMA_VERSION, STATUSES, audit_table, cases_table, make_engine, meta_table
from .tx import CASES_LOCK, writing

FIRST_OPEN_TRIES = 8  # see `CaseStore.prepare`
BATCH = 500  # rows per executemany / IN (...) list; well under SQLite's variable limit
Status = Literal["draft", "published"]
ROW_KEYS = ("payload", "content_hash", "status", "updated_at", "updated_by",
            "title", "province", "level", "domains", "search")  # what a write sets besides id
MAX_BULK = 1_000  # cases per bulk status change (a page of the editor's list is 20)
ID_NUMBER = re.compile(r"^(.*?)(\d+)$")
DEFAULT_ID = ("case-", 4)  # the bundled library's style: case-0001


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


@dataclass(frozen=True)
class StatusSummary:
    """What a bulk publish or withdraw did: the ids changed, those already in that status and
    those not found (in the order asked)."""

    status: str
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def suggest_id(current: Iterable[str], used: Iterable[str] = ()) -> str:
    """The next id in the library's own style: the commonest prefix among `current` ids that end
    in a number, zero-padded to their commonest width (case-0001 … case-0223 → case-0224),
    numbered past every id in `current` and in `used` — ids of deleted cases keep their history
    in the audit log, so they are never handed out again. An empty library starts at case-0001."""
    taken = set(used)
    prefixes: Counter[str] = Counter()
    widths: dict[str, Counter[int]] = {}
    for cid in current:
        taken.add(cid)
        m = ID_NUMBER.match(cid)
        if m:
            prefixes[m.group(1)] += 1
            widths.setdefault(m.group(1), Counter())[len(m.group(2))] += 1
    if prefixes:
        prefix = min(prefixes, key=lambda p: (-prefixes[p], p))
        width = min(widths[prefix], key=lambda w: (-widths[prefix][w], w))
    else:
        prefix, width = DEFAULT_ID
    highest = max((int(m.group(2)) for m in map(ID_NUMBER.match, taken) if m and m.group(1) == prefix),
                  default=0)
    candidate = f"{prefix}{highest + 1:0{width}d}"
    if ID_PATTERN.match(candidate) and candidate not in taken:
        return candidate
    if (prefix, width) != DEFAULT_ID:  # a style that cannot grow (64 characters): the default one
        return suggest_id([], {t for t in taken if t.startswith(DEFAULT_ID[0])})
    raise ValueError("无法生成新的案例编号，请手工填写")


def _batches(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _row(case: Case, status: str, user: str | None, at: Any) -> dict[str, Any]:
    payload = case.model_dump(mode="json")
    return {"id": case.id, "payload": payload, "content_hash": case.content_hash(), "status": status,
            "updated_at": at, "updated_by": user, **facet_columns(payload)}


class CaseStore:
    """Cases in a SQL database (SQLite file by default). Use `CaseStore.open()` or `Store.open()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | URL | None = None, *, seed: bool = True) -> "CaseStore":
        """Open (migrating the schema if needed); a brand-new database is seeded with the bundled cases."""
        store = cls(make_engine(url))
        try:
            store.prepare(seed)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "CaseStore":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _write(self) -> Any:
        """A case write transaction: one writer at a time on SQLite and PostgreSQL alike."""
        return writing(self.engine, CASES_LOCK)

    def prepare(self, seed: bool = True) -> None:
        """Migrate to the current schema, then seed a never-initialised database once.

        Two processes opening the same new SQLite file at once can meet SQLite's "database is
        locked" before the busy timeout applies (switching a fresh file to WAL needs it alone);
        both steps are idempotent, so the opener that lost simply tries again."""
        from sqlalchemy.exc import OperationalError

        for attempt in range(FIRST_OPEN_TRIES):
            try:
                return self._prepare(seed)
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == FIRST_OPEN_TRIES - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _prepare(self, seed: bool) -> None:
        migrate.upgrade(self.engine)
        if self.meta("initialized") is not None:
            return
        with self._write() as conn:
            if self._meta(conn, "initialized") is not None:  # another process got there first
                return
            self._set_meta(conn, "schema_version", str(SCHEMA_VERSION))
            self._set_meta(conn, "initialized", now().isoformat())
            if seed and not conn.execute(select(func.count()).select_from(cases_table)).scalar_one():
                self._update_bundled(conn, None, "published")
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
        """A value from the meta table (schema_version, initialized, last_import, revision, …)."""
        with self.engine.connect() as conn:
            return self._meta(conn, key)

    def revision(self) -> str:
        """Changes whenever the published set changes: one primary-key read, cheap per request."""
        return self.meta("revision") or "0"

    def _bump(self, conn: Connection) -> None:
        """Next revision, inside the writing transaction (which holds the case write lock)."""
        self._set_meta(conn, "revision", str(int(self._meta(conn, "revision") or 0) + 1))

    # ---- reading -----------------------------------------------------------------------------

    def count(self, status: Status | None = None) -> int:
        q = select(func.count()).select_from(cases_table)
        if status is not None:
            q = q.where(cases_table.c.status == check_choice(status, STATUSES, "状态"))
        with self.engine.connect() as conn:
            return conn.execute(q).scalar_one()

    def _cases(self, published_only: bool) -> list[Case]:
        q = select(cases_table.c.payload).order_by(cases_table.c.id)
        if published_only:
            q = q.where(cases_table.c.status == "published")
        with self.engine.connect() as conn:
            return [stored_case(payload_of(p)) for (p,) in conn.execute(q)]

    def all(self) -> list[Case]:
        """Every stored case, drafts included, ordered by id (export, statistics)."""
        return self._cases(published_only=False)

    def published(self) -> list[Case]:
        """The cases that are matched, ordered by id."""
        return self._cases(published_only=True)

    def get(self, case_id: str) -> Case | None:
        """One case, whatever its status."""
        rec = self.get_record(case_id)
        return None if rec is None else rec.case

    def get_record(self, case_id: str) -> CaseRecord | None:
        """One case with its status and provenance."""
        with self.engine.connect() as conn:
            row = conn.execute(select(cases_table).where(cases_table.c.id == case_id)).one_or_none()
        return None if row is None else record_of(row)

    def ids(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(cases_table.c.id).order_by(cases_table.c.id)).scalars())

    def next_id(self) -> str:
        """A free id for a new case in the library's style (see `suggest_id`); never the id of a
        deleted case, whose history stays in the audit log. Only a proposal: `create` still
        refuses an id taken in the meantime."""
        with self.engine.connect() as conn:
            current = list(conn.execute(select(cases_table.c.id)).scalars())
            gone = conn.execute(select(audit_table.c.case_id).where(audit_table.c.kind == "case").distinct())
            return suggest_id(current, gone.scalars())

    def page(self, status: Status | None = None, q: str | None = None, province: str | None = None,
             level: str | None = None, domain: str | None = None, offset: int = 0, limit: int = 20,
             order: Literal["id", "recent"] = "id") -> tuple[list[CaseRecord], int]:
        """One page of cases matching the filters, and how many match in all.

        `q` matches id, title, place, domains and mechanisms (case-insensitive substring);
        `order="recent"` lists the latest changes first.
        """
        if status is not None:
            check_choice(status, STATUSES, "状态")
        rows_q, total_q = page_query(status=status, q=q, province=province, level=level, domain=domain,
                                     offset=offset, limit=limit, order=order)
        with self.engine.connect() as conn:
            total = conn.execute(total_q).scalar_one()
            return [record_of(r) for r in conn.execute(rows_q)], total

    def published_hashes(self) -> dict[str, str]:
        """id → content hash of every published case: one narrow query, so a service can tell
        which cases changed without loading a large library."""
        with self.engine.connect() as conn:
            return dict(conn.execute(select(cases_table.c.id, cases_table.c.content_hash)
                                     .where(cases_table.c.status == "published")).all())

    def published_provinces(self) -> list[str]:
        """Distinct non-empty provinces of the published cases, in name order (one query on
        the province column; the payloads are not read)."""
        q = (select(cases_table.c.province).distinct()
             .where(cases_table.c.status == "published", cases_table.c.province != "")
             .order_by(cases_table.c.province))
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def library_hash(self) -> str:
        """sha256 over the sorted (id, content_hash) of published cases: changes iff the matched library does."""
        h = hashlib.sha256()
        with self.engine.connect() as conn:
            rows = conn.execute(select(cases_table.c.id, cases_table.c.content_hash)
                                .where(cases_table.c.status == "published").order_by(cases_table.c.id))
            for cid, chash in rows:
                h.update(f"{cid}\t{chash}\n".encode("utf-8"))
        return h.hexdigest()

    # ---- single-case editing -----------------------------------------------------------------

    def create(self, case: Case, user: str | None, status: Status = "draft") -> CaseRecord:
        """Add a new case (default: a draft, not yet matched). CaseExistsError if the id is taken."""
        check_choice(status, STATUSES, "状态")
        check_name(user, "用户名")
        row = _row(case, status, user, now())
        with self._write() as conn:
            if conn.execute(select(cases_table.c.id).where(cases_table.c.id == case.id)).first():
                raise CaseExistsError(case.id)
            conn.execute(insert(cases_table).values(created_at=row["updated_at"], **row))
            audit.write(conn, [self._audit_row(case.id, "create", user, row["updated_at"], None, row)])
            if status == "published":
                self._bump(conn)
        return CaseRecord(case, status, row["updated_at"], row["updated_at"], user)

    def update(self, case: Case, user: str | None, status: Status | None = None) -> CaseRecord:
        """Replace a case's content (and optionally its status). CaseNotFoundError if it does not exist."""
        if status is not None:
            check_choice(status, STATUSES, "状态")
        check_name(user, "用户名")
        with self._write() as conn:
            return self._change(conn, case.id, user, case=case, status=status, action="update")

    def set_status(self, case_id: str, status: Status, user: str | None) -> CaseRecord:
        """Publish or withdraw a case."""
        check_choice(status, STATUSES, "状态")
        check_name(user, "用户名")
        with self._write() as conn:
            return self._change(conn, case_id, user, case=None, status=status, action="status")

    def remove(self, case_id: str, user: str | None) -> None:
        """Delete a case (its audit history stays). CaseNotFoundError if it does not exist."""
        check_name(user, "用户名")
        with self._write() as conn:
            if not self._remove(conn, [case_id], user, "remove"):
                raise CaseNotFoundError(case_id)

    def set_status_many(self, ids: Iterable[str], status: Status, user: str | None) -> StatusSummary:
        """Publish or withdraw several cases in one transaction: one audit row ("status") per case
        that changes, one new revision. Cases already in `status` and unknown ids are reported,
        not errors."""
        check_choice(status, STATUSES, "状态")
        check_name(user, "用户名")
        wanted = list(dict.fromkeys(str(i) for i in ids))
        if len(wanted) > MAX_BULK:
            raise ValueError(f"一次最多处理 {MAX_BULK} 个案例，收到 {len(wanted)} 个")
        with self._write() as conn:
            olds = {o.id: o for o in self._old_rows(conn, wanted)}
            changing = [olds[i] for i in wanted if i in olds and olds[i].status != status]
            at = now()
            for chunk in _batches([o.id for o in changing]):
                conn.execute(update(cases_table).where(cases_table.c.id.in_(chunk))
                             .values(status=status, updated_at=at, updated_by=user))
            audit.write(conn, [self._audit_row(o.id, "status", user, at, o,
                                               {"status": status, "payload": payload_of(o.payload)})
                               for o in changing])
            if changing:  # draft ↔ published: the matched set changed
                self._bump(conn)
        return StatusSummary(status, tuple(o.id for o in changing),
                             tuple(i for i in wanted if i in olds and olds[i].status == status),
                             tuple(i for i in wanted if i not in olds))

    def restore(self, case_id: str, entry_id: int, user: str | None, status: Status | None = None) -> CaseRecord:
        """Bring back the version of `case_id` that audit entry `entry_id` recorded (what the case
        looked like right after that change), as a new change: a "restore" audit row whose
        `after` names the entry (`restored_from`). A deleted case is created again.

        `status` None keeps the current status (a deleted case comes back as a draft): restoring
        never publishes by itself. Same content and status as now: nothing is written.
        VersionNotFoundError when the entry is not one of this case's; VersionUnusableError when
        it holds no version (a deletion) or one that today's validation refuses.
        """
        if status is not None:
            check_choice(status, STATUSES, "状态")
        check_name(user, "用户名")
        with self._write() as conn:
            entry = conn.execute(select(audit_table).where(audit_table.c.id == entry_id)).one_or_none()
            if entry is None or entry.kind != "case" or entry.case_id != case_id:
                raise VersionNotFoundError(case_id, entry_id)
            case = self.version_of(case_id, payload_of(entry.after))
            extra = {"restored_from": entry_id}
            if conn.execute(select(cases_table.c.id).where(cases_table.c.id == case_id)).first() is None:
                row = _row(case, status or "draft", user, now())
                conn.execute(insert(cases_table).values(created_at=row["updated_at"], **row))
                audit.write(conn, [self._audit_row(case_id, "restore", user, row["updated_at"], None, row, extra)])
                if row["status"] == "published":
                    self._bump(conn)
                return CaseRecord(case, row["status"], row["updated_at"], row["updated_at"], user)
            return self._change(conn, case_id, user, case=case, status=status, action="restore", extra=extra)

    @staticmethod
    def version_of(case_id: str, snap: Any) -> Case:
        """The case an audit snapshot (`AuditEntry.after`) holds, validated like any write;
        VersionUnusableError when there is none or today's rules refuse it."""
        payload = snap.get("case") if isinstance(snap, dict) else None
        if not isinstance(payload, dict):
            raise VersionUnusableError("这条记录是删除操作，没有可恢复的内容；请选择删除之前的那条记录")
        try:
            case = Case.model_validate(payload)
        except ValidationError as exc:
            reasons = "；".join(f"{field_label(f)}：{m}" if f else m for f, m in validation_messages(exc))
            raise VersionUnusableError(f"这个版本的内容不符合现在的填写要求（{reasons}），不能直接恢复；"
                                       "请在编辑页按要求修改后保存") from None
        if case.id != case_id:
            raise VersionUnusableError(f"这个版本的编号“{case.id}”与案例“{case_id}”不一致，不能恢复")
        return case

    def _change(self, conn: Connection, case_id: str, user: str | None, *, case: Case | None,
                status: str | None, action: str, extra: dict[str, Any] | None = None) -> CaseRecord:
        old = conn.execute(select(cases_table).where(cases_table.c.id == case_id)).one_or_none()
        if old is None:
            raise CaseNotFoundError(case_id)
        before = record_of(old)
        new_case = case if case is not None else before.case
        new_status = status or before.status
        if new_case.content_hash() == old.content_hash and new_status == before.status:
            return before  # nothing changed: no audit row, no new revision
        at = now()
        row = _row(new_case, new_status, user, at)
        conn.execute(update(cases_table).where(cases_table.c.id == case_id).values(**row))
        audit.write(conn, [self._audit_row(case_id, action, user, at, old, row, extra)])
        if "published" in (before.status, new_status):
            self._bump(conn)
        return CaseRecord(new_case, new_status, before.created_at, at, user)

    @staticmethod
    def _audit_row(case_id: str, action: str, user: str | None, at: Any, old: Any, new: Any,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
        def snap(r: Any) -> dict[str, Any] | None:
            if r is None:
                return None
            if isinstance(r, dict):
                return audit.snapshot(r["status"], r["payload"])
            return audit.snapshot(r.status, payload_of(r.payload))

        after = snap(new)
        if after is not None and extra:
            after = {**after, **extra}
        return {"kind": "case", "case_id": case_id, "action": action, "user": user, "at": at,
                "before": snap(old), "after": after}

    # ---- the shipped library -----------------------------------------------------------------

    def bundled_plan(self, bundle: Sequence[Case] | None = None) -> bundled.BundledPlan:
        """What `update_bundled` would do with `bundle` (default: the library this release ships)."""
        with self.engine.connect() as conn:
            return bundled.plan(conn, bundle, self._meta(conn, "seeded_from") == "bundled")

    def update_bundled(self, bundle: Sequence[Case] | None = None,
                       status: Status = "published") -> bundled.BundledPlan:
        """Add the shipped cases this library never had (with `status`) and bring the ones nobody
        here changed to the shipped text, in one transaction; what someone edited or deleted
        stays as it is (see `zhili.store.bundled`). Returns what was done."""
        check_choice(status, STATUSES, "状态")
        with self._write() as conn:
            return self._update_bundled(conn, bundle, status)

    def _update_bundled(self, conn: Connection, bundle: Sequence[Case] | None, status: str) -> bundled.BundledPlan:
        done = bundled.plan(conn, bundle, self._meta(conn, "seeded_from") == "bundled")
        if not done.pending:
            return done
        at = now()
        new_rows = [_row(done.cases[cid], status, None, at) for cid in done.added]
        olds = {o.id: o for o in self._old_rows(conn, list(done.updated))}
        changed_rows = [_row(done.cases[cid], olds[cid].status, None, at) for cid in done.updated]
        self._write_rows(conn, bundled.ACTION, None, at, new_rows, changed_rows, olds)
        self._remove(conn, list(done.retired), None, bundled.ACTION)  # bumps when a published one goes
        if (new_rows and status == "published") or any(r["status"] == "published" for r in changed_rows):
            self._bump(conn)
        return done

    # ---- bulk --------------------------------------------------------------------------------

    def import_cases(self, cases: Iterable[Case], mode: Literal["upsert", "replace"] = "upsert",
                     user: str | None = None, status: Status = "published") -> ImportSummary:
        """Add or update cases in one transaction; "replace" also removes cases not in `cases`.

        New and changed cases get `status`. An unchanged case keeps a published status when
        imported as "draft" (re-importing a spreadsheet for review must not withdraw what is
        already live); imported as "published", an unchanged draft is published (counts as updated). Any failure rolls the whole import back, leaving the
        library, its audit log and its revision as they were.
        """
        if mode not in ("upsert", "replace"):
            raise ValueError(f"未知导入方式“{mode}”，应为 upsert 或 replace")
        check_choice(status, STATUSES, "状态")
        check_name(user, "用户名")
        items = list(cases)
        dups = sorted(cid for cid, n in Counter(c.id for c in items).items() if n > 1)
        if dups:
            raise ValueError(f"导入的案例中编号重复：{'、'.join(dups[:20])}")
        with self._write() as conn:
            summary = self._apply(conn, items, replace=mode == "replace", status=status, user=user)
            self._set_meta(conn, "last_import", now().isoformat())
        return summary

    def delete(self, ids: Iterable[str], user: str | None = None) -> int:
        """Remove cases by id in one transaction; returns how many existed."""
        check_name(user, "用户名")
        with self._write() as conn:
            return self._remove(conn, sorted(set(ids)), user, "remove")

    def _old_rows(self, conn: Connection, ids: Sequence[str]) -> Iterator[Any]:
        for chunk in _batches(ids):
            yield from conn.execute(select(cases_table.c.id, cases_table.c.status, cases_table.c.payload)
                                    .where(cases_table.c.id.in_(chunk)))

    def _remove(self, conn: Connection, ids: Sequence[str], user: str | None, action: str) -> int:
        at = now()
        olds = list(self._old_rows(conn, ids))
        for chunk in _batches([o.id for o in olds]):
            conn.execute(delete(cases_table).where(cases_table.c.id.in_(chunk)))
        audit.write(conn, [self._audit_row(o.id, action, user, at, o, None) for o in olds])
        if any(o.status == "published" for o in olds):
            self._bump(conn)
        return len(olds)

    def _write_rows(self, conn: Connection, action: str, user: str | None, at: Any,
                    new_rows: list[dict[str, Any]], changed_rows: list[dict[str, Any]], olds: dict[str, Any]) -> None:
        """Insert `new_rows`, update `changed_rows` (whose stored rows are `olds`) in batches, and
        write one audit row each — what an import and a bundled update share."""
        for chunk in _batches(new_rows):
            conn.execute(insert(cases_table), [{**r, "created_at": at} for r in chunk])
        stmt = (update(cases_table).where(cases_table.c.id == bindparam("b_id"))
                .values({k: bindparam(f"b_{k}") for k in ROW_KEYS}))
        for chunk in _batches(changed_rows):
            conn.execute(stmt, [{f"b_{k}": v for k, v in r.items()} for r in chunk])
        audit.write(conn, [self._audit_row(r["id"], action, user, at, None, r) for r in new_rows]
                    + [self._audit_row(r["id"], action, user, at, olds[r["id"]], r) for r in changed_rows])

    def _apply(self, conn: Connection, items: list[Case], replace: bool, status: str,
               user: str | None) -> ImportSummary:
        existing = {cid: (h, s) for cid, h, s in conn.execute(
            select(cases_table.c.id, cases_table.c.content_hash, cases_table.c.status))}
        at = now()
        new_rows: list[dict[str, Any]] = []
        changed_rows: list[dict[str, Any]] = []
        unchanged = 0
        for case in items:
            old = existing.get(case.id)
            if old is not None and old[0] == case.content_hash() and status in (old[1], "draft"):
                unchanged += 1
                continue
            (new_rows if old is None else changed_rows).append(_row(case, status, user, at))
        stale = sorted(set(existing) - {c.id for c in items}) if replace else []
        removed = self._remove(conn, stale, user, "import") if stale else 0
        olds = {o.id: o for o in self._old_rows(conn, [r["id"] for r in changed_rows])}
        self._write_rows(conn, "import", user, at, new_rows, changed_rows, olds)
        touched_published = status == "published" or any(existing[r["id"]][1] == "published" for r in changed_rows)
        if (new_rows or changed_rows) and touched_published:
            self._bump(conn)
        return ImportSummary(len(new_rows), len(changed_rows), unchanged, removed)
