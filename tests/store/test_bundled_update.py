"""Updating a workspace to the library a newer release ships (`zhili.store.bundled`).

Model-based: random local edits, status changes, deletions, new local cases and updates to
successive shipped libraries, checked after every step against a plain model of what each case
must be — shipped text where nobody here touched it, the local version everywhere else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from zhili.cases import Case
from zhili.store import CaseStore, Store

POOL = 12  # ids case-9001 … case-9012 across the releases


def _release(base: list[Case], version: int, ids: list[int]) -> list[Case]:
    """A shipped library: cases `ids` of the pool, with release `version`'s text."""
    out = []
    for n in ids:
        src = base[n % len(base)]
        out.append(src.model_copy(update={"id": f"case-{9001 + n}", "title": f"{src.title}（第{version}版）"}))
    return out


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as s:
        yield s


def test_an_older_workspace_gets_new_and_corrected_cases_and_keeps_its_own(store: Store,
                                                                            bundled_cases: list[Case]) -> None:
    cases = store.cases
    assert cases.bundled_plan().pending is False  # seeded from this release: nothing to do
    v1 = _release(bundled_cases, 1, [0, 1, 2, 3])
    assert str(cases.update_bundled(v1)).startswith("新增 4，更新 0")
    edited = v1[1].model_copy(update={"problem": "本地改写的问题"})
    cases.update(edited, "张三")
    cases.set_status("case-9003", "draft", "张三")
    cases.remove("case-9004", "张三")
    v2 = _release(bundled_cases, 2, [0, 1, 2, 3, 4])
    plan = cases.bundled_plan(v2)
    assert (plan.added, plan.updated, plan.edited, plan.deleted, plan.retired) == (
        ("case-9005",), ("case-9001",), ("case-9002", "case-9003"), ("case-9004",), ())
    rev = cases.revision()
    done = cases.update_bundled(v2)
    assert done.json()["summary"] == "新增 1，更新 1，未变 0；保留本地版本：本地已修改 2，本地已删除 1"
    assert int(cases.revision()) > int(rev)
    assert cases.get("case-9001").title.endswith("（第2版）")
    assert cases.get("case-9002").problem == "本地改写的问题"
    assert cases.get_record("case-9003").status == "draft" and cases.get("case-9003").title.endswith("（第1版）")
    assert cases.get("case-9004") is None
    assert [e.action for e in store.audit.history("case-9001")] == ["bundled", "bundled"]
    assert cases.bundled_plan(v2).pending is False  # a second update changes nothing
    assert cases.update_bundled(v2).added == ()
    # a release that drops case-9001 (untouched here) and case-9002 (edited here): only 9001 goes
    v3 = [c for c in _release(bundled_cases, 2, [0, 1, 2, 3, 4]) if c.id not in ("case-9001", "case-9002")]
    assert cases.update_bundled(v3).retired == ("case-9001",)
    assert cases.get("case-9001") is None and cases.get("case-9002").problem == "本地改写的问题"
    assert store.audit.history("case-9001")[-1].action == "bundled"
    assert cases.bundled_plan(v2).added == ("case-9001",)  # shipped again later: it comes back


def test_a_workspace_seeded_by_an_older_release_is_recognised(tmp_path: Path, bundled_cases: list[Case]) -> None:
    """Before this release the seed was written as `import` rows by nobody at one instant."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = _release(bundled_cases, 1, [0, 1, 2])
    with CaseStore.open(url, seed=False) as cases:
        cases.import_cases(old, user=None)  # what the old seed wrote
        with cases.engine.begin() as conn:
            cases._set_meta(conn, "seeded_from", "bundled")
        cases.import_cases([old[2].model_copy(update={"problem": "后来导入的修改"})], user=None)
        new = _release(bundled_cases, 2, [0, 1, 2, 3])
        plan = cases.bundled_plan(new)
        # the later anonymous import is not the seed: that case counts as changed here
        assert (plan.added, plan.updated, plan.edited) == (("case-9004",), ("case-9001", "case-9002"), ("case-9003",))


class BundledUpdates(RuleBasedStateMachine):
    """Local work and updates interleaved; the store must always match the model."""

    def __init__(self) -> None:
        super().__init__()
        self.version = 0

    @initialize()
    def start(self) -> None:
        self.cases = CaseStore.open(self.url, seed=False)
        self.local: dict[str, Case | None] = {}   # id → local version (None: deleted here)
        self.status: dict[str, str] = {}
        self.shipped: dict[str, Case] = {}        # id → text of the last update that reached it
        self.edited: set[str] = set()
        self.retired: set[str] = set()           # removed by an update (a later one may bring it back)

    def teardown(self) -> None:
        self.cases.close()

    @rule(ids=st.sets(st.integers(0, POOL - 1), min_size=1, max_size=POOL))
    def ship(self, ids: set[int]) -> None:
        self.version += 1
        release = _release(self.base, self.version, sorted(ids))
        self.cases.update_bundled(release)
        shipped_now = {c.id for c in release}
        for cid in list(self.shipped):  # no longer shipped and untouched here: removed
            if cid not in shipped_now and cid not in self.edited and self.local.get(cid) is not None:
                self.local[cid] = None
                self.retired.add(cid)
                del self.shipped[cid]
        for case in release:
            if case.id in self.edited:
                continue  # touched here: left alone
            if case.id in self.local and self.local[case.id] is None and case.id not in self.retired:
                continue  # deleted here: left alone
            if self.local.get(case.id) is None:
                self.status[case.id] = "published"
            self.retired.discard(case.id)
            self.local[case.id] = case
            self.shipped[case.id] = case

    @rule(n=st.integers(0, POOL - 1), text=st.sampled_from(["甲", "乙"]))
    def edit(self, n: int, text: str) -> None:
        cid = f"case-{9001 + n}"
        case = self.local.get(cid)
        if case is None:
            return
        changed = case.model_copy(update={"problem": f"{case.problem}{text}"})
        self.cases.update(changed, "张三")
        self.local[cid] = changed
        self.edited.add(cid)

    @rule(n=st.integers(0, POOL - 1))
    def withdraw(self, n: int) -> None:
        cid = f"case-{9001 + n}"
        if self.local.get(cid) is None or self.status[cid] == "draft":
            return
        self.cases.set_status(cid, "draft", "张三")
        self.status[cid] = "draft"
        self.edited.add(cid)

    @rule(n=st.integers(0, POOL - 1))
    def delete(self, n: int) -> None:
        cid = f"case-{9001 + n}"
        if self.local.get(cid) is None:
            return
        self.cases.remove(cid, "张三")
        self.local[cid] = None
        self.shipped.pop(cid, None)

    @rule(n=st.integers(0, POOL - 1))
    def create_locally(self, n: int) -> None:
        """An editor takes an id a later release will also use."""
        cid = f"case-{9001 + n}"
        if cid in self.local:
            return
        case = self.base[0].model_copy(update={"id": cid, "title": "本地案例"})
        self.cases.create(case, "张三")
        self.local[cid], self.status[cid] = case, "draft"
        self.edited.add(cid)

    @invariant()
    def matches_the_model(self) -> None:
        if not hasattr(self, "cases"):
            return
        stored = {c.id: c for c in self.cases.all()}
        expected = {cid: c for cid, c in self.local.items() if c is not None}
        assert set(stored) == set(expected)
        for cid, case in expected.items():
            assert stored[cid].content_hash() == case.content_hash(), cid
            assert self.cases.get_record(cid).status == self.status[cid], cid


@pytest.mark.parametrize("backend", ["sqlite"])
def test_updates_match_the_model(backend: str, tmp_path: Path, bundled_cases: list[Case]) -> None:
    counter = iter(range(10_000))

    class Run(BundledUpdates):
        base = bundled_cases[:5]

        @property
        def url(self) -> str:
            return f"sqlite:///{tmp_path / f'model-{self._n}.db'}"

        def __init__(self) -> None:
            self._n = next(counter)
            super().__init__()

    Run.TestCase.settings = settings(max_examples=25, stateful_step_count=12, deadline=None,
                                     suppress_health_check=[HealthCheck.function_scoped_fixture])
    Run.TestCase().runTest()
