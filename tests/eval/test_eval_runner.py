"""run_engine and report with the real engine over a tiny corpus (BM25 only: nothing embedded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from zhili.cases import case_from_record
from zhili.engine import Engine
from zhili.eval import (
    EvalFormatError, candidate_sets, evaluate, load_eval_dir, report, run_engine,
)
from zhili.wiring import cases_engine

from toyset import CORPUS, write_set


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    cases = [case_from_record(c) for c in CORPUS]
    yield cases_engine(cases, home / "index", use_rules=False, dense=False)
    mp.undo()


def test_full_mode_runs_every_query(engine: Engine, tmp_path: Path) -> None:
    es = load_eval_dir(write_set(tmp_path))
    ticks: list[int] = []
    run, fit, flags = run_engine(engine, es, depth=3, use_rules=False, progress=ticks.append)
    assert ticks == [1, 1, 1, 1]
    assert set(run) == set(fit) == set(flags) == {"q1", "q2", "q3", "q4"}
    assert run["q1"][0] == "c1" and run["q2"][0] == "c3" and run["q4"][0] == "c5"
    assert all(len(r) <= 3 for r in run.values())
    rep = report(es, run, fit, flags, depth=3)
    assert rep.retrieval.overall == evaluate(run, es.qrels, query_ids=["q1", "q2", "q3", "q4"]).overall
    assert rep.retrieval.excluded == ["q3"] and rep.no_fit.n_no_fit == 1
    data = rep.to_dict()
    assert data["evaluated"] == 3 and data["no_fit"]["queries"] == ["q3"]
    assert data["per_query"]["q3"]["no_fit_truth"] is True
    assert set(data["by_style"]) == {"plain", "short"}
    json.dumps(data)  # JSON-serialisable as is


def test_pool_and_label_modes_only_rank_candidates(engine: Engine, tmp_path: Path) -> None:
    es = load_eval_dir(write_set(tmp_path))
    pools = candidate_sets(es, "pool")
    run, fit, flags = run_engine(engine, es, mode="pool", use_rules=False)
    assert pools is not None
    for qid, ranked in run.items():
        assert set(ranked) <= pools[qid]
    assert set(run["q1"]) == {"c1", "c2", "c4"} and run["q1"][0] == "c1"
    assert run["q4"] == [] and "q4" not in fit  # empty pool: not asked, empty ranking
    run, _, _ = run_engine(engine, es, mode="label", use_rules=False)
    assert set(run["q1"]) == {"c1", "c2", "c3"} and set(run["q2"]) == {"c3", "c1"}
    rep = report(es, run, {}, {}, mode="label")
    assert {"p@5", "map", "ndcg@20"} <= set(rep.retrieval.overall)


def test_pool_mode_needs_pools(engine: Engine, tmp_path: Path) -> None:
    es = load_eval_dir(write_set(tmp_path, pools=False))
    with pytest.raises(EvalFormatError, match="pools.tsv"):
        run_engine(engine, es, mode="pool")
    with pytest.raises(ValueError, match="未知评测模式"):
        run_engine(engine, es, mode="bm25")
