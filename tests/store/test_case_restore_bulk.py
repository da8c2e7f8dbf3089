"""Issue 10, admin forms: the proposed id of a new case, bulk publish/withdraw and restoring an
earlier version from the audit log — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from zhili.cases import Case
from zhili.store import CaseNotFoundError, StatusSummary, Store, VersionNotFoundError, VersionUnusableError
from zhili.store.case_store import suggest_id
from zhili.store.schema import audit_table


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as s:
        yield s


def _new(case: Case, cid: str, **changes: object) -> Case:
    return case.model_copy(update={"id": cid, **changes})


def test_suggest_id_follows_the_library_style() -> None:
    assert suggest_id([f"case-{i:04d}" for i in range(1, 224)]) == "case-0224"
    assert suggest_id([]) == "case-0001"
    assert suggest_id(["case-0001", "case-0002", "zj-7"], used=["case-0009"]) == "case-0010"  # history counts
    assert suggest_id(["zj-2025-01", "zj-2025-02", "case-0001"]) == "zj-2025-03"  # the commonest style wins
    assert suggest_id(["case-9999"]) == "case-10000"  # outgrows its width rather than colliding
    assert suggest_id(["LeCaRD-1", "LeCaRD-2", "x"]) == "LeCaRD-3"
    assert suggest_id(["a" * 63 + "9"]) == "case-0001"  # cannot grow within 64 characters: the default style


def test_next_id_never_reuses_a_deleted_case_id(store: Store, bundled_cases: list[Case]) -> None:
    cases = store.cases
    # the bundled ids are all case-NNNN: the next one is past the highest number, in that width
    numbers = [int(c.id.removeprefix("case-")) for c in bundled_cases]
    assert all(c.id == f"case-{n:04d}" for c, n in zip(bundled_cases, numbers))
    first, second = (f"case-{max(numbers) + k:04d}" for k in (1, 2))
    assert cases.next_id() == first
    cases.create(_new(bundled_cases[0], first), "u")
    assert cases.next_id() == second
    cases.remove(first, "u")
    assert cases.next_id() == second  # the deleted id's history stays in the audit log


def test_bulk_status_changes_each_case_once_audited(store: Store, bundled_cases: list[Case]) -> None:
    cases, audit = store.cases, store.audit
    cases.create(_new(bundled_cases[0], "bulk-1"), "张三")
    cases.create(_new(bundled_cases[1], "bulk-2"), "张三")
    rev, hash0 = cases.revision(), cases.library_hash()
    done = cases.set_status_many(["bulk-1", "bulk-2", "case-0003", "nope", "bulk-1"], "published", "李四")
    assert done == StatusSummary("published", ("bulk-1", "bulk-2"), ("case-0003",), ("nope",))
    assert int(cases.revision()) == int(rev) + 1 and cases.library_hash() != hash0  # one revision
    for cid in ("bulk-1", "bulk-2"):
        record = cases.get_record(cid)
        assert (record.status, record.updated_by) == ("published", "李四")
        last = audit.history(cid)[-1]
        assert (last.action, last.user) == ("status", "李四")
        assert last.before["status"] == "draft" and last.after["status"] == "published"
        assert last.before["case"] == last.after["case"]
    assert audit.history("case-0003")[-1].action == "bundled"  # already published: no audit row
    assert {c.id for c in cases.published()} >= {"bulk-1", "bulk-2"}

    rev = cases.revision()
    done = cases.set_status_many(["bulk-2", "case-0004"], "draft", "王五")
    assert done.changed == ("bulk-2", "case-0004") and int(cases.revision()) == int(rev) + 1
    assert {c.id for c in cases.published()}.isdisjoint({"bulk-2", "case-0004"})
    assert audit.last_author("bulk-2") == "张三"  # a status change makes nobody the author

    rev = cases.revision()
    assert cases.set_status_many(["nope"], "draft", "王五") == StatusSummary("draft", missing=("nope",))
    assert cases.set_status_many([], "published", "王五") == StatusSummary("published")
    assert cases.revision() == rev
    with pytest.raises(ValueError, match="状态"):
        cases.set_status_many(["bulk-1"], "archived", "u")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="最多"):
        cases.set_status_many([f"x-{i}" for i in range(1001)], "draft", "u")


def test_restore_brings_back_a_version_as_a_new_change(store: Store, bundled_cases: list[Case]) -> None:
    cases, audit = store.cases, store.audit
    first = _new(bundled_cases[5], "rst-1", title="第一版")
    cases.create(first, "张三", status="published")
    cases.update(first.model_copy(update={"title": "第二版", "year": 2020}), "李四")
    created = audit.history("rst-1")[0]
    rev = cases.revision()

    record = cases.restore("rst-1", created.id, "王五")
    assert record.case == first and record.status == "published"  # status kept: still live
    assert cases.get("rst-1") == first and cases.revision() != rev
    last = audit.history("rst-1")[-1]
    assert (last.action, last.user, last.after["restored_from"]) == ("restore", "王五", created.id)
    assert last.before["case"]["title"] == "第二版" and last.after["case"]["title"] == "第一版"
    assert audit.last_author("rst-1") == "王五"  # four eyes: who restored wrote this version

    # the same content again: nothing written
    count, rev = len(audit.history("rst-1")), cases.revision()
    assert cases.restore("rst-1", created.id, "王五") == cases.get_record("rst-1")
    assert len(audit.history("rst-1")) == count and cases.revision() == rev

    # restoring the second version and withdrawing in the same change
    second = audit.history("rst-1")[1]
    record = cases.restore("rst-1", second.id, "赵六", status="draft")
    assert record.case.title == "第二版" and record.status == "draft"
    assert "rst-1" not in {c.id for c in cases.published()}


def test_restore_a_deleted_case_comes_back_as_a_draft(store: Store, bundled_cases: list[Case]) -> None:
    cases, audit = store.cases, store.audit
    case = _new(bundled_cases[7], "rst-2")
    cases.create(case, "张三", status="published")
    cases.remove("rst-2", "李四")
    create, remove = audit.history("rst-2")
    with pytest.raises(VersionUnusableError, match="删除"):
        cases.restore("rst-2", remove.id, "王五")
    rev = cases.revision()
    record = cases.restore("rst-2", create.id, "王五")
    assert (record.status, record.case, record.updated_by) == ("draft", case, "王五")
    assert cases.revision() == rev  # a draft does not change the matched set
    assert audit.history("rst-2")[-1].before is None
    cases.remove("rst-2", "李四")
    assert cases.restore("rst-2", create.id, "王五", status="published").status == "published"
    assert "rst-2" in {c.id for c in cases.published()}


def test_restore_refuses_foreign_missing_and_invalid_versions(store: Store, bundled_cases: list[Case]) -> None:
    cases, audit = store.cases, store.audit
    cases.create(_new(bundled_cases[8], "rst-3"), "u")
    other = audit.history("case-0001")[0]
    with pytest.raises(VersionNotFoundError, match="修改记录"):
        cases.restore("rst-3", other.id, "u")  # an entry of another case
    with pytest.raises(VersionNotFoundError):
        cases.restore("rst-3", 10**9, "u")
    with pytest.raises(VersionNotFoundError):
        cases.restore("nope", other.id, "u")
    with pytest.raises(ValueError, match="状态"):
        cases.restore("rst-3", audit.history("rst-3")[0].id, "u", status="archived")  # type: ignore[arg-type]
    # a version an older build let in (a control character) is refused, not written back
    entry = audit.history("rst-3")[0]
    bad = {**entry.after, "case": {**entry.after["case"], "title": "坏\x07标题"}}
    with store.engine.begin() as conn:
        conn.execute(update(audit_table).where(audit_table.c.id == entry.id).values(after=bad))
    cases.update(_new(bundled_cases[8], "rst-3", title="新标题"), "u")
    with pytest.raises(VersionUnusableError, match="填写要求"):
        cases.restore("rst-3", entry.id, "u")
    assert cases.get("rst-3").title == "新标题"
    with pytest.raises(CaseNotFoundError):
        cases.set_status("nope", "draft", "u")
