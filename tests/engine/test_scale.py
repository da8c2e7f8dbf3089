"""Candidate generation (BM25 top-k ∪ IVF) against exact ranking, updates through the delta,
filters and memory-mapped loading — on the bundled library with its shipped vectors."""

from __future__ import annotations

import numpy as np
import pytest

from zhili.config import MatchSettings
from zhili.engine import EmptyLibraryError, Engine
from zhili.retrieval.backend import SearchBackend
from zhili.retrieval.filters import Filters
from zhili.wiring import cases_engine

QUERIES = [
    "老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果",
    "小区物业跑路了，垃圾没人清，找谁？",
    "天价彩礼",
    "农民工讨薪，几十个工人到镇政府",
    "外卖骑手快递员这些新就业群体怎么纳入社区治理",
    "村里的集体资产账目不清，村民有意见",
    "停车难，小区里车位不够，经常堵消防通道",
    "独居老人吃饭难，社区想办老年食堂",
]


def _settings(**kw) -> MatchSettings:
    s = MatchSettings()
    for k, v in kw.items():
        setattr(s, k, v)
    return s


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    yield home
    mp.undo()


@pytest.fixture(scope="module")
def cases():
    from tests.conftest import _bundled
    return [c.model_copy(deep=True) for c in _bundled()]


@pytest.fixture(scope="module")
def exact(home, cases) -> Engine:
    return cases_engine(cases, home / "exact", use_rules=False)


@pytest.fixture(scope="module")
def pruned(home, cases) -> Engine:
    """Candidate generation forced on: 40 candidates per method out of the whole library."""
    settings = _settings(ann_threshold=1, exact_below=0, ann_k=40)
    return cases_engine(cases, home / "ann", use_rules=False, settings=settings)


def test_backend_satisfies_the_contract(exact, pruned):
    assert isinstance(exact.backend, SearchBackend)
    assert exact.backend.exhaustive() and not pruned.backend.exhaustive()
    assert pruned.backend.index.ann is not None and exact.backend.index.ann is None


def test_pruned_ranking_agrees_with_exact(exact, pruned):
    top1 = overlap = 0
    for q in QUERIES:
        a = [r.case_id for r in exact.recommend(q, top_k=10).results]
        b = [r.case_id for r in pruned.recommend(q, top_k=10).results]
        top1 += a[0] == b[0]
        overlap += len(set(a) & set(b))
    assert top1 == len(QUERIES)
    assert overlap / (10 * len(QUERIES)) >= 0.9


def test_pruned_search_returns_few_candidates_with_exact_scores(exact, pruned):
    analysis = exact.analyze(QUERIES[0])
    full = exact.retrieve(analysis, Filters(), None)
    part = pruned.retrieve(analysis, Filters(), None)
    assert full.candidates.exhaustive and len(full.candidates) == exact.backend.count()
    assert not part.candidates.exhaustive and len(part.candidates) < exact.backend.count()
    pos = {cid: i for i, cid in enumerate(full.candidates.ids)}
    idx = [pos[c] for c in part.candidates.ids]
    assert np.allclose(part.sparse, full.sparse[idx], atol=1e-5)
    assert np.allclose(part.dense, full.dense[idx], atol=1e-5)


@pytest.mark.parametrize("spec", [{"province": ["浙江"]}, {"domain": ["矛盾纠纷调解"], "year_from": 2022},
                                  {"leadership": ["能力引领"], "level": ["村社区", "乡镇街道"]}])
def test_filters_hold_on_the_pruned_path(pruned, exact, spec):
    f = Filters.model_validate(spec)
    ans = pruned.recommend("矛盾纠纷调解 网格员 联动", top_k=20, filters=f)
    assert ans.results
    by_id = {c.id: c for c in exact.backend.index.cases}
    assert all(f.accepts(by_id[r.case_id]) for r in ans.results)
    ref = exact.recommend("矛盾纠纷调解 网格员 联动", top_k=20, filters=f)
    assert ans.results[0].case_id == ref.results[0].case_id


def test_selective_filter_is_searched_exactly(home, cases):
    settings = _settings(ann_threshold=1, exact_below=50, ann_k=10)
    eng = cases_engine(cases, home / "ann", use_rules=False, settings=settings)
    analysis = eng.analyze("加装电梯")
    narrow = eng.retrieve(analysis, Filters(domain=["加装电梯"]), None)
    assert narrow.candidates.exhaustive and narrow.candidates.total == len(narrow.candidates)


def test_reopened_index_is_memory_mapped(home, cases, pruned):
    settings = _settings(ann_threshold=1, exact_below=0, ann_k=40)
    again = cases_engine(cases, home / "ann", use_rules=False, settings=settings)
    assert not again.backend.index.report.rebuilt
    assert isinstance(again.backend.index.vectors, np.memmap)
    assert isinstance(again.backend.index.sparse.model.scores["data"], np.memmap)
    assert again.backend.index.ann is not None
    q = QUERIES[1]
    assert ([r.case_id for r in again.recommend(q).results]
            == [r.case_id for r in pruned.recommend(q).results])


@pytest.mark.parametrize("which", ["exact", "pruned"])
def test_updates_are_searchable_at_once(request, cases, which):
    engine: Engine = request.getfixturevalue(which)
    before = [r.case_id for r in engine.recommend(QUERIES[0], top_k=5).results]
    gone = before[0]
    # a new case: an existing one plus a mechanism word no case has (one passage is embedded)
    src = next(c for c in cases if c.id == before[1])
    new = src.model_copy(update={"id": "new-case-1", "mechanisms": [*src.mechanisms, "彩虹议事厅"]})
    edited = next(c for c in cases if c.id == before[2]).model_copy(update={"province": "测试省"})
    newer = engine.updated([new, edited], [gone])
    assert newer is not engine and newer.backend is not engine.backend
    assert newer.backend.count() == engine.backend.count()  # +1 new, -1 removed, edit in place
    after = newer.recommend(QUERIES[0], top_k=20)
    ids = [r.case_id for r in after.results]
    assert gone not in ids and "new-case-1" in ids
    assert newer.recommend("彩虹议事厅", top_k=3).results[0].case_id == "new-case-1"
    only_xj = newer.recommend(QUERIES[0], filters={"province": ["测试省"]}).results
    assert [r.case_id for r in only_xj] == [edited.id]
    # the old engine still answers from the old library
    assert [r.case_id for r in engine.recommend(QUERIES[0], top_k=5).results] == before
    # deleting the new case again; deleted ids are never returned
    third = newer.updated([], ["new-case-1", "no-such-id"])
    assert "new-case-1" not in [r.case_id for r in third.recommend("彩虹议事厅", top_k=50).results]
    with pytest.raises(KeyError):
        third.backend.fetch([gone])


def test_removing_everything_is_a_clear_error(exact, cases):
    with pytest.raises(EmptyLibraryError):
        exact.updated([], [c.id for c in cases])


def test_long_queries_embed_their_opening_only(exact):
    text = "【工单】来电人反映：老旧小区加装电梯，一楼住户坚决反对。" + "另外小区停车也很困难，晚上找不到车位。" * 12
    analysis = exact.analyze(text)
    assert exact.dense_text(analysis) == analysis.text[:exact.settings.query_embed_chars]
    assert len(analysis.text) > exact.settings.query_embed_chars
    assert "加装电梯" in exact.recommend(text, top_k=3).results[0].domains
