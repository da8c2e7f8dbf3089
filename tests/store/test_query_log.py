"""Query log, statistics and feedback on SQLite and PostgreSQL: masking, identical numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text, update

from zhili.answer import Answer, Result
from zhili.engine import Engine
from zhili.store import QueryNotFoundError, Store
from zhili.store.clock import now
from zhili.store.schema import query_table
from zhili import localtime
from zhili.wiring import cases_engine

PHONE, ID_CARD = "13812345678", "110105199001011234"
RAW = f"小区加装电梯，一楼住户反对，联系电话{PHONE}，身份证{ID_CARD}"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The real engine over the bundled cases (BM25 + rules; no query embedding needed here)."""
    from zhili.cases.io import read_cases
    from zhili.config import BUNDLED_CASES

    return cases_engine(read_cases(BUNDLED_CASES), tmp_path_factory.mktemp("idx") / "library", dense=False)


@pytest.fixture
def store(db_url: str, zhili_home: Path) -> Iterator[Store]:  # own workspace: default [site] timezone
    with Store.open(db_url, seed=False) as s:
        yield s


def _everything(store: Store) -> str:
    """Every row of every table, as text."""
    from sqlalchemy import inspect

    out = []
    with store.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            out.append(repr(conn.execute(text(f'SELECT * FROM "{table}"')).all()))
    return "\n".join(out)


def test_raw_personal_data_never_reaches_the_database(store: Store, engine: Engine, db_url: str) -> None:
    answer = engine.recommend(RAW, top_k=5)
    assert PHONE in answer.query  # the answer itself still carries the raw text …
    qid = store.queries.record(RAW, {"province": ["浙江"], "note": f"回电{PHONE}"}, answer, user="cadre1")
    rec = store.queries.get(qid)
    assert rec is not None and len(qid) == 32
    assert PHONE not in rec.text and ID_CARD not in rec.text and "138****5678" in rec.text
    assert rec.filters["note"] == "回电138****5678"
    assert (rec.province, rec.user, rec.no_fit) == ("浙江", "cadre1", answer.no_fit)
    assert rec.top_case_ids == [r.case_id for r in answer.results] and "加装电梯" in rec.domains
    dump = _everything(store)  # … but nothing of it is stored anywhere
    assert PHONE not in dump and ID_CARD not in dump and "5678" in dump
    store.close()
    if db_url.startswith("sqlite"):  # the file itself, and its write-ahead log if one is left
        path = Path(db_url.removeprefix("sqlite:///"))
        for f in (path, path.with_name(path.name + "-wal")):
            raw = f.read_bytes() if f.exists() else b""
            assert PHONE.encode() not in raw and ID_CARD.encode() not in raw


def _answer(domains: list[str], no_fit: bool, cases: list[str] = ()) -> Answer:  # type: ignore[assignment]
    results = [Result(rank=i + 1, case_id=c, title=c, place="", province="", level="", year=None, score=1.0)
               for i, c in enumerate(cases)]
    return Answer(query="x", normalized_query="x", terms=[], no_fit=no_fit, fit_score=0.2 if no_fit else 0.8,
                  classification={"domains": domains}, results=results)


def test_stats_give_the_same_numbers_on_both_databases(store: Store) -> None:
    q = store.queries
    log = [
        (["加装电梯", "议事协商"], {"province": ["浙江"]}, False),
        (["加装电梯"], {"province": ["浙江"], "level": ["村社区"]}, True),
        (["物业管理"], {"province": ["北京"]}, False),
        (["物业管理", "加装电梯"], {}, True),
        (["垃圾分类"], {"province": ["浙江", "江苏"]}, False),
    ]
    ids = [q.record(f"问题{i}", f, _answer(d, nf)) for i, (d, f, nf) in enumerate(log)]
    with store.engine.begin() as conn:  # one query from long ago falls outside a 30-day window
        conn.execute(update(query_table).where(query_table.c.id == ids[2])
                     .values(created_at=datetime(2020, 1, 1, 3, 0, tzinfo=timezone.utc)))
    today = localtime.today().isoformat()
    stats = q.stats(days=30)
    assert stats.pop("since") <= today
    assert stats == {
        "days": 30, "timezone": "Asia/Shanghai", "total": 4, "no_fit": 2,
        "by_domain": [{"domain": "加装电梯", "count": 3, "no_fit": 2},
                      {"domain": "垃圾分类", "count": 1, "no_fit": 0},
                      {"domain": "物业管理", "count": 1, "no_fit": 1},
                      {"domain": "议事协商", "count": 1, "no_fit": 0}],
        "by_region": [{"province": "浙江", "count": 2, "no_fit": 1},
                      {"province": "多个省份", "count": 1, "no_fit": 0},
                      {"province": "未指定", "count": 1, "no_fit": 1}],
        "by_day": [{"day": today, "count": 4, "no_fit": 2}],
    }
    everything = q.stats(days=3660)
    assert everything["total"] == 5 and everything["by_day"][0] == {"day": "2020-01-01", "count": 1, "no_fit": 0}
    assert [r.id for r in q.no_fit()] == [ids[3], ids[1]]  # newest first
    assert [r.id for r in q.recent(2)] == [ids[4], ids[3]]
    for bad in (0, 3661, "90"):
        with pytest.raises(ValueError, match="统计天数"):
            q.stats(days=bad)  # type: ignore[arg-type]


def test_domains_fall_back_to_top_results_without_rules(store: Store, engine: Engine) -> None:
    answer = engine.recommend("小区物业跑路了，垃圾没人清", top_k=5, use_rules=False)
    assert not answer.classification.get("domains")
    rec = store.queries.get(store.queries.record("小区物业跑路了，垃圾没人清", None, answer))
    assert rec is not None and rec.domains and set(rec.domains) <= {d for r in answer.results for d in r.domains}


def test_feedback_is_tied_to_logged_queries(store: Store) -> None:
    qid = store.queries.record("问题", {}, _answer(["物业管理"], False, ["case-0001", "case-0002"]))
    first = store.feedback.add(qid, "case-0001", "adopted", user="cadre1")
    store.feedback.add(qid, "case-0002", "irrelevant")
    entries = store.feedback.list(qid)
    assert [(e.case_id, e.verdict, e.user) for e in entries] == [("case-0002", "irrelevant", None),
                                                                 ("case-0001", "adopted", "cadre1")]
    assert entries[1].id == first and entries[1].created_at.tzinfo is not None
    assert store.feedback.summary() == {"adopted": 1, "helpful": 0, "irrelevant": 1}
    assert store.feedback.summary("case-0001") == {"adopted": 1, "helpful": 0, "irrelevant": 0}
    with pytest.raises(QueryNotFoundError, match="没有编号"):
        store.feedback.add("0" * 32, "case-0001", "helpful")
    with pytest.raises(ValueError, match="反馈"):
        store.feedback.add(qid, "case-0001", "great")
    with pytest.raises(ValueError, match="案例编号不能为空"):
        store.feedback.add(qid, "", "helpful")
    assert len(store.feedback.list()) == 2


def test_one_store_is_shared_by_threads(store: Store) -> None:
    """The service shares one Store between request threads: concurrent writes and reads all land."""
    from concurrent.futures import ThreadPoolExecutor

    def work(i: int) -> str:
        qid = store.queries.record(f"线程{i}", {}, _answer(["物业管理"], i % 2 == 0))
        store.cases.revision()
        store.feedback.add(qid, "case-0001", "helpful")
        return qid

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(work, range(40)))
    assert len(set(ids)) == 40
    stats = store.queries.stats()
    assert (stats["total"], stats["no_fit"]) == (40, 20)
    assert store.feedback.summary()["helpful"] == 40


def test_my_queries_are_per_user_masked_and_each_question_once(store: Store, engine: Engine) -> None:
    answer = engine.recommend(RAW, top_k=3)
    first = store.queries.record(RAW, {"province": ["浙江"]}, answer, user="cadre1")
    store.queries.record(RAW, {"province": ["浙江"]}, answer, user="cadre1")  # asked again
    other = store.queries.record(RAW, {}, answer, user="cadre1")  # same text, no filter: another question
    store.queries.record("村里彩礼太高", {}, answer, user="cadre2")
    mine = store.queries.by_user("cadre1")
    assert [(q.text.startswith("小区加装电梯"), q.filters) for q in mine] == [(True, {}), (True, {"province": ["浙江"]})]
    assert mine[0].id == other and mine[1].id != first  # the newest of the repeats
    assert all(PHONE not in q.text for q in mine)
    assert [q.text for q in store.queries.by_user("cadre2")] == ["村里彩礼太高"]
    assert store.queries.by_user("nobody") == []


def test_a_repeat_within_the_window_is_found(store: Store, engine: Engine) -> None:
    from datetime import timedelta

    answer = engine.recommend(RAW, top_k=3)
    qid = store.queries.record(RAW, {"province": ["浙江"], "year_from": 2020}, answer, user="cadre1")
    window = timedelta(minutes=30)
    assert store.queries.repeat_of(RAW, {"province": ["浙江"], "year_from": 2020}, "cadre1", window) == qid
    assert store.queries.repeat_of(RAW, {"province": ["浙江"]}, "cadre1", window) is None  # other filters
    assert store.queries.repeat_of(RAW, {"province": ["浙江"], "year_from": 2020}, "cadre2", window) is None
    assert store.queries.repeat_of(RAW, {"province": ["浙江"], "year_from": 2020}, None, window) is None
    assert store.queries.repeat_of(RAW + "。", {"province": ["浙江"], "year_from": 2020}, "cadre1", window) is None
    with store.engine.begin() as conn:  # an hour ago: outside the window
        conn.execute(text("UPDATE query_log SET created_at = :t"), {"t": now() - timedelta(hours=1)})
    assert store.queries.repeat_of(RAW, {"province": ["浙江"], "year_from": 2020}, "cadre1", window) is None
