"""The parts large libraries rest on: vectorised filters, row-wise BM25, delta scoring, IVF, mmap."""

from __future__ import annotations

import numpy as np
import pytest

from zhili.retrieval.ann import AnnIndex, AnnSettings
from zhili.retrieval.casefile import CaseFile, CaseFileWriter
from zhili.retrieval.columns import Columns
from zhili.retrieval.delta import Delta
from zhili.retrieval.filters import Filters
from zhili.retrieval.sparse import SparseIndex, case_document
from zhili.text import Analyzer

FILTERS = [
    {}, {"province": ["浙江"]}, {"province": ["杭州"]}, {"level": ["村社区", "乡镇街道"]},
    {"domain": ["加装电梯", "物业管理"]}, {"leadership": ["能力引领"]}, {"year_from": 2023},
    {"year_to": 2020}, {"province": ["浙江"], "level": ["村社区"], "year_from": 2022},
]


@pytest.mark.parametrize("spec", FILTERS)
def test_column_filters_match_case_filters(bundled_cases, spec):
    f = Filters.model_validate(spec)
    expected = np.array([f.accepts(c) for c in bundled_cases])
    assert (Columns.build(bundled_cases).mask(f) == expected).all()


def test_column_domain_prior_is_the_sum_of_shares(bundled_cases):
    shares = {"加装电梯": 0.6, "议事协商": 0.3, "不存在": 0.1}
    prior = Columns.build(bundled_cases).domain_prior(shares)
    expected = [sum(shares.get(d, 0.0) for d in c.domains) for c in bundled_cases]
    assert np.allclose(prior, expected)


def test_columns_round_trip_memory_mapped(bundled_cases, tmp_path):
    cols = Columns.build(bundled_cases)
    cols.save(tmp_path)
    back = Columns.load(tmp_path)
    assert isinstance(back.year, np.memmap)
    f = Filters(province=["浙江"], domain=["矛盾纠纷调解"])
    assert (back.mask(f) == cols.mask(f)).all()


@pytest.fixture(scope="module")
def docs():
    from zhili.config import BUNDLED_CASES
    import json
    from zhili.cases import case_from_record
    cases = [case_from_record(json.loads(x)) for x in BUNDLED_CASES.read_text(encoding="utf-8").splitlines()]
    analyzer = Analyzer()
    return cases, [analyzer.analyze_document(case_document(c)) for c in cases], analyzer


def test_row_scores_and_top_k_agree_with_full_scores(docs):
    cases, tokens, analyzer = docs
    sparse = SparseIndex.build(tokens)
    query = analyzer.analyze("加装电梯 一楼住户反对 协商").tokens
    full = sparse.scores(query)
    rows = np.array([0, 7, 50, 222])
    assert np.allclose(sparse.scores_for(query, rows), full[rows], atol=1e-5)
    top_rows, top_scores = sparse.top(query, 10)
    assert set(top_rows.tolist()) == set(np.argsort(-full)[:10].tolist())
    keep = np.ones(len(cases), dtype=np.float32)
    keep[top_rows[:3]] = 0
    masked, _ = sparse.top(query, 10, keep)
    assert not set(masked.tolist()) & set(top_rows[:3].tolist())


def test_delta_bm25_is_on_the_main_scale(docs):
    """A case added through the delta scores what a rebuild would give it (same N and df; only
    the average length differs by one document)."""
    cases, tokens, analyzer = docs
    query = analyzer.analyze("老旧小区加装电梯 低层住户 协商").tokens
    rebuilt = SparseIndex.build(tokens).scores(query)
    i = int(np.argmax(rebuilt))
    main = SparseIndex.build(tokens[:i] + tokens[i + 1:])
    delta = Delta([cases[i]], [tokens[i]], None)
    assert delta.sparse_scores(query, main)[0] == pytest.approx(rebuilt[i], rel=0.01)
    # a word only the delta knows counts too, as it would after a rebuild
    assert delta.sparse_scores(["前所未见的词"], main)[0] == 0.0
    fresh = Delta([cases[i]], [tokens[i] + ["前所未见的词"]], None)
    assert fresh.sparse_scores(["前所未见的词"], main)[0] > 0


def test_ivf_finds_exact_neighbours_and_honours_the_selector(tmp_path):
    from zhili.retrieval.index import SHIPPED_VECTORS
    with np.load(sorted(SHIPPED_VECTORS.glob("*.npz"))[-1]) as data:  # the passage vectors
        vectors = data["vectors"].astype(np.float32)
    ann = AnnIndex.build(vectors, AnnSettings(nlist=8))
    ann.save(tmp_path)
    loaded = AnnIndex.load(tmp_path, mmap=True)

    def recall(i: int, nprobe: int) -> float:
        exact = np.argsort(-(vectors @ vectors[i]))[:10]
        rows, _ = loaded.search(vectors[i], 10, nprobe=nprobe)
        return len(set(rows.tolist()) & set(exact.tolist())) / 10

    probes = range(0, len(vectors), 20)
    assert all(recall(i, 8) == 1.0 for i in probes)  # every cell scanned: exact
    assert np.mean([recall(i, 4) for i in probes]) >= 0.9  # half the cells: approximate, close
    q = vectors[5]
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::2] = True
    rows, _ = loaded.search(q, 10, nprobe=4, allowed=allowed)
    assert len(rows) == 10 and allowed[rows].all()


def test_case_file_reads_cases_by_position(bundled_cases, tmp_path):
    CaseFileWriter.write(tmp_path, bundled_cases[:20])
    store = CaseFile(tmp_path)
    assert len(store) == 20
    assert store.get(13) == bundled_cases[13]
    assert [c.id for c in store.many([3, 0])] == [bundled_cases[3].id, bundled_cases[0].id]


def test_condense_keeps_short_queries_and_the_opening_of_long_ones():
    from zhili.retrieval.condense import condense
    short = "小区物业跑路了，找谁？"
    assert condense(short, 128) == short
    long = "【工单】来电人反映：小区停车难。" + "另反映医院门口早高峰拥堵严重。" * 20
    assert condense(long, 128) == long[:128]
    assert condense(long, 0) == long


def test_partial_ordering_equals_full_stable_sort():
    """top_order / RankOf replace full argsorts: they must give exactly the same answer,
    ties and -inf included."""
    from zhili.retrieval.fusion import RankOf, ranks, top_order
    rng = np.random.default_rng(1)
    for _ in range(300):
        x = rng.integers(0, 5, size=int(rng.integers(1, 60))).astype(np.float32)
        x[rng.random(len(x)) < 0.2] = -np.inf
        n = int(rng.integers(1, 25))
        assert (top_order(x, n) == np.argsort(-x, kind="stable")[:n]).all()
        mask = rng.random(len(x)) < 0.7
        full, part = ranks(x, mask), RankOf(x, mask)
        assert all(full[i] == part[i] for i in range(len(x)))
