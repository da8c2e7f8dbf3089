"""Query backlog: verdict, text key and region per logged query; a status per backlog item.

Revision ID: 0004b
Revises: 0003
Create Date: 2027-02-03

* `query_log.verdict`: the answer's verdict when the engine gives one ("fit", "no_fit",
  "off_topic", "empty"); NULL for queries logged before. Off-topic queries stay out of the backlog.
* `query_log.text_key`: sha256 (32 hex) of the masked text normalised (NFKC, case-folded, masked
  runs, whitespace and punctuation dropped), so the backlog counts "加装电梯？" and "加装电梯" once;
  "" for a text with fewer than two Chinese characters (gibberish is never a backlog item).
* `query_log.region`: the province the text names ("" when none), for the statistics when no
  province filter was set.
* `query_backlog`: 待收集 / 已补充 / 不处理 per text key, with who set it and when.
* an index on `query_log.created_at`: statistics now select by local-time day boundaries.

Existing rows get their key from a frozen copy of the normaliser (keys must stay comparable with
what later builds write). Columns are added and dropped in place, never by rebuilding the table
(that would cascade into `query_domains` and `feedback`, see 0003). Their region comes from the gazetteer of the build that migrates: it
is a display-only column, and a better gazetteer should give a better answer.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0004b"
down_revision = "0003"
branch_labels = None
depends_on = None

When = sa.DateTime(timezone=True)
BATCH = 2_000
# a masked run ("138****5678", "张**") with the label before it: who asked is not what was asked
_MASKED = re.compile(r"(?:来电人|来电者|联系人|报告人|姓名)?[:：]?"
                     r"(?:联系电话|联系方式|电话号码|电话|手机号码|手机号|手机|身份证号码|身份证号|身份证|号码)?"
                     r"[:：]?\s*[0-9a-z\u4e00-\u9fff]?[0-9a-z]*\*+[0-9a-z]*")


def _key(text: str) -> str:
    """Frozen copy of zhili.store.queries.text_key at 0004b."""
    t = _MASKED.sub("", unicodedata.normalize("NFKC", text or "").casefold())
    norm = "".join(ch for ch in t if unicodedata.category(ch)[0] not in "PSZC")
    if sum("\u4e00" <= ch <= "\u9fff" for ch in norm) < 2:
        return ""  # no problem a case could answer ("asdf 123", "？？"): never a backlog item
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]


def _backfill() -> None:
    from zhili.gazetteer import province_of

    log = sa.table("query_log", sa.column("id", sa.String), sa.column("text", sa.Text),
                   sa.column("text_key", sa.String), sa.column("region", sa.String))
    bind = op.get_bind()
    stmt = (sa.update(log).where(log.c.id == sa.bindparam("b_id"))
            .values(text_key=sa.bindparam("b_key"), region=sa.bindparam("b_region")))
    last = ""
    while True:
        rows = bind.execute(sa.select(log.c.id, log.c.text).where(log.c.id > last)
                            .order_by(log.c.id).limit(BATCH)).all()
        if not rows:
            return
        bind.execute(stmt, [{"b_id": qid, "b_key": _key(text), "b_region": province_of(text or "")[:64]}
                            for qid, text in rows])
        last = rows[-1][0]


def _set_schema_version(value: str) -> None:
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.get_bind().execute(sa.update(meta).where(meta.c.key == "schema_version").values(value=value))


def upgrade() -> None:
    op.add_column("query_log", sa.Column("verdict", sa.String(16), nullable=True))
    op.add_column("query_log", sa.Column("text_key", sa.String(32), nullable=False, server_default=""))
    op.add_column("query_log", sa.Column("region", sa.String(64), nullable=False, server_default=""))
    _backfill()
    op.create_index("ix_query_log_text_key", "query_log", ["text_key"])
    op.create_index("ix_query_log_created_at", "query_log", ["created_at"])
    op.create_table(
        "query_backlog",
        sa.Column("text_key", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=True),
        sa.CheckConstraint("status IN ('open', 'added', 'dropped')", name="ck_query_backlog_status"),
    )
    _set_schema_version("4")


def downgrade() -> None:
    """Back to 0003: backlog statuses, verdicts, keys and regions go."""
    op.drop_table("query_backlog")
    op.drop_index("ix_query_log_created_at", table_name="query_log")
    op.drop_index("ix_query_log_text_key", table_name="query_log")
    # in place (SQLite >= 3.35), never a table rebuild: dropping query_log would cascade into
    # query_domains and feedback (see 0003)
    for column in ("region", "text_key", "verdict"):
        op.drop_column("query_log", column)
    _set_schema_version("3")
