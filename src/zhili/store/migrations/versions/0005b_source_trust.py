"""Case sources gain a publisher and a trust level (官方发布 / 主流媒体 / 转载（待核实）).

Revision ID: 0005b
Revises: 0005c
Create Date: 2027-02-10

The source lives inside each case's JSON payload, so this is a data migration on both SQLite
and PostgreSQL: every payload's `source` gets `publisher` (from the publisher list when the
link's site is listed by name, else left empty for an editor to fill) and `trust` (from the
list; unlisted sites are 转载（待核实）), and the row's `content_hash` is recomputed so the
stored hash keeps matching the case (the index and import compare them).

A workspace seeded from an older bundled library holds its messy sources (“seed article: …”,
mirror titles). A stored case whose content is the bundled case's, whose link and date are the
bundled ones and whose source title still contains the cleaned title — an untouched seed — takes
the cleaned bundled source, with an audit row (user `migration:0005b`) so the change shows in its
history; a case an editor changed keeps its own source. Nothing else in a payload changes.
Downgrade removes the two keys again (adopted sources keep their cleaned title and date).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005b"
down_revision = "0005c"  # re-chained after 0005c (rule drafts)
branch_labels = None
depends_on = None

BATCH = 500
GENERIC = {"gov.cn"}  # list entries that give a kind but no specific publisher name


def _cases() -> sa.Table:
    dialect = op.get_bind().dialect.name
    payload_type: Any = sa.JSON()
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        payload_type = JSONB()
    return sa.table("cases", sa.column("id", sa.String), sa.column("payload", payload_type),
                    sa.column("content_hash", sa.String), sa.column("status", sa.String))


def _payload(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, (str, bytes)) else dict(value)


def _hash(payload: dict[str, Any]) -> str:
    """The model's content hash (`Case.content_hash`) of a payload."""
    from zhili.cases.model import stored_case

    return stored_case(payload).content_hash()


def _rewrite(change: Any) -> None:
    conn = op.get_bind()
    cases = _cases()
    rows = conn.execute(sa.select(cases.c.id, cases.c.payload, cases.c.status)).all()
    for start in range(0, len(rows), BATCH):
        updates, audits = [], []
        for cid, raw, status in rows[start:start + BATCH]:
            before = _payload(raw)
            payload, adopted = change(cid, before)
            updates.append({"b_id": cid, "b_payload": payload, "b_hash": _hash(payload)})
            if adopted:
                audits.append({"kind": "case", "case_id": cid, "action": "update", "user": "migration:0005b",
                               "at": datetime.now(timezone.utc), "before": {"status": status, "case": before},
                               "after": {"status": status, "case": payload}})
        if updates:
            conn.execute(sa.update(cases).where(cases.c.id == sa.bindparam("b_id"))
                         .values(payload=sa.bindparam("b_payload"), content_hash=sa.bindparam("b_hash")),
                         updates)
        if audits:
            conn.execute(sa.insert(_audit()), audits)


def _audit() -> sa.Table:
    json_type: Any = sa.JSON()
    if op.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        json_type = JSONB()
    return sa.table("audit_log", sa.column("kind", sa.String), sa.column("case_id", sa.String),
                    sa.column("action", sa.String), sa.column("user", sa.String),
                    sa.column("at", sa.DateTime(timezone=True)), sa.column("before", json_type),
                    sa.column("after", json_type))


_BUNDLED: dict[str, dict[str, Any]] | None = None


def _bundled() -> dict[str, dict[str, Any]]:
    """The bundled library as payloads (read once per migration run)."""
    global _BUNDLED
    if _BUNDLED is None:
        from zhili.cases.io import read_cases
        from zhili.config import BUNDLED_CASES

        _BUNDLED = {c.id: c.model_dump(mode="json") for c in read_cases(BUNDLED_CASES)}
    return _BUNDLED


def _untouched_seed(cid: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The cleaned bundled source when `payload` is a bundled case as an older build seeded it."""
    seed = _bundled().get(cid)
    if seed is None:
        return None
    old = payload.get("source") or {}
    new = seed["source"]
    rest = {k: v for k, v in payload.items() if k != "source"}
    if rest != {k: v for k, v in seed.items() if k != "source"}:
        return None  # an editor changed the case: keep its source as it is
    if old.get("publisher") or old.get("url", "") != new["url"] or old.get("date", "") != new["date"]:
        return None
    if not new["title"] or new["title"] not in str(old.get("title", "")):
        return None
    return dict(new)


def _add(cid: str, payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    from zhili.cases import sources

    cleaned = _untouched_seed(cid, payload)
    if cleaned is not None:
        return {**payload, "source": cleaned}, cleaned != payload.get("source")
    source = dict(payload.get("source") or {})
    url = str(source.get("url") or "")
    publisher = str(source.get("publisher") or "")
    if not publisher and url:
        entry = sources.listed(url)
        if entry is not None and entry.domain not in GENERIC:
            publisher = entry.name
    source["publisher"] = publisher
    if not source.get("trust") and (url or publisher or source.get("title")):
        source["trust"] = sources.trust_of(url, publisher)
    source.setdefault("trust", "")
    return {**payload, "source": source}, False


def _drop(payload: dict[str, Any]) -> dict[str, Any]:
    source = {k: v for k, v in (payload.get("source") or {}).items() if k not in ("publisher", "trust")}
    return {**payload, "source": source}


def upgrade() -> None:
    _rewrite(_add)


def downgrade() -> None:
    """Back to 0004f: the publisher and trust keys go; the hash is that of the older payload shape."""
    conn = op.get_bind()
    cases = _cases()
    rows = conn.execute(sa.select(cases.c.id, cases.c.payload)).all()
    for cid, raw in rows:
        payload = _drop(_payload(raw))
        digest = hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True)
                                .encode("utf-8")).hexdigest()[:16]
        conn.execute(sa.update(cases).where(cases.c.id == cid).values(payload=payload, content_hash=digest))
