"""The engine end to end on the bundled library (shipped vectors: nothing is embedded here)."""

import json
from pathlib import Path

import pytest

from zhili.cases import case_from_record
from zhili.config import BUNDLED_CASES
from zhili.engine import Engine, QueryError
from zhili.retrieval.filters import Filters
from zhili.wiring import cases_engine


def bundled_cases():
    return [case_from_record(json.loads(line)) for line in BUNDLED_CASES.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    eng = cases_engine(bundled_cases(), home / "index", use_rules=False)
    yield eng
    mp.undo()


def test_first_open_uses_shipped_vectors(engine):
    assert engine.backend.index.report.rebuilt and engine.backend.index.report.embedded == 0


def test_elevator_problem_finds_elevator_cases(engine):
    ans = engine.recommend("老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果", top_k=5)
    assert not ans.no_fit
    assert all("加装电梯" in r.domains for r in ans.results[:3])


def test_traditional_and_colloquial_query_still_matches(engine):
    ans = engine.recommend("俺們小區想裝電梯，一樓死活不同意，咋整", top_k=5)
    assert "加装电梯" in ans.results[0].domains


def test_synonyms_change_bm25_matching(engine):
    """装电梯 only reaches the 加装电梯 cases' BM25 terms through the synonym map."""
    with_syn = engine.retrieve(engine.analyze("装电梯"), Filters(), None)
    raw = engine.analyzer.tokenize(engine.analyzer.normalize.basic("装电梯"))
    without = engine.backend.index.sparse.scores(raw)
    top = int(with_syn.sparse.argmax())
    assert "加装电梯" in engine.backend.index.cases[top].domains
    assert with_syn.sparse[top] > without[top]


def test_filters_filter(engine):
    ans = engine.recommend("矛盾纠纷调解", top_k=20, filters={"province": ["浙江"], "level": ["村社区", "乡镇街道"]})
    assert ans.results and all(r.province == "浙江" and r.level in ("村社区", "乡镇街道") for r in ans.results)
    ans = engine.recommend("矛盾纠纷调解", top_k=20, filters={"year_from": 2023, "year_to": 2024, "domain": ["矛盾纠纷调解"]})
    assert ans.results and all(2023 <= r.year <= 2024 and "矛盾纠纷调解" in r.domains for r in ans.results)
    ans = engine.recommend("矛盾纠纷调解", top_k=20, filters={"leadership": ["能力引领"]})
    assert ans.results and all("能力引领" in r.leadership for r in ans.results)


def test_invalid_filter_value_is_rejected():
    with pytest.raises(ValueError, match="层级|level"):
        Filters(level=["火星"])


def test_candidates_restrict_ranking(engine):
    ids = {"case-0001", "case-0002", "case-0003"}
    ans = engine.recommend("旧城改造", top_k=10, candidates=ids)
    assert {r.case_id for r in ans.results} == ids
    assert ans.results[0].case_id == "case-0003"


def test_explanation_fields(engine):
    ans = engine.recommend("错峰共享停车", top_k=3)
    r = ans.results[0]
    assert set(r.methods) == {"bm25", "dense", "domain_feedback"} and r.methods["bm25"].rank >= 1
    assert r.source.title and any(x.outcomes for x in ans.results)
    span = r.matched_terms[0].spans[0]
    assert getattr(engine.backend.fetch([r.case_id])[0], span.field)[span.start:span.end].lower() == r.matched_terms[0].term
    assert set(ans.by_dimension) == {"政治引领", "组织引领", "能力引领", "机制引领"}


def test_no_fit_query_is_flagged(engine):
    # was 秸秆禁烧, which has fitting cases since the kinds growth (case-5013, case-5014)
    ans = engine.recommend("楼上邻居高空抛物", top_k=5)
    assert ans.no_fit and ans.message.startswith("库中暂无高度匹配的案例")
    assert all(r.weak for r in ans.results)
    assert not engine.recommend("错峰共享停车").no_fit


@pytest.mark.parametrize("text", ["", "   ", "x" * 20_001])
def test_bad_query_text(engine, text):
    with pytest.raises(QueryError):
        engine.recommend(text)


def test_injection_strings_are_just_text(engine):
    ans = engine.recommend("'; DROP TABLE cases; -- <script>alert(1)</script>")
    assert ans.query.startswith("'; DROP")


def test_query_vector_is_remembered(engine):
    first = engine.recommend("社区停车难，错峰共享停车怎么做", top_k=5)
    assert engine.analyze("社区停车难，错峰共享停车怎么做").text in engine.query_cache
    again = engine.recommend("社区停车难，错峰共享停车怎么做", top_k=5, filters={"level": ["区县", "市"]})
    assert again.results and all(r.level in ("区县", "市") for r in again.results)
    assert [r.case_id for r in engine.recommend("社区停车难，错峰共享停车怎么做", top_k=5).results] == \
        [r.case_id for r in first.results]


def test_empty_library_is_a_clear_error(tmp_path):
    from zhili.engine import EmptyLibraryError
    with pytest.raises(EmptyLibraryError, match="zhili cases import"):
        cases_engine([], tmp_path / "index", use_rules=False)
