"""Model-based: random imports into one store (re-imports replace the rows they name) and the
service's cached results always equal a from-scratch evaluation of what a plain dict holds; a
unit's traced history equals its bulk results."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from zhili.assess import Record, assess, load_pack
from zhili.assess.sheets import write_template

PACK = load_pack("health")
UNITS = ("A", "B", "C")
PERIODS = ("2025Q1", "2025Q2", "2025Q3", "2025Q4")
value = st.sampled_from([100, 90, 80, 60, 40])
counts = st.sampled_from([0, 2, 5])


def summary(results: dict) -> dict:
    return {u: [(r.period, r.total, r.level, sorted((w.kind, w.indicator, w.rule) for w in r.warnings))
                for r in h] for u, h in results.items()}


class Imports(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str], dict[str, float]] = {}

    @initialize()
    def open(self) -> None:
        import tempfile

        from zhili.service import Service

        self.tmp = tempfile.TemporaryDirectory(prefix="zhili-assess-model-")
        self.saved_home = os.environ.get("ZHILI_HOME")
        os.environ["ZHILI_HOME"] = self.tmp.name  # the workspace never leaves the temp folder
        self.service = Service.open(f"sqlite:///{Path(self.tmp.name) / 'z.db'}")
        self.n = 0

    @rule(units=st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True),
          periods=st.lists(st.sampled_from(PERIODS), min_size=1, max_size=2, unique=True),
          h01=value, h03=value, h05=counts, h10=value)
    def import_file(self, units: list[str], periods: list[str], h01: int, h03: int, h05: int, h10: int) -> None:
        records = []
        for u in units:
            for p in periods:
                values = {**PACK.baseline, "H01": h01, "H03": h03, "H05": h05, "H10": h10}
                records.append(Record(u, p, values, f"单位{u}"))
                self.rows[(u, p)] = values
        self.n += 1
        path = Path(self.tmp.name) / f"f{self.n}.xlsx"
        path.write_bytes(write_template(PACK, records))
        self.service.assessments.import_file("health", path)

    @rule()
    def read(self) -> None:
        self.service.assessments.results("health")  # fills the cache between imports

    @invariant()
    def equals_rebuild(self) -> None:
        if not hasattr(self, "service"):
            return
        model = assess(PACK, [Record(u, p, v, f"单位{u}") for (u, p), v in self.rows.items()], trace=False)
        got = self.service.assessments.results("health")
        assert summary(got) == summary(model)
        for unit in got:
            assert summary({unit: self.service.assessments.traced(PACK, unit)}) == summary({unit: got[unit]})

    def teardown(self) -> None:
        if hasattr(self, "service"):
            self.service.close()
            self.tmp.cleanup()
            if self.saved_home is None:
                os.environ.pop("ZHILI_HOME", None)
            else:
                os.environ["ZHILI_HOME"] = self.saved_home


Imports.TestCase.settings = settings(max_examples=12, stateful_step_count=6, deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
test_imports_match_a_rebuild = Imports.TestCase
