"""Statistics in the configured time zone, the deduplicated backlog with its statuses and exports,
and the region taken from the query text — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import update

from zhili import localtime
from zhili.answer import Answer
from zhili.store import Store
from zhili.store.queries import text_key
from zhili.store.schema import query_table

LATE_EVENING = datetime(2026, 1, 1, 17, 30, tzinfo=timezone.utc)  # 01:30 on 2 January, Beijing time


class VerdictAnswer(Answer):
    """An answer as the no-fit engine gives it: with a verdict ("fit", "no_fit", "off_topic", "empty")."""

    verdict: str | None = None


def _answer(no_fit: bool = True, verdict: str | None = None, domains: tuple[str, ...] = ("加装电梯",)) -> Answer:
    cls, extra = (VerdictAnswer, {"verdict": verdict}) if verdict else (Answer, {})
    return cls(query="x", normalized_query="x", terms=[], no_fit=no_fit, fit_score=0.2 if no_fit else 0.9,
               classification={"domains": list(domains)}, **extra)


@pytest.fixture
def store(db_url: str, zhili_home: Path) -> Iterator[Store]:
    with Store.open(db_url, seed=False) as s:
        yield s


def _at(store: Store, qid: str, when: datetime) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(query_table).where(query_table.c.id == qid).values(created_at=when))


def test_daily_buckets_are_local_days(store: Store, zhili_home: Path) -> None:
    q = store.queries
    _at(store, q.record("小区加装电梯", {}, _answer()), LATE_EVENING)
    _at(store, q.record("小区停车难", {}, _answer(False)), LATE_EVENING - timedelta(hours=2))  # 23:30 on the 1st
    by_day = q.stats(days=3660)["by_day"]
    assert by_day == [{"day": "2026-01-01", "count": 1, "no_fit": 0}, {"day": "2026-01-02", "count": 1, "no_fit": 1}]
    assert [localtime.format_day(i.last_at) for i in q.backlog(3660)] == ["2026-01-02"]  # the same day
    (zhili_home / "zhili.toml").write_text('[site]\ntimezone = "UTC"\n', encoding="utf-8")
    assert [d["day"] for d in q.stats(days=3660)["by_day"]] == ["2026-01-01"]
    assert q.stats(days=3660)["timezone"] == "UTC"


def test_the_window_starts_at_local_midnight(store: Store) -> None:
    q = store.queries
    first = localtime.today() - timedelta(days=6)
    inside, outside = q.record("第一天", {}, _answer()), q.record("前一天", {}, _answer())
    _at(store, inside, localtime.day_start(first))
    _at(store, outside, localtime.day_start(first) - timedelta(seconds=1))
    stats = q.stats(days=7)
    assert stats["since"] == first.isoformat() and stats["total"] == 1
    assert stats["by_day"][0]["day"] == first.isoformat()
    assert [i.text for i in q.backlog(7)] == ["第一天"]


def test_backlog_counts_a_question_once_whatever_its_punctuation_or_phone_number(store: Store) -> None:
    q = store.queries
    asked = ["小区加装电梯，一楼住户反对？", " 小区加装电梯 一楼住户反对 ", "小区加装电梯一楼住户反对！电话13812345678",
             "ＡＢ小区加装电梯，一楼住户反对", "小区加装电梯，一楼住户反对"]
    for text in asked[:3]:
        q.record(text, {}, _answer())
    q.record("小区加装电梯，一楼住户反对", {}, _answer(no_fit=False))  # answered well: not backlog
    q.record("今天天气不错我想吃火锅", {}, _answer(verdict="off_topic"))  # no governance problem
    q.record("asdfgh qwerty 12345", {}, _answer())  # gibberish, even without a verdict
    q.record("？？？", {}, _answer())
    q.record("楼道堆物严重", {}, _answer(verdict="no_fit"))
    q.record("西藏小区加装电梯", {"province": ["西藏"]}, _answer(verdict="empty"))  # nothing after filters
    items = q.backlog(30)
    assert [(i.text, i.count) for i in items] == [
        ("小区加装电梯一楼住户反对！电话138****5678", 3),  # newest wording, masked
        ("西藏小区加装电梯", 1), ("楼道堆物严重", 1)]
    assert "13812345678" not in repr(items)
    first = items[0]
    assert first.first_at <= first.last_at and first.status == "open" and first.stored_status is None
    assert first.domains == ["加装电梯"] and first.place == "未指定" and items[1].place == "西藏"
    assert text_key(asked[0]) == text_key(asked[4]) != text_key(asked[3])
    assert text_key("asdf 12345") == "" == text_key("？？")
    assert [r.text for r in q.no_fit(10)][-1] != "今天天气不错我想吃火锅"  # off-topic never listed
    assert all(r.verdict != "off_topic" for r in q.no_fit(10))


def test_backlog_status_is_set_by_an_editor_and_reopens_when_asked_again(store: Store) -> None:
    q = store.queries
    q.record("加装电梯一楼反对", {}, _answer())
    q.record("农村彩礼过高", {}, _answer())
    found = {i.text: i for i in q.backlog(30)}
    elevator, dowry = found["加装电梯一楼反对"], found["农村彩礼过高"]
    q.set_backlog_status(elevator.key, "added", user="editor1")
    q.set_backlog_status(dowry.key, "dropped", user="editor1")
    assert q.backlog_counts(30) == {"open": 0, "added": 1, "dropped": 1}
    assert q.backlog(30, "open") == []
    added = q.backlog(30, "added")
    assert [(i.text, i.status_label, i.status_by) for i in added] == [("加装电梯一楼反对", "已补充", "editor1")]
    assert added[0].status_at is not None and added[0].status_at.tzinfo is not None
    q.record("加装电梯，一楼反对。", {}, _answer())  # asked again after the cases were added: still no fit
    reopened = q.backlog(30, "open")
    assert [(i.text, i.count, i.reopened) for i in reopened] == [("加装电梯，一楼反对。", 2, True)]
    q.set_backlog_status(dowry.key, "open", user="editor1")  # back to 待收集: the decision is cleared
    assert q.backlog_counts(30) == {"open": 2, "added": 0, "dropped": 0}
    for bad in ("closed", ""):
        with pytest.raises(ValueError, match="状态"):
            q.set_backlog_status(elevator.key, bad)
    with pytest.raises(ValueError, match="编号"):
        q.set_backlog_status("not-a-key", "added")
    with pytest.raises(LookupError):
        q.set_backlog_status("0" * 32, "added")
    with pytest.raises(ValueError, match="状态"):
        q.backlog(30, "closed")


def test_region_comes_from_the_filter_else_from_the_text(store: Store) -> None:
    q = store.queries
    q.record("杭州市某小区停车难", {}, _answer())
    q.record("家住海淀区，小区没有物业", {}, _answer())
    q.record("小区停车难", {"province": ["江苏"]}, _answer())
    q.record("杭州的问题", {"province": ["江苏", "浙江"]}, _answer())  # the filter decides, even several
    q.record("小区停车难", {}, _answer())
    q.record("大同小异的问题", {}, _answer())  # 大同 alone is a word, not 大同市
    regions = {r["province"]: r["count"] for r in q.stats(30)["by_region"]}
    assert regions == {"浙江": 1, "北京": 1, "江苏": 1, "多个省份": 1, "未指定": 2}
    assert [r.place for r in q.recent(6)][::-1] == ["浙江", "北京", "江苏", "多个省份", "未指定", "未指定"]
    assert store.queries.recent(1)[0].region == ""


def test_exports_have_every_item_a_bom_and_no_formulas(store: Store) -> None:
    from openpyxl import load_workbook

    from zhili.usecases.stats import EXPORT_HEADER, backlog_csv, backlog_xlsx

    q = store.queries
    ids = [q.record(text, {}, _answer()) for text in ("=HYPERLINK(\"http://x\")小区加装电梯", "农村彩礼过高", "农村彩礼过高？")]
    _at(store, ids[0], LATE_EVENING)
    items = q.backlog(3660, limit=10_000)
    data = backlog_csv(items, "http://zhili.example")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(EXPORT_HEADER) and len(rows) == 3
    by_text = {r[0]: r for r in rows[1:]}
    assert by_text["农村彩礼过高？"][1] == "2" and by_text["农村彩礼过高？"][7] == "待收集"  # newest wording
    assert "'=HYPERLINK" in "".join(by_text)  # a spreadsheet shows it as text, never runs it
    assert by_text["农村彩礼过高？"][10].startswith("http://zhili.example/?q=")
    wb = load_workbook(io.BytesIO(backlog_xlsx(items, "http://zhili.example")))
    sheet = [[c.value for c in row] for row in wb.active.iter_rows()]
    assert sheet[0] == list(EXPORT_HEADER) and len(sheet) == 3
    assert all(c.data_type == "s" for row in wb.active.iter_rows(min_row=2) for c in row[:1])
    assert {r[0] for r in sheet[1:]} == set(by_text)
    late = next(r for r in sheet[1:] if r[0].startswith("'=HYPERLINK"))
    assert late[2] == "2026-01-02 01:30"  # Beijing time, as on the page
