"""Model-based test of the large-library path: delta + tombstones + merge, candidate generation on.

The workspace's settings force the large layout on the bundled library (ann_threshold 100:
memory-mapped cases, IVF vectors, BM25 top-k candidates, `exact_below = 0` so filters do not
fall back to exhaustive search) and every change through the delta (`exact_update_below = 0`).
Random sequences of create, update, publish, unpublish, delete, restart and merge, on SQLite and
PostgreSQL. After every step:

* the store's published library is the model's;
* the engine counts exactly the published cases, serves no draft, no deleted case and no stale
  version of a case (what it returns for an id is the latest acknowledged content);
* after a merge (`zhili index --merge`: the layout rebuilt in place), the served answers equal a
  large index built from scratch in another directory — same ids, same order, scores within 1e-6.
  Between merges the delta scores with the main index's BM25 statistics (see
  `zhili.retrieval.delta`), so exact equality is only promised after a merge.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule, run_state_machine_as_test

from index_model import QUERIES, LibraryModel, ModelMachine, require_postgresql, same_ranking
from zhili import config
from zhili.retrieval.large import StoreSource
from zhili.service import Service
from zhili.wiring import source_engine

LARGE = """[match]
ann_threshold = 100
ann_k = 30
exact_below = 0
exact_update_below = 0
delta_merge = 10000
"""
RAN: Counter[str] = Counter()
OPS = ("create", "update", "set_status", "delete", "restart", "merge")
STEPS = {"sqlite": (3, 25), "postgresql": (2, 20)}


class LargeLibraryMachine(ModelMachine):
    prefix = "LG-"
    novel_one_in = 8

    def __init__(self) -> None:
        super().__init__()
        self.run = self.root / f"run-{id(self)}"
        self.run.mkdir()
        self.url = self._open_database(self.run)
        self.index_dir = self.run / "index"
        self.service = Service.open(self.url, index_dir=self.index_dir)
        engine = self.service.engine()
        assert engine.backend.index.manifest.get("layout") == "large" and not engine.backend.exhaustive()
        self.model = LibraryModel({c.id: (c, "published") for c in self.service.store.cases.published()})
        self.donors = self.model.published()
        self.next_id = 0
        self.merged = True  # the first build is a full one

    def teardown(self) -> None:
        self.service.close()
        self._close_database()

    def _changed(self) -> None:
        self.service.refresh()
        self.merged = False

    # ------------------------------------------------------------ operations
    @initialize(data=st.data())
    def every_operation_once(self, data) -> None:
        """Each run starts with every operation once, in a drawn order after a create (so an
        update has a case of the run's own to change): hypothesis' draws favour the first
        operations, and a run that never withdraws a case would test nothing about it."""
        rest = data.draw(st.permutations([op for op in OPS if op != "create"]), label="first ops")
        for op in ("create", *rest):
            self.step(op, data)

    @rule(op=st.sampled_from(OPS), data=st.data())
    def step(self, op: str, data) -> None:
        """One rule drawing the operation: every run mixes every kind (separate rules would be
        switched off at random per run by hypothesis' swarm testing)."""
        RAN[op] += 1
        method = getattr(self, op)
        if op in ("create", "set_status"):
            method(data, data.draw(st.booleans(), label="publish"))
        elif op in ("update", "delete"):
            method(data)
        else:
            method()

    def create(self, data, publish: bool) -> None:
        self.next_id += 1
        case = self._content(data, f"LG-{self.next_id:04d}")
        status = "published" if publish else "draft"
        self.service.store.cases.create(case, user="editor", status=status)
        self.model.cases[case.id] = (case, status)
        self._changed()

    def update(self, data) -> None:
        cid = self._pick(data, self.model.cases)
        case = self._content(data, cid)
        self.service.store.cases.update(case, user="editor")
        self.model.cases[cid] = (case, self.model.cases[cid][1])
        self._changed()

    def set_status(self, data, publish: bool) -> None:
        cid = self._pick(data, self.model.cases)
        status = "published" if publish else "draft"
        self.service.store.cases.set_status(cid, status, user="editor")
        self.model.cases[cid] = (self.model.cases[cid][0], status)
        self._changed()

    def delete(self, data) -> None:
        cid = self._pick(data, self.model.cases)
        self.service.store.cases.remove(cid, user="editor")
        del self.model.cases[cid]
        self._changed()

    def restart(self) -> None:
        """A new server process on the same database and index: it opens the built layout and
        serves what changed since from the delta (`open_large`'s pending changes)."""
        self.service.close()
        self.service = Service.open(self.url, index_dir=self.index_dir)
        self.service.engine()

    def merge(self) -> None:
        """`zhili index --merge`, then the server picks the merged layout up on a full refresh."""
        source_engine(StoreSource(self.service.store.cases), self.index_dir, use_rules=False, rebuild=True)
        self.service.refresh(force=True)
        self.merged = True
        self._equals_scratch_build()

    # ------------------------------------------------------------ invariants
    @invariant()
    def store_matches_model(self) -> None:
        stored = {c.id: c.content_hash() for c in self.service.store.cases.published()}
        assert stored == {c.id: c.content_hash() for c in self.model.published()}

    @invariant()
    def serves_exactly_the_published_library(self) -> None:
        engine = self.service.engine()
        published = {c.id: c for c in self.model.published()}
        assert engine.backend.count() == len(published)
        for text, filters in QUERIES:
            for r in engine.recommend(text, top_k=20, filters=filters).results:
                assert r.case_id in published, f"served {r.case_id}, which is not published"
                case = published[r.case_id]
                assert (r.title, r.problem) == (case.title, case.problem), f"stale version of {r.case_id}"

    def _equals_scratch_build(self) -> None:
        scratch = self.run / "scratch"
        reference = source_engine(StoreSource(self.service.store.cases), scratch, rebuild=True)
        served = self.service.engine()
        for text, filters in QUERIES:
            a = served.recommend(text, top_k=10, filters=filters)
            b = reference.recommend(text, top_k=10, filters=filters)
            problem = same_ranking([(r.case_id, r.score) for r in a.results], [(r.case_id, r.score) for r in b.results])
            assert problem is None, f"after merge, {text}: {problem}"


def _run(backend: str, root: Path) -> None:
    RAN.clear()
    runs, steps = STEPS[backend]
    machine = type(f"Large{backend.title()}Machine", (LargeLibraryMachine,), {"backend": backend, "root": root})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=runs, stateful_step_count=steps, deadline=None, database=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate), suppress_health_check=list(HealthCheck)))
    missing = set(OPS) - set(RAN)
    assert not missing, f"never ran: {missing} ({dict(RAN)})"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_delta_tombstones_and_merge_follow_the_library(backend: str, tmp_path: Path, zhili_home: Path) -> None:
    if backend == "postgresql":
        require_postgresql()
    (zhili_home / "zhili.toml").write_text(LARGE, encoding="utf-8")
    assert config.MatchSettings.load().ann_threshold == 100
    _run(backend, tmp_path)
