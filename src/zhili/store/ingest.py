"""Import batches (案例入库): their original files, extracted text and draft cases.

Every write is one transaction under the case write lock, together with the draft cases it
creates or changes and their audit rows — a batch is stored whole or not at all, and a review
action and its audit entry exist together or not at all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from ..cases.model import Case
from . import audit
from .case_records import payload_of
from .case_store import CaseStore, _row
from .clock import aware, now
from .errors import CaseNotFoundError, StoreError, check_name
from .schema import (
    INGEST_STATES,
    cases_table,
    ingest_batches_table as batches_t,
    ingest_documents_table as docs_t,
    ingest_drafts_table as drafts_t,
)
from .tx import CASES_LOCK, writing


class BatchNotFoundError(StoreError):
    def __init__(self, batch_id: str) -> None:
        super().__init__(f"没有编号为“{batch_id}”的导入批次")


@dataclass(frozen=True)
class Batch:
    id: str
    name: str
    created_at: datetime
    created_by: str | None
    status: str
    documents: int = 0
    drafts: int = 0


@dataclass(frozen=True)
class StoredDocument:
    id: int
    batch_id: str
    position: int
    filename: str
    format: str
    sha256: str
    size: int
    pages: int
    text: str


@dataclass(frozen=True)
class Draft:
    case_id: str
    batch_id: str
    document_id: int
    position: int
    state: str
    payload: dict[str, Any]
    provenance: dict[str, Any]
    duplicates: list[dict[str, Any]]
    notes: list[str]
    segment: tuple[int, int]


def _draft(r: Any) -> Draft:
    return Draft(r.case_id, r.batch_id, r.document_id, r.position, r.state, payload_of(r.payload),
                 payload_of(r.provenance), payload_of(r.duplicates), payload_of(r.notes),
                 (r.segment_start, r.segment_end))


class IngestStore:
    """Batches, documents and drafts; writes share the case store's lock and audit log."""

    def __init__(self, engine: Engine, cases: CaseStore) -> None:
        self.engine = engine
        self.cases = cases

    def _write(self) -> Any:
        return writing(self.engine, CASES_LOCK)

    # ---- reading ----------------------------------------------------------------------------
    def find_file(self, sha256: str) -> tuple[str, str] | None:
        """(batch id, file name) of an already ingested file with this content, else None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(docs_t.c.batch_id, docs_t.c.filename).where(docs_t.c.sha256 == sha256)
                               .limit(1)).first()
        return None if row is None else (row[0], row[1])

    def batches(self, limit: int = 100) -> list[Batch]:
        with self.engine.connect() as conn:
            ndocs = dict(conn.execute(select(docs_t.c.batch_id, func.count()).group_by(docs_t.c.batch_id)).all())
            ndrafts = dict(conn.execute(select(drafts_t.c.batch_id, func.count()).group_by(drafts_t.c.batch_id)).all())
            rows = conn.execute(select(batches_t).order_by(batches_t.c.created_at.desc()).limit(limit)).all()
        return [Batch(r.id, r.name, aware(r.created_at), r.created_by, r.status, ndocs.get(r.id, 0),
                      ndrafts.get(r.id, 0)) for r in rows]

    def batch(self, batch_id: str) -> Batch:
        with self.engine.connect() as conn:
            r = conn.execute(select(batches_t).where(batches_t.c.id == batch_id)).one_or_none()
        if r is None:
            raise BatchNotFoundError(batch_id)
        return Batch(r.id, r.name, aware(r.created_at), r.created_by, r.status)

    def documents(self, batch_id: str) -> list[StoredDocument]:
        cols = [c for c in docs_t.c if c.name != "content"]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*cols).where(docs_t.c.batch_id == batch_id).order_by(docs_t.c.position)).all()
        return [StoredDocument(r.id, r.batch_id, r.position, r.filename, r.format, r.sha256, r.size, r.pages, r.text)
                for r in rows]

    def document_file(self, document_id: int) -> tuple[str, bytes] | None:
        """(file name, original bytes) of a stored document."""
        with self.engine.connect() as conn:
            row = conn.execute(select(docs_t.c.filename, docs_t.c.content).where(docs_t.c.id == document_id)).first()
        return None if row is None else (row[0], bytes(row[1]))

    def drafts(self, batch_id: str) -> list[Draft]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(drafts_t).where(drafts_t.c.batch_id == batch_id)
                                .order_by(drafts_t.c.document_id, drafts_t.c.position)).all()
        return [_draft(r) for r in rows]

    def draft(self, case_id: str) -> Draft | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(drafts_t).where(drafts_t.c.case_id == case_id)).one_or_none()
        return None if r is None else _draft(r)

    def source_of(self, case_id: str) -> tuple[int, str, str] | None:
        """(document id, file name, batch id) a case was ingested from, for the case page."""
        with self.engine.connect() as conn:
            row = conn.execute(select(docs_t.c.id, docs_t.c.filename, docs_t.c.batch_id)
                               .join(drafts_t, drafts_t.c.document_id == docs_t.c.id)
                               .where(drafts_t.c.case_id == case_id)).first()
        return None if row is None else (row[0], row[1], row[2])

    # ---- writing ----------------------------------------------------------------------------
    def save_batch(self, name: str, user: str | None, documents: list[dict[str, Any]],
                   cases: dict[str, Case], held: set[str]) -> str:
        """Store a whole batch in one transaction: the batch, each document (original bytes and
        text), each draft (held ones only as drafts, the rest also as 草稿 cases) and the audit
        rows. `documents`: the pipeline results plus "content" bytes."""
        check_name(user, "用户名")
        batch_id = now().strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)
        at = now()
        with self._write() as conn:
            conn.execute(insert(batches_t).values(id=batch_id, name=(name or batch_id)[:200], created_at=at,
                                                  created_by=user, status="review"))
            audit_rows = []
            for pos, doc in enumerate(documents):
                doc_id = conn.execute(insert(docs_t).values(
                    batch_id=batch_id, position=pos, filename=doc["file"][:255], format=doc["format"][:8],
                    sha256=doc["sha256"], size=len(doc["content"]), pages=doc.get("pages") or 1,
                    content=doc["content"], text=doc["text"]).returning(docs_t.c.id)).scalar_one()
                for n, item in enumerate(doc["cases"]):
                    cid = item["case"]["id"]
                    state = "held" if cid in held else "draft"
                    if state == "draft":
                        if conn.execute(select(cases_table.c.id).where(cases_table.c.id == cid)).first():
                            raise StoreError(f"案例编号“{cid}”已存在，批次未导入")
                        row = _row(cases[cid], "draft", user, at)
                        conn.execute(insert(cases_table).values(created_at=at, **row))
                        audit_rows.append(self.cases._audit_row(cid, "create", user, at, None, row,
                                                                {"ingest_batch": batch_id}))
                    conn.execute(insert(drafts_t).values(
                        case_id=cid, batch_id=batch_id, document_id=doc_id, position=n, state=state,
                        payload=item["case"], provenance=item["provenance"], duplicates=item["duplicates"],
                        notes=item.get("notes", []), segment_start=item["segment"][0], segment_end=item["segment"][1]))
            audit.write(conn, audit_rows)
        return batch_id

    def _get_draft(self, conn: Any, case_id: str) -> Draft:
        r = conn.execute(select(drafts_t).where(drafts_t.c.case_id == case_id)).one_or_none()
        if r is None:
            raise CaseNotFoundError(case_id)
        return _draft(r)

    def edit(self, case: Case, payload: dict[str, Any], user: str | None,
             provenance: dict[str, Any] | None = None) -> None:
        """A reviewer's edit of a draft: the case (audited "update") and the draft's payload."""
        check_name(user, "用户名")
        with self._write() as conn:
            d = self._get_draft(conn, case.id)
            if d.state == "held":
                raise StoreError("这份草稿被判为可能重复，尚未导入；请先选择“仍然导入”")
            if conn.execute(select(cases_table.c.id).where(cases_table.c.id == case.id)).first() is None:
                at = now()  # a rejected draft edited back into review: it becomes a draft case again
                row = _row(case, "draft", user, at)
                conn.execute(insert(cases_table).values(created_at=at, **row))
                audit.write(conn, [self.cases._audit_row(case.id, "create", user, at, None, row,
                                                         {"ingest_batch": d.batch_id})])
            else:
                self.cases._change(conn, case.id, user, case=case, status=None, action="update")
            values: dict[str, Any] = {"payload": payload}
            if provenance is not None:
                values["provenance"] = provenance
            if d.state == "rejected":
                values["state"] = "draft"
            conn.execute(update(drafts_t).where(drafts_t.c.case_id == case.id).values(**values))

    def set_state(self, case_id: str, state: str, user: str | None, case: Case | None = None) -> None:
        """accept / reject / import a held duplicate (state "draft" with `case`), audited."""
        assert state in INGEST_STATES, state
        check_name(user, "用户名")
        with self._write() as conn:
            d = self._get_draft(conn, case_id)
            at = now()
            exists = conn.execute(select(cases_table.c.id).where(cases_table.c.id == case_id)).first() is not None
            if state == "rejected":
                if exists:
                    self.cases._remove(conn, [case_id], user, "remove")
            elif not exists:
                if case is None:
                    raise StoreError(f"草稿“{case_id}”没有可导入的内容")
                row = _row(case, "draft", user, at)
                conn.execute(insert(cases_table).values(created_at=at, **row))
                audit.write(conn, [self.cases._audit_row(case_id, "create", user, at, None, row,
                                                         {"ingest_batch": d.batch_id})])
            audit.write(conn, [{"kind": "case", "case_id": case_id, "action": f"review_{state}"[:16], "user": user,
                                "at": at, "before": {"review": d.state}, "after": {"review": state,
                                                                                  "ingest_batch": d.batch_id}}])
            conn.execute(update(drafts_t).where(drafts_t.c.case_id == case_id).values(state=state))

    def replace_drafts(self, remove: list[str], add: list[tuple[Case, dict[str, Any]]], user: str | None,
                       action: str) -> None:
        """Merge / split: drop `remove` drafts and store `add` (case, draft row values) in one
        transaction; audited as "merge"/"split" plus the case creations and removals."""
        check_name(user, "用户名")
        with self._write() as conn:
            at = now()
            olds = [self._get_draft(conn, cid) for cid in remove]
            existing = [d.case_id for d in olds
                        if conn.execute(select(cases_table.c.id).where(cases_table.c.id == d.case_id)).first()]
            self.cases._remove(conn, existing, user, action)
            conn.execute(delete(drafts_t).where(drafts_t.c.case_id.in_(remove)))
            rows = []
            for case, values in add:
                if conn.execute(select(cases_table.c.id).where(cases_table.c.id == case.id)).first():
                    row = _row(case, "draft", user, at)
                    conn.execute(update(cases_table).where(cases_table.c.id == case.id)
                                 .values(**{k: v for k, v in row.items() if k != "id"}))
                else:
                    row = _row(case, "draft", user, at)
                    conn.execute(insert(cases_table).values(created_at=at, **row))
                rows.append(self.cases._audit_row(case.id, action, user, at, None, row,
                                                  {"from": [d.case_id for d in olds]}))
                conn.execute(insert(drafts_t).values(case_id=case.id, **values))
            audit.write(conn, rows)

    def publish(self, batch_id: str, ids: list[str], user: str | None) -> None:
        """Publish these drafts of a batch (checked by the caller) and mark the batch published."""
        check_name(user, "用户名")
        with self._write() as conn:
            at = now()
            olds = list(self.cases._old_rows(conn, ids))
            for o in olds:
                if o.status != "published":
                    conn.execute(update(cases_table).where(cases_table.c.id == o.id)
                                 .values(status="published", updated_at=at, updated_by=user))
            audit.write(conn, [self.cases._audit_row(o.id, "status", user, at, o,
                                                     {"status": "published", "payload": payload_of(o.payload)},
                                                     {"ingest_batch": batch_id})
                               for o in olds if o.status != "published"])
            conn.execute(update(drafts_t).where(drafts_t.c.case_id.in_(ids)).values(state="published"))
            conn.execute(update(batches_t).where(batches_t.c.id == batch_id).values(status="published"))
            if olds:
                self.cases._bump(conn)

    def delete_batch(self, batch_id: str, user: str | None) -> int:
        """Remove a batch, its stored files and its drafts (草稿 cases it created are deleted,
        audited; cases already published stay in the library). Returns drafts removed."""
        check_name(user, "用户名")
        with self._write() as conn:
            if conn.execute(select(batches_t.c.id).where(batches_t.c.id == batch_id)).first() is None:
                raise BatchNotFoundError(batch_id)
            ids = list(conn.execute(select(drafts_t.c.case_id).where(drafts_t.c.batch_id == batch_id)).scalars())
            drafts = [o.id for o in self.cases._old_rows(conn, ids) if o.status == "draft"]
            removed = self.cases._remove(conn, drafts, user, "remove") if drafts else 0
            conn.execute(delete(drafts_t).where(drafts_t.c.batch_id == batch_id))
            conn.execute(delete(docs_t).where(docs_t.c.batch_id == batch_id))
            conn.execute(delete(batches_t).where(batches_t.c.id == batch_id))
        return removed
