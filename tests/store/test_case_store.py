"""The case store on a real SQLite file: seeding, upsert/replace, all-or-nothing imports, hashing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from zhili.cases import Case
from zhili.retrieval.index import library_hash as index_library_hash
from zhili.store import CaseStore, ImportSummary, load_library
from bundled import BUNDLED


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cases.db"


def _variant(case: Case, i: int) -> Case:
    return case.model_copy(update={"id": f"new-{i:04d}", "title": f"{case.title}（复制{i}）"})


def test_first_open_seeds_bundled_cases_once(db: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open(_url(db)) as store:
        assert store.count() == BUNDLED
        assert store.all() == bundled_cases  # ordered by id, payload intact
        assert store.get("case-0042") == bundled_cases[41]
        assert store.get("no-such-case") is None
        assert store.meta("seeded_from") == "bundled"
        store.delete(store.ids())
        assert store.count() == 0
    with CaseStore.open(_url(db)) as store:  # an emptied library is not re-seeded behind the user's back
        assert store.count() == 0


def test_seed_can_be_skipped(db: Path) -> None:
    with CaseStore.open(_url(db), seed=False) as store:
        assert store.count() == 0 and store.all() == []


def test_default_url_is_workspace_file(zhili_home: Path) -> None:
    with CaseStore.open() as store:
        assert store.count() == BUNDLED
    assert (zhili_home / "zhili.db").is_file()


def test_upsert_counts_added_updated_unchanged(db: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open(_url(db)) as store:
        changed = bundled_cases[0].model_copy(update={"title": "改过的标题"})
        batch = [changed, bundled_cases[1], _variant(bundled_cases[2], 1)]
        assert store.import_cases(batch) == ImportSummary(added=1, updated=1, unchanged=1)
        assert store.count() == BUNDLED + 1
        assert store.get(changed.id).title == "改过的标题"
        assert store.import_cases(batch) == ImportSummary(unchanged=3)


def test_replace_removes_cases_not_in_the_file(db: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open(_url(db)) as store:
        summary = store.import_cases(bundled_cases[:10], mode="replace")
        assert summary == ImportSummary(unchanged=10, removed=BUNDLED - 10)
        assert store.ids() == [c.id for c in bundled_cases[:10]]
        with pytest.raises(ValueError, match="未知导入方式"):
            store.import_cases([], mode="merge")  # type: ignore[arg-type]


def test_duplicate_ids_in_one_import_are_refused_before_writing(db: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open(_url(db)) as store:
        before = store.library_hash()
        with pytest.raises(ValueError, match="编号重复"):
            store.import_cases([_variant(bundled_cases[0], 1), _variant(bundled_cases[1], 1)])
        assert store.library_hash() == before


def test_import_is_all_or_nothing_on_constraint_violation(db: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open(_url(db)) as store:
        before = store.library_hash()
        good = [_variant(c, i) for i, c in enumerate(bundled_cases)]  # 223 new rows written first …
        bad = bundled_cases[0].model_copy(update={"id": ""})  # … then a blank id (model_copy skips validation)
        updated = bundled_cases[5].model_copy(update={"title": "也应回滚"})
        with pytest.raises(IntegrityError):
            store.import_cases([*good, bad, updated])
        assert store.count() == BUNDLED
        assert store.library_hash() == before
        assert store.get("new-0000") is None and store.get(bundled_cases[5].id) == bundled_cases[5]


def test_replace_is_rolled_back_when_a_database_trigger_fails_midway(db: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open(_url(db)) as store:
        before = store.library_hash()
    con = sqlite3.connect(db)  # a real trigger in the real file: fails on the 300th new row
    con.execute("CREATE TRIGGER boom BEFORE INSERT ON cases WHEN NEW.id = 'new-0300' "
                "BEGIN SELECT RAISE(ABORT, 'boom'); END")
    con.commit()
    con.close()
    incoming = [_variant(c, i) for i, c in enumerate(bundled_cases * 2)]  # 446 new ids
    with CaseStore.open(_url(db)) as store:
        with pytest.raises(IntegrityError, match="boom"):
            store.import_cases(incoming, mode="replace")  # deletes 223, inserts 299, then fails
        assert store.count() == BUNDLED
        assert store.library_hash() == before
        assert store.all() == bundled_cases
        assert store.meta("last_import") is None


def test_library_hash_tracks_content(db: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open(_url(db)) as store:
        h0 = store.library_hash()
        assert len(h0) == 64
        assert h0[:16] == index_library_hash(bundled_cases)  # same fingerprint the index uses
        store.import_cases(bundled_cases)
        assert store.library_hash() == h0
    with CaseStore.open(_url(db)) as store:
        assert store.library_hash() == h0
        store.import_cases([bundled_cases[7].model_copy(update={"practice": bundled_cases[7].practice + "。"})])
        h1 = store.library_hash()
        assert h1 != h0
        store.import_cases([bundled_cases[7]])
        assert store.library_hash() == h0
        store.delete(["case-0001"])
        assert store.library_hash() not in (h0, h1)


def test_delete_reports_existing_only(db: Path) -> None:
    with CaseStore.open(_url(db)) as store:
        assert store.delete(["case-0001", "case-0002", "missing"]) == 2
        assert store.count() == BUNDLED - 2


def test_sql_looking_text_is_stored_verbatim(db: Path) -> None:
    nasty = Case(id="x-1", title="'; DROP TABLE cases; --", problem="Robert'); DELETE FROM meta;--",
                 practice="<script>alert(1)</script>")
    with CaseStore.open(_url(db)) as store:
        store.import_cases([nasty])
        assert store.get("x-1") == nasty
        assert store.count() == BUNDLED + 1
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM meta")).scalar_one() >= 2


def test_two_stores_on_one_file_see_each_others_writes(db: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open(_url(db)) as a, CaseStore.open(_url(db)) as b:
        assert a.count() == b.count() == BUNDLED  # the second open did not seed again
        a.import_cases([_variant(bundled_cases[0], 1)])
        assert b.get("new-0001") is not None


def test_load_library_from_file_or_store(zhili_home: Path, tmp_path: Path, bundled_cases: list[Case]) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "d1", "title": "外部文书", "text": "正文"}\n', encoding="utf-8")
    assert [c.id for c in load_library(corpus)] == ["d1"]
    assert not (zhili_home / "zhili.db").exists()  # an external corpus never touches the store
    assert load_library(None) == bundled_cases


def test_load_library_sees_published_cases_only(zhili_home: Path, bundled_cases: list[Case]) -> None:
    with CaseStore.open() as store:
        store.create(_variant(bundled_cases[0], 1), "editor")  # a draft
        store.set_status(bundled_cases[1].id, "draft", "editor")  # a withdrawn case
    ids = [c.id for c in load_library(None)]
    assert "new-0001" not in ids and bundled_cases[1].id not in ids and ids == [c.id for c in bundled_cases if c.id != bundled_cases[1].id]


def test_cli_import_names_the_account_in_the_audit_log(zhili_home: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zhili.cli.cases import app
    from zhili.store import Store

    src = tmp_path / "one.jsonl"
    src.write_text('{"id": "cli-1", "title": "命令行导入", "problem": "问题", "source": {"title": "出处"}}\n',
                   encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(src)])
    assert result.exit_code == 0, result.output
    with Store.open() as store:
        [entry] = store.audit.history("cli-1")
        assert entry.action == "import" and entry.user is not None and entry.user.startswith("cli")
        assert entry.before is None and entry.after["case"]["title"] == "命令行导入"
