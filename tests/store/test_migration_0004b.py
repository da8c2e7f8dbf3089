"""Migration 0004b (backlog) on a database left at 0003 with logged queries, domains and feedback."""

from __future__ import annotations

import importlib.util
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import inspect, text

from zhili.store import Store, migrate
from zhili.store.migrate import MIGRATIONS_DIR
from zhili.store.queries import text_key
from zhili.store.schema import make_engine

AT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
OLD_QUERIES = [  # (id, masked text as 0003 stored it, province filter, no_fit)
    ("q1", "杭州市小区加装电梯，一楼反对？", "", True),
    ("q2", "杭州市小区加装电梯 一楼反对", "", True),
    ("q3", "小区停车难，联系电话138****5678", "江苏", True),
    ("q4", "asdf 12345", "", True),
    ("q5", "农村彩礼过高", "", False),
]


def _at_0003(url: str) -> None:
    """A database migrated to 0003 only, holding what a 0003 build would have written."""
    engine = make_engine(url)
    migrate.upgrade(engine, "0003")
    with engine.begin() as conn:
        for qid, body, province, no_fit in OLD_QUERIES:
            conn.execute(text('INSERT INTO query_log (id, created_at, day, "user", text, filters, province, level, '
                              "no_fit, fit_score, top_case_ids) VALUES (:i, :t, '2026-12-01', NULL, :x, :f, :p, '', "
                              ":n, 0.5, :c)"),
                         {"i": qid, "t": AT, "x": body, "f": "{}", "p": province, "n": no_fit, "c": "[]"})
            conn.execute(text("INSERT INTO query_domains (query_id, domain, day) VALUES (:i, '加装电梯', '2026-12-01')"),
                         {"i": qid})
        conn.execute(text("INSERT INTO feedback (query_id, case_id, verdict, \"user\", created_at) "
                          "VALUES ('q1', 'case-0001', 'helpful', NULL, :t)"), {"t": AT})
    engine.dispose()


def test_a_0003_database_gets_keys_and_regions_for_its_old_queries(db_url: str, zhili_home: Path) -> None:
    _at_0003(db_url)
    with Store.open(db_url, seed=False) as store:
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()
            rows = {r.id: r for r in conn.execute(text("SELECT id, text_key, region, verdict FROM query_log"))}
        assert rows["q1"].text_key == rows["q2"].text_key == text_key(OLD_QUERIES[0][1]) != ""
        assert rows["q4"].text_key == ""  # gibberish: never a backlog item
        assert (rows["q1"].region, rows["q3"].region, rows["q5"].region) == ("浙江", "", "")
        assert all(r.verdict is None for r in rows.values())
        items = store.queries.backlog(3660)
        assert [(i.count, i.place) for i in items] == [(2, "浙江"), (1, "江苏")]  # q1+q2 once; q4, q5 not
        assert items[0].text in (OLD_QUERIES[0][1], OLD_QUERIES[1][1])
        assert store.feedback.summary() == {"adopted": 0, "helpful": 1, "irrelevant": 0}
        assert "query_backlog" in inspect(store.engine).get_table_names()


def test_0004b_downgrades_to_0003_keeping_queries_domains_and_feedback(db_url: str, zhili_home: Path) -> None:
    _at_0003(db_url)
    with Store.open(db_url, seed=False) as store:
        key = store.queries.backlog(3660)[0].key
        store.queries.set_backlog_status(key, "added", "editor1")
        migrate.downgrade(store.engine, "0003")
        insp = inspect(store.engine)
        assert "query_backlog" not in insp.get_table_names()
        assert not {"verdict", "text_key", "region"} & {c["name"] for c in insp.get_columns("query_log")}
        with store.engine.connect() as conn:  # columns dropped in place: nothing cascaded away
            counts = [conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                      for t in ("query_log", "query_domains", "feedback")]
            assert counts == [5, 5, 1]
            assert conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar_one() == "3"
    with Store.open(db_url, seed=False) as store:  # and up again: keys recomputed, status gone with its table
        assert store.queries.backlog_counts(3660) == {"open": 2, "added": 0, "dropped": 0}


def test_the_migration_keys_texts_exactly_like_the_store() -> None:
    """0004b keeps a frozen copy of `text_key`; until a later migration re-keys rows they must agree."""
    path = next(MIGRATIONS_DIR.glob("versions/0004b_*.py"))
    spec = importlib.util.spec_from_file_location("m0004b", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    samples = ["小区加装电梯，一楼反对？", " 小区加装电梯 一楼反对 ", "ＡＢＣ加装电梯！", "电话：138****5678 小区停车难",
               "来电人张**反映物业不作为", "asdf 12345", "", "？？", "Ｆｕｌｌ　ｗｉｄｔｈ 楼道堆物", "老\u3000旧\t小区"]
    assert [module._key(s) for s in samples] == [text_key(s) for s in samples]
