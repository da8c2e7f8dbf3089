"""The model side of the model-based index tests (imported by name; tests/ has no packages).

`LibraryModel` is what the library must be after every acknowledged operation — a plain dict of
id → (case, status), written only when the server said yes. `reference_answer` builds a brand-new
engine from the model's published cases in a fresh index directory (nothing reused from the
serving engine but the token and vector caches, which are keyed by content), and the served
answer must equal it: same ids in the same order, scores within `TOLERANCE`.
"""

from __future__ import annotations

from pg_database import fresh_pg_database

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

from zhili import config
from zhili.cases import Case
from zhili.wiring import cases_engine

TOLERANCE = 1.01e-4
"""Answers carry scores rounded to 4 decimals. Sums over the same numbers in another order (an
index re-made in place vs. one built from scratch, cases in another order) differ in the last
bits, and a score sitting on a rounding boundary then shows 0.0001 apart: one rounding unit is the
finest equality the answers can show (CI met exactly that once with 1,000 cases). The ids and
their order must still be exactly the rebuild's."""
PG_URL_ENV = "ZHILI_TEST_PG_URL"  # as tests/conftest.py (not imported: several conftest modules exist)
REQUIRE_PG_ENV = "ZHILI_REQUIRE_PG"
QUERIES = (
    ("老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果", {}),
    ("小区物业撤场了，垃圾没人清运，业主意见很大", {"province": ["浙江", "上海", "四川"]}),
    ("农村天价彩礼、人情攀比，怎么移风易俗", {}),
    ("晾衣杆纠纷邻里矛盾调解议事", {"level": ["村社区"]}),
)
# Texts no bundled case has: a case given one of these needs a new passage vector and brings
# its own mechanism terms, so both the re-index and the full-build paths are exercised.
NOVEL = (
    ("鹊桥议事茶话会", "楼栋晾衣杆占道引发邻里纠纷，多次调解无果", "社区每月办鹊桥议事茶话会，邻里当面协商晾晒公约"),
    ("积分超市换文明", "楼道堆物屡禁不止，消防通道被占", "推行文明积分，清理楼道可在积分超市兑换生活用品"),
)


@dataclass
class LibraryModel:
    """id → (case, status) as acknowledged by the server."""

    cases: dict[str, tuple[Case, str]] = field(default_factory=dict)

    def published(self) -> list[Case]:
        return sorted((c for c, s in self.cases.values() if s == "published"), key=lambda c: c.id)

    def drafts(self) -> set[str]:
        return {cid for cid, (_, s) in self.cases.items() if s != "published"}


def novel_case(cid: str, n: int) -> Case:
    mechanism, problem, practice = NOVEL[n % len(NOVEL)]
    return Case(id=cid, title=f"{mechanism}化解难题", province="浙江", level="村社区", year=2024,
                problem=problem, practice=practice, mechanisms=[mechanism], domains=["矛盾纠纷调解"],
                leadership=["机制引领"],  # publishing needs a source (the tests' own label)
                source={"publisher": "测试用来源", "title": f"{mechanism}（测试）"})


def donor_copy(donor: Case, cid: str) -> Case:
    """`donor`'s content under a new id: its passage vector is already in the shipped cache."""
    return donor.model_copy(update={"id": cid}, deep=True)


def jsonl(cases: list[Case], bad_row: bool = False) -> bytes:
    rows = [json.dumps(c.model_dump(mode="json"), ensure_ascii=False) for c in cases]
    if bad_row:  # a row the importer must refuse: the whole file then changes nothing
        rows.insert(len(rows) // 2, json.dumps({"id": "BAD-1", "title": "", "problem": "缺少标题"}, ensure_ascii=False))
    return ("\n".join(rows) + "\n").encode("utf-8")


def reference_answer(model: LibraryModel, index_dir: Path, rules_dir: Path | None, text: str,
                     filters: dict, top: int = 10, settings: config.MatchSettings | None = None):
    """The answer of an engine built from scratch from the model's published cases (BM25,
    vectors, columns; tokens come from `index_dir`'s cache when the word lists are the same —
    a pure function of text and word lists — else the text is tokenized anew)."""
    engine = cases_engine(model.published(), index_dir, settings=settings or config.MatchSettings.load(),
                               rules_dir=rules_dir, rebuild=True)
    return engine.recommend(text, top_k=top, filters=filters)


def same_ranking(served: list[tuple[str, float]], expected: list[tuple[str, float]],
                 tolerance: float = TOLERANCE) -> str | None:
    """None when equal (ids in order, scores within `tolerance`), else what differs."""
    if [i for i, _ in served] != [i for i, _ in expected]:
        return f"ids differ:\n served   {[i for i, _ in served]}\n rebuilt  {[i for i, _ in expected]}"
    worst = max((abs(a - b) for (_, a), (_, b) in zip(served, expected)), default=0.0)
    return None if worst <= tolerance else f"scores differ by {worst:.3g}"


def fresh_database() -> Iterator[str]:
    """A new empty PostgreSQL database on $ZHILI_TEST_PG_URL's server for one state-machine run."""
    yield from fresh_pg_database(os.environ[PG_URL_ENV], prefix="zt_model")


def require_postgresql() -> None:
    """Skip without a test server — or fail when CI requires one (same rule as `db_url`)."""
    import pytest

    if not os.environ.get(PG_URL_ENV):
        if os.environ.get(REQUIRE_PG_ENV) == "1":
            pytest.fail(f"{REQUIRE_PG_ENV}=1 but {PG_URL_ENV} is not set")
        pytest.skip(f"PostgreSQL not configured: set {PG_URL_ENV} (.ci/run starts a server and sets it)")


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / f'model-{uuid.uuid4().hex[:8]}.db'}"


# The index mechanics (delta, tombstones, merge, re-index, two processes) need a real library,
# not this one's size: model tests start from this fixed slice of the bundled library, so each
# step's from-scratch reference build stays as cheap as when the library had 223 cases.
MECHANICS_SLICE = 223


def seed_slice(url: str, n: int = MECHANICS_SLICE) -> None:
    """Initialise the new database at `url` with the first `n` bundled cases, published (a
    `Service.open` afterwards finds it initialised and does not seed the whole library)."""
    from zhili.cases.io import read_cases
    from zhili.store import CaseStore

    store = CaseStore.open(url, seed=False)
    try:
        store.import_cases(read_cases(config.BUNDLED_CASES)[:n], status="published")
    finally:
        store.close()


def copy_rules(dest: Path) -> Path:
    shutil.copytree(config.rules_dir(), dest)
    return dest


def toggle_steering_weight(rules_dir: Path) -> str:
    """An edit an expert might make: the 主领域 boost goes 0.3 ↔ 0.6. Returns the new weight."""
    path = rules_dir / "04-steering" / "steering.json"
    graph = json.loads(path.read_text(encoding="utf-8"))
    for node in graph["nodes"]:
        if node["type"] == "decisionTableNode":
            row = node["content"]["rules"][0]
            row["out_weight"] = "0.6" if row["out_weight"] == "0.3" else "0.3"
            path.write_text(json.dumps(graph, ensure_ascii=False, indent=1), encoding="utf-8")
            return row["out_weight"]
    raise AssertionError("steering pack has no decision table")


class ModelMachine(RuleBasedStateMachine):
    """What the model-based state machines share: a fresh database per run, and drawing cases.

    Subclasses set `prefix` (ids of the cases a run makes) and `novel_one_in` (one case in that
    many gets a text no bundled case has); the test sets `backend` and `root`."""

    backend = "sqlite"
    root: Path
    prefix = "MT-"
    novel_one_in = 6

    def _open_database(self, run: Path) -> str:
        self._db = None
        if self.backend == "sqlite":
            return sqlite_url(run)
        self._db = fresh_database()
        return next(self._db)

    def _close_database(self) -> None:
        if self._db is not None:
            self._db.close()

    def _content(self, data, cid: str) -> Case:
        if data.draw(st.integers(0, self.novel_one_in - 1)) == 0:
            return novel_case(cid, data.draw(st.integers(0, 1)))
        return donor_copy(self.donors[data.draw(st.integers(0, len(self.donors) - 1))], cid)

    def _pick(self, data, ids) -> str:
        """Mostly the cases this run made (they live in the delta / were re-indexed), sometimes
        any case of the library."""
        ids = sorted(ids)
        made = [i for i in ids if i.startswith(self.prefix)]
        if made and data.draw(st.integers(0, 3)) > 0:
            ids = made
        return ids[data.draw(st.integers(0, len(ids) - 1))]
