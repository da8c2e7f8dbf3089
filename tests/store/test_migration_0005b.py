"""Migration 0005b: stored case payloads gain source.publisher and source.trust (from the publisher
list), with content hashes recomputed, on SQLite and PostgreSQL; and back down."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from sqlalchemy import insert, select

from zhili.cases.io import read_cases
from zhili.config import BUNDLED_CASES
from zhili.store import Store, migrate
from zhili.store.facets import facet_columns
from zhili.store.schema import cases_table, make_engine

OLD_SOURCES = {
    "gov": {"title": "某街道加装电梯", "url": "https://www.wuhou.gov.cn/x.html", "date": "2024-05-01"},
    "media": {"title": "某社区议事会", "url": "http://sc.people.com.cn/n2/1.html", "date": "2023"},
    "mirror": {"title": "转来的文章", "url": "http://av069.com/news/1.html", "date": ""},
    "none": {"title": "", "url": "", "date": ""},
}


def _old_payload(cid: str, source: dict) -> dict:
    return {"id": cid, "title": f"{cid} 标题", "province": "四川", "city": "", "district": "", "level": "村社区",
            "year": 2024, "problem": "问题", "practice": "做法", "outcomes": [], "domains": [], "leadership": [],
            "mechanisms": [], "actors": [], "source": source}


def _old_hash(payload: dict) -> str:  # Case.content_hash as builds before 0005b computed it
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def test_0004f_payloads_gain_publisher_and_trust(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0004f")
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        for cid, src in OLD_SOURCES.items():
            p = _old_payload(cid, src)
            conn.execute(insert(cases_table).values(id=cid, payload=p, content_hash=_old_hash(p), status="published",
                                                    updated_at=now, created_at=now, **facet_columns(p)))
    engine.dispose()
    with Store.open(db_url) as store:  # opening migrates to the head (and does not seed: cases exist)
        got = {c.id: c.source for c in store.cases.all()}
        assert got["gov"].trust == "官方发布" and got["gov"].publisher == ""  # generic *.gov.cn: no name
        assert got["media"].trust == "主流媒体" and got["media"].publisher == "人民网四川频道"
        assert got["mirror"].trust == "转载（待核实）"
        assert got["none"].trust == "" and got["none"].publisher == ""
        with store.engine.connect() as conn:
            rows = conn.execute(select(cases_table.c.id, cases_table.c.payload, cases_table.c.content_hash)).all()
        for cid, payload, chash in rows:
            payload = json.loads(payload) if isinstance(payload, str) else payload
            assert set(payload["source"]) == {"publisher", "title", "url", "date", "trust"}
            assert chash == store.cases.get(cid).content_hash()  # the index and imports compare these
        migrate.downgrade(store.engine, "0004f")
        with store.engine.connect() as conn:
            payload = conn.execute(select(cases_table.c.payload).where(cases_table.c.id == "media")).scalar_one()
        payload = json.loads(payload) if isinstance(payload, str) else payload
        assert payload["source"] == OLD_SOURCES["media"]


def test_a_new_database_is_seeded_with_the_cleaned_library(db_url: str) -> None:
    with Store.open(db_url) as store:
        stored = {c.id: c for c in store.cases.all()}
    bundled = read_cases(BUNDLED_CASES)
    assert [stored[c.id] for c in bundled] == bundled


def test_untouched_seeded_cases_take_the_cleaned_sources(db_url: str) -> None:
    """A workspace seeded by an older build: its untouched bundled cases get the cleaned source (with
    an audit row); a bundled case an editor changed keeps the source it had."""
    bundled = {c.id: c.model_dump(mode="json") for c in read_cases(BUNDLED_CASES)}
    seed, mirror, edited = bundled["case-0001"], bundled["case-0035"], bundled["case-0036"]
    old = {
        "case-0001": {**seed, "source": {"title": f"seed article: {seed['source']['title']} (李志明, 2025-05-21)",
                                         "url": "", "date": "2025-05-21"}},
        "case-0035": {**mirror, "source": {"title": f"{mirror['source']['title']}（人民网上海频道）",
                                           "url": mirror["source"]["url"], "date": mirror["source"]["date"]}},
        "case-0036": {**edited, "practice": edited["practice"] + "（编辑补充）",
                      "source": {"title": "编辑写的来源", "url": edited["source"]["url"], "date": ""}},
    }
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0004f")
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        for cid, p in old.items():
            conn.execute(insert(cases_table).values(id=cid, payload=p, content_hash=_old_hash(p), status="published",
                                                    updated_at=now, created_at=now, **facet_columns(p)))
    engine.dispose()
    with Store.open(db_url) as store:
        got = {c.id: c for c in store.cases.all()}
        assert got["case-0001"].source.model_dump() == seed["source"]  # 中国党政干部论坛, 2025-05-21
        assert got["case-0035"].source.model_dump() == mirror["source"]
        assert got["case-0036"].source.title == "编辑写的来源" and got["case-0036"].source.trust == "转载（待核实）"
        (entry,) = store.audit.history("case-0001")
        assert entry.user == "migration:0005b" and entry.before["case"]["source"] == old["case-0001"]["source"]
        assert store.audit.history("case-0036") == []
