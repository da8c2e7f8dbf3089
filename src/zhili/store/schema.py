"""Tables of the workspace database (current head) and how to get an engine for a database URL.

Generic SQLAlchemy types only, so the same schema runs on SQLite (default) and PostgreSQL.
The tables are *created* by the alembic migrations in `migrations/versions/`; these Table
objects only describe the head revision for queries. Keep both in step.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    true,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, make_url

from ..config import home
from .clock import SQLITE_LOCAL_DAY, sqlite_local_day

SCHEMA_VERSION = 4  # mirrored in meta.schema_version so older zhili builds refuse a newer file
DB_URL_ENV = "ZHILI_DB_URL"
STATUSES = ("draft", "published")
ROLES = ("viewer", "assessor", "editor", "admin")
# viewer < editor < admin for the library; an assessor ranks as a viewer there and, with admins,
# alone sees person-level assessment results (zhili.access.auth.can_assess)
ROLE_RANK = {"viewer": 0, "assessor": 0, "editor": 1, "admin": 2}
VERDICTS = ("adopted", "helpful", "irrelevant")
AUDIT_KINDS = ("case", "user", "assess")

JSONType = JSON().with_variant(JSONB(), "postgresql")
When = DateTime(timezone=True)

metadata = MetaData()

cases_table = Table(
    "cases",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("payload", JSONType, nullable=False),
    Column("content_hash", String(16), nullable=False),
    Column("updated_at", When, nullable=False),
    Column("status", String(16), nullable=False, server_default="published"),
    Column("created_at", When, nullable=True),
    Column("updated_by", String(64), nullable=True),
    # facets copied out of payload so listing/filtering is plain SQL on both databases
    Column("title", String(500), nullable=False, server_default=""),
    Column("province", String(64), nullable=False, server_default=""),
    Column("level", String(16), nullable=False, server_default=""),
    Column("domains", Text, nullable=False, server_default=""),  # "|物业管理|加装电梯|"
    Column("search", Text, nullable=False, server_default=""),   # lower-cased id/title/place/mechanisms
    CheckConstraint("length(id) BETWEEN 1 AND 64", name="ck_cases_id_length"),
    CheckConstraint("length(content_hash) = 16", name="ck_cases_hash_length"),
    CheckConstraint("status IN ('draft', 'published')", name="ck_cases_status"),
    Index("ix_cases_status", "status"),
)

meta_table = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

audit_table = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False, index=True),  # no FK: history outlives the case
    Column("action", String(16), nullable=False),
    # "case": case_id is a case id; "user": it is the user name an account change concerns
    Column("kind", String(8), nullable=False, server_default="case"),
    Column("user", String(64), nullable=True),
    Column("at", When, nullable=False),
    Column("before", JSONType, nullable=True),
    Column("after", JSONType, nullable=True),
)

users_table = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", When, nullable=False),
    # NFKC + casefold of username (see usernames.py): look-alike names collide here, in the database
    Column("username_key", String(192), nullable=False),
    CheckConstraint("role IN ('viewer', 'assessor', 'editor', 'admin')", name="ck_users_role"),
    Index("uq_users_username_key", "username_key", unique=True),
)

sessions_table = Table(
    "user_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 hex of the id in the signed cookie
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", When, nullable=False),
    Column("last_seen_at", When, nullable=False, index=True),
)

tokens_table = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex; plain token never stored
    Column("created_at", When, nullable=False),
    Column("last_used_at", When, nullable=True),
    Column("revoked_at", When, nullable=True),
    Column("expires_at", When, nullable=True),  # None: issued before tokens expired (migration 0003)
)

query_table = Table(
    "query_log",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("created_at", When, nullable=False),
    # UTC YYYY-MM-DD, kept for older readers; statistics bucket created_at by the configured time zone
    Column("day", String(10), nullable=False, index=True),
    Column("user", String(64), nullable=True),
    Column("text", Text, nullable=False),  # masked by zhili.privacy.mask before it gets here
    Column("filters", JSONType, nullable=False),
    Column("province", String(64), nullable=False, server_default=""),
    Column("level", String(16), nullable=False, server_default=""),
    Column("no_fit", Boolean, nullable=False),
    Column("fit_score", Float, nullable=False),
    Column("top_case_ids", JSONType, nullable=False),
    Column("verdict", String(16), nullable=True),  # the answer's verdict ("off_topic" …); NULL before 0004b
    Column("text_key", String(32), nullable=False, server_default=""),  # see queries.text_key: the backlog's dedup key
    Column("region", String(64), nullable=False, server_default=""),  # province named in the text, "" if none
    Index("ix_query_log_text_key", "text_key"),
    Index("ix_query_log_created_at", "created_at"),
)

BACKLOG_STATUSES = ("open", "added", "dropped")  # 待收集 / 已补充 / 不处理

backlog_table = Table(
    "query_backlog",
    metadata,
    Column("text_key", String(32), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("updated_at", When, nullable=False),
    Column("updated_by", String(64), nullable=True),
    CheckConstraint("status IN ('open', 'added', 'dropped')", name="ck_query_backlog_status"),
)

query_domains_table = Table(
    "query_domains",
    metadata,
    Column("query_id", String(32), ForeignKey("query_log.id", ondelete="CASCADE"), primary_key=True),
    Column("domain", String(64), primary_key=True),
    Column("day", String(10), nullable=False),
    Index("ix_query_domains_day", "day"),
)

feedback_table = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("query_id", String(32), ForeignKey("query_log.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("case_id", String(64), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("user", String(64), nullable=True),
    Column("created_at", When, nullable=False),
    CheckConstraint("verdict IN ('adopted', 'helpful', 'irrelevant')", name="ck_feedback_verdict"),
)

favorites_table = Table(
    "favorites",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # no FK to cases: a withdrawn or deleted case stays on the list, marked, until its owner removes it
    Column("case_id", String(64), primary_key=True),
    Column("created_at", When, nullable=False),
    Index("ix_favorites_user_created", "user_id", "created_at"),
)

assessment_records_table = Table(
    "assessment_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pack", String(32), nullable=False),
    Column("unit", String(64), nullable=False),
    Column("period", String(16), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("region", String(64), nullable=False, server_default=""),
    Column("post", String(64), nullable=False, server_default=""),
    Column("values", JSONType, nullable=False),  # {"H01": 98.0, …}
    Column("updated_at", When, nullable=False),
    Column("updated_by", String(64), nullable=True),
    UniqueConstraint("pack", "unit", "period", name="uq_assessment_records_unit_period"),
    Index("ix_assessment_records_pack_period", "pack", "period"),
)

rule_versions_table = Table(
    "rule_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, index=True),
    Column("created_at", When, nullable=False),
    Column("user", String(64), nullable=True),
    Column("packs", JSONType, nullable=False),  # [{"id", "title", "sha256"}]
    Column("files", JSONType, nullable=False),  # {"01-classify/pack.json": text, …}: enough to restore
    # why it was published, from which draft, who approved it, and whether it now serves
    # ("product": published from a draft or restored — it serves; "folder": a record of the rules
    # folder, which then serves itself)
    Column("note", Text, nullable=False, server_default=""),
    Column("origin", String(8), nullable=False, server_default="folder"),
    Column("draft_id", Integer, nullable=True),
    Column("approved_by", String(64), nullable=True),
    Column("restored_from", Integer, nullable=True),
)

rule_drafts_table = Table(
    "rule_drafts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # editing / submitted / approved / published / discarded
    Column("base_version", Integer, nullable=True),  # the published version it started from
    Column("files", JSONType, nullable=False),       # {"01-classify/classify.json": text, …}
    Column("note", Text, nullable=False, server_default=""),
    Column("approved_by", String(64), nullable=True),
    Column("created_at", When, nullable=False),
    Column("updated_at", When, nullable=False),
    Column("revision", Integer, nullable=False, server_default="1"),  # bumps on every save (stale-write check)
    CheckConstraint("status IN ('editing', 'submitted', 'approved', 'published', 'discarded')",
                    name="ck_rule_drafts_status"),
)


ingest_batches_table = Table(
    "ingest_batches",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", When, nullable=False),
    Column("created_by", String(64), nullable=True),
    Column("status", String(16), nullable=False, server_default="review"),
    CheckConstraint("status IN ('review', 'published')", name="ck_ingest_batches_status"),
)

ingest_documents_table = Table(
    "ingest_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(32), ForeignKey("ingest_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("format", String(8), nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("size", Integer, nullable=False),
    Column("pages", Integer, nullable=False, server_default="1"),
    Column("content", LargeBinary, nullable=False),  # the original file, for reviewers and readers
    Column("text", Text, nullable=False),  # extracted plain text: every provenance offset indexes it
)

INGEST_STATES = ("draft", "accepted", "held", "rejected", "published")

ingest_drafts_table = Table(
    "ingest_drafts",
    metadata,
    Column("case_id", String(64), primary_key=True),  # no FK: a held-back duplicate is not in `cases`
    Column("batch_id", String(32), ForeignKey("ingest_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("document_id", Integer, ForeignKey("ingest_documents.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("payload", JSONType, nullable=False),
    Column("provenance", JSONType, nullable=False),
    Column("duplicates", JSONType, nullable=False),
    Column("notes", JSONType, nullable=False),
    Column("segment_start", Integer, nullable=False),
    Column("segment_end", Integer, nullable=False),
    CheckConstraint("state IN ('draft', 'accepted', 'held', 'rejected', 'published')", name="ck_ingest_drafts_state"),
)


def default_url() -> URL:
    """ZHILI_DB_URL when set, else a SQLite file `zhili.db` in the workspace."""
    env = os.environ.get(DB_URL_ENV)
    if env:
        return make_url(env)
    return URL.create("sqlite", database=str(home() / "zhili.db"))


def _sqlite_real_transactions(engine: Engine) -> None:
    """Let SQLite transactions cover DDL and start at BEGIN (pysqlite's defaults do neither).

    Recipe from the SQLAlchemy SQLite dialect docs ("Serializable isolation / Savepoints / Transactional DDL").
    Writers use BEGIN IMMEDIATE so two processes importing at once queue instead of failing midway.
    Foreign keys are off in SQLite unless asked for on every connection. WAL journaling lets
    readers (every request reads the revision) run while a writer commits, and costs one sync
    per commit instead of several — logging a query drops from ~20 ms to a few.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")  # persistent in the file; ignored for :memory:
        cur.close()
        # local calendar day of a stored UTC time (PostgreSQL has timezone(); see clock.local_day)
        dbapi_conn.create_function(SQLITE_LOCAL_DAY, 2, sqlite_local_day, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        write = conn.get_execution_options().get("zhili_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str | URL | None = None) -> Engine:
    """Engine for `url` (default: `default_url()`); SQLite parent folder is created on demand."""
    u = make_url(url) if url is not None else default_url()
    kwargs: dict[str, Any] = {}
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            from pathlib import Path

            from ..private_files import DIR_MODE, private_sqlite

            database = Path(u.database).expanduser()
            database.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            private_sqlite(database)  # 0600, and so are its WAL/SHM files
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True  # a restarted server must not break a long-running service
    engine = create_engine(u, **kwargs)
    if u.get_backend_name() == "sqlite":
        _sqlite_real_transactions(engine)
    return engine
