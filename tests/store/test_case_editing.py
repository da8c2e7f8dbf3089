"""Drafts, publishing, paging, audit rows and the revision counter — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from zhili.cases import Case
from zhili.store import CaseExistsError, CaseNotFoundError, ImportSummary, Store
from bundled import BUNDLED


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as s:
        yield s


def _audit_rows(store: Store) -> int:
    """Every audit row (`recent` shows at most one page of 1,000, fewer than the seeded library)."""
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()


def _matching(cases: list[Case], word: str) -> list[str]:
    """What `page(q=word)` must find: the word in title, place, mechanisms or domains."""
    return [c.id for c in cases if word in c.title or word in c.place
            or any(word in m for m in c.mechanisms + c.domains)]


def _new(case: Case, cid: str, **changes: object) -> Case:
    return case.model_copy(update={"id": cid, **changes})


def test_draft_is_stored_but_not_matched_until_published(store: Store, bundled_cases: list[Case]) -> None:
    cases = store.cases
    rev0, hash0 = cases.revision(), cases.library_hash()
    draft = _new(bundled_cases[0], "draft-1", title="草稿案例")
    rec = cases.create(draft, "editor1")
    assert (rec.status, rec.updated_by, rec.case) == ("draft", "editor1", draft)
    assert rec.created_at == rec.updated_at and rec.created_at.tzinfo is not None
    assert cases.get("draft-1") == draft and cases.count() == BUNDLED + 1 and cases.count("published") == BUNDLED
    assert "draft-1" not in {c.id for c in cases.published()}
    assert (cases.revision(), cases.library_hash()) == (rev0, hash0)  # drafts do not touch the matched set

    published = cases.set_status("draft-1", "published", "admin1")
    assert published.status == "published" and published.created_at == rec.created_at
    assert "draft-1" in {c.id for c in cases.published()}
    rev1 = cases.revision()
    assert rev1 != rev0 and cases.library_hash() != hash0

    cases.update(draft.model_copy(update={"title": "改名"}), "editor1")
    rev2 = cases.revision()
    assert rev2 != rev1 and cases.get("draft-1").title == "改名"
    assert cases.update(cases.get("draft-1"), "editor1").status == "published"  # same content: no change
    assert cases.revision() == rev2

    cases.remove("draft-1", "admin1")
    assert cases.get_record("draft-1") is None and cases.revision() != rev2
    assert cases.library_hash() == hash0


def test_audit_rows_hold_who_when_before_and_after(store: Store, bundled_cases: list[Case]) -> None:
    cases, audit = store.cases, store.audit
    first = _new(bundled_cases[3], "aud-1", title="第一版")
    cases.create(first, "张三")
    second = first.model_copy(update={"title": "第二版"})
    cases.update(second, "李四", status="published")
    cases.set_status("aud-1", "draft", "王五")
    cases.remove("aud-1", "赵六")
    history = audit.history("aud-1")
    assert [(e.action, e.user) for e in history] == [("create", "张三"), ("update", "李四"),
                                                      ("status", "王五"), ("remove", "赵六")]
    create, update, status, remove = history
    assert create.before is None and create.after == {"status": "draft", "case": first.model_dump(mode="json")}
    assert update.before == create.after
    assert update.after == {"status": "published", "case": second.model_dump(mode="json")}
    assert status.before == update.after and status.after["status"] == "draft"
    assert remove.before == status.after and remove.after is None
    assert all(e.at.tzinfo is not None for e in history)
    assert [a.at for a in history] == sorted(a.at for a in history)
    assert audit.recent(2)[0].action == "remove" and len(audit.recent(2)) == 2


def test_import_writes_audit_rows_and_applies_status(store: Store, bundled_cases: list[Case]) -> None:
    cases = store.cases
    seeded = _audit_rows(store)
    changed = bundled_cases[1].model_copy(update={"title": "导入改动"})
    summary = cases.import_cases([changed, _new(bundled_cases[2], "imp-1"), bundled_cases[3]], user="导入员")
    assert summary == ImportSummary(added=1, updated=1, unchanged=1)
    rows = store.audit.recent(2)
    assert {(r.case_id, r.action, r.user) for r in rows} == {(changed.id, "import", "导入员"), ("imp-1", "import", "导入员")}
    upd = next(r for r in rows if r.case_id == changed.id)
    assert upd.before["case"]["title"] == bundled_cases[1].title and upd.after["case"]["title"] == "导入改动"
    assert _audit_rows(store) == seeded + 2
    # re-importing unchanged published cases as drafts keeps them live; a changed one goes to review
    rev = cases.revision()
    assert cases.import_cases([bundled_cases[3]], status="draft") == ImportSummary(unchanged=1)
    assert cases.get_record(bundled_cases[3].id).status == "published" and cases.revision() == rev
    edited = bundled_cases[4].model_copy(update={"title": "待审改动"})
    assert cases.import_cases([edited], status="draft") == ImportSummary(updated=1)
    assert cases.get_record(edited.id).status == "draft"
    assert edited.id not in {c.id for c in cases.published()}
    # importing an unchanged draft as published publishes it
    assert cases.import_cases([edited], status="published") == ImportSummary(updated=1)
    assert edited.id in {c.id for c in cases.published()}


def test_bad_requests_are_refused_with_chinese_messages(store: Store, bundled_cases: list[Case]) -> None:
    cases = store.cases
    rev, count = cases.revision(), cases.count()
    with pytest.raises(CaseExistsError, match="已存在"):
        cases.create(bundled_cases[0], "u")
    with pytest.raises(CaseNotFoundError, match="没有编号"):
        cases.update(_new(bundled_cases[0], "nope"), "u")
    with pytest.raises(CaseNotFoundError):
        cases.set_status("nope", "published", "u")
    with pytest.raises(CaseNotFoundError):
        cases.remove("nope", "u")
    with pytest.raises(ValueError, match="状态"):
        cases.set_status(bundled_cases[0].id, "archived", "u")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="用户名过长"):
        cases.create(_new(bundled_cases[0], "x-2"), "u" * 65)
    with pytest.raises(ValueError, match="控制字符"):
        cases.create(_new(bundled_cases[0], "x-3"), "bad\x00user")
    assert (cases.revision(), cases.count()) == (rev, count)
    assert store.audit.history(bundled_cases[0].id)[-1].action == "bundled"  # only the seed row


def test_page_filters_search_and_counts(store: Store, bundled_cases: list[Case]) -> None:
    cases = store.cases
    page, total = cases.page(limit=10)
    assert total == BUNDLED and [r.case.id for r in page] == [c.id for c in bundled_cases[:10]]
    page2, _ = cases.page(offset=BUNDLED - 3, limit=10)
    assert [r.case.id for r in page2] == [c.id for c in bundled_cases[-3:]]
    elevator = [c for c in bundled_cases if "加装电梯" in c.domains]
    got, total = cases.page(domain="加装电梯", limit=500)
    assert total == len(elevator) > 0 and [r.case for r in got] == elevator
    zj = [c for c in bundled_cases if c.province == "浙江" and c.level == "村社区"]
    got, total = cases.page(province="浙江", level="村社区", limit=500)
    assert [r.case for r in got] == zj and total == len(zj)
    word = bundled_cases[10].title[2:6]
    got, total = cases.page(q=word, limit=500)
    expected = _matching(bundled_cases, word)
    assert [r.case.id for r in got] == expected and total == len(expected) and bundled_cases[10].id in expected
    assert [r.case.id for r in cases.page(q="CASE-0011")[0]] == ["case-0011"]  # ids, case-insensitive
    for wildcard in ("%", "_"):  # LIKE wildcards are matched literally (a title may hold a real "%")
        got, total = cases.page(q=wildcard, limit=500)
        assert [r.case.id for r in got] == _matching(bundled_cases, wildcard) and total < BUNDLED
    assert cases.page(q="'; DROP TABLE cases; --")[1] == 0 and cases.count() == BUNDLED
    cases.create(_new(bundled_cases[0], "zz-draft"), "u")
    drafts, total = cases.page(status="draft")
    assert total == 1 and drafts[0].case.id == "zz-draft"
    recent, _ = cases.page(order="recent", limit=1)
    assert recent[0].case.id == "zz-draft"
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"order": "title"}, {"q": "长" * 201}):
        with pytest.raises(ValueError):
            cases.page(**bad)  # type: ignore[arg-type]


def test_failing_row_mid_import_leaves_database_unchanged(store: Store, bundled_cases: list[Case]) -> None:
    cases = store.cases
    before = (cases.library_hash(), cases.revision(), _audit_rows(store), cases.meta("last_import"))
    good = [_new(c, f"new-{i:04d}") for i, c in enumerate(bundled_cases)]  # 223 inserts first …
    bad = bundled_cases[0].model_copy(update={"id": ""})  # … then a blank id (the CHECK refuses it)
    updated = bundled_cases[5].model_copy(update={"title": "也应回滚"})
    with pytest.raises(IntegrityError):
        cases.import_cases([*good, bad, updated], mode="replace")
    after = (cases.library_hash(), cases.revision(), _audit_rows(store), cases.meta("last_import"))
    assert after == before
    assert cases.all() == bundled_cases and cases.get("new-0000") is None


def test_trigger_failing_midway_rolls_back_a_replace(store: Store, bundled_cases: list[Case]) -> None:
    """A real database error after deletes and 299 inserts: nothing of it may remain."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN "
                              "IF NEW.id = 'new-0300' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ "
                              "LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER boom BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION boom()"))
        else:
            conn.execute(text("CREATE TRIGGER boom BEFORE INSERT ON cases WHEN NEW.id = 'new-0300' "
                              "BEGIN SELECT RAISE(ABORT, 'boom'); END"))
    before = (store.cases.library_hash(), store.cases.revision(), _audit_rows(store))
    incoming = [_new(c, f"new-{i:04d}") for i, c in enumerate(bundled_cases * 2)]
    with pytest.raises(DBAPIError, match="boom"):
        store.cases.import_cases(incoming, mode="replace")
    assert (store.cases.library_hash(), store.cases.revision(), _audit_rows(store)) == before
    assert store.cases.all() == bundled_cases


def test_revision_is_seen_by_a_second_store(db_url: str, bundled_cases: list[Case]) -> None:
    with Store.open(db_url) as a, Store.open(db_url) as b:
        rev = b.cases.revision()
        a.cases.import_cases([_new(bundled_cases[0], "other-1")])
        assert b.cases.revision() != rev and b.cases.get("other-1") is not None


def test_concurrent_writers_never_lose_a_revision(store: Store, bundled_cases: list[Case]) -> None:
    """Writers queue (BEGIN IMMEDIATE / advisory lock), so the read-modify-write counter is exact."""
    from concurrent.futures import ThreadPoolExecutor

    start = int(store.cases.revision())

    def write(i: int) -> None:
        store.cases.create(_new(bundled_cases[i], f"par-{i}"), f"user{i}", status="published")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, range(12)))
    assert int(store.cases.revision()) == start + 12
    assert store.cases.count("published") == BUNDLED + 12 and _audit_rows(store) == BUNDLED + 12


def test_published_hashes_follow_status_and_content(store: Store, bundled_cases: list[Case]) -> None:
    cases = store.cases
    hashes = cases.published_hashes()
    assert hashes == {c.id: c.content_hash() for c in bundled_cases}
    edited = bundled_cases[0].model_copy(update={"title": "改了标题"})
    cases.update(edited, "u")
    cases.set_status(bundled_cases[1].id, "draft", "u")
    after = cases.published_hashes()
    assert after[edited.id] == edited.content_hash() != hashes[edited.id]
    assert bundled_cases[1].id not in after and len(after) == len(hashes) - 1
