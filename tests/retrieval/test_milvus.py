"""Milvus-only behaviour on milvus-lite: filter expressions, the collection's life cycle, limits,
server-side hybrid search, and the whole engine answering through Milvus."""

from __future__ import annotations

import re

import numpy as np
import pytest

from zhili.cases import case_from_record
from zhili.config import MatchSettings
from zhili.engine import Engine
from zhili.retrieval.filters import Filters
from zhili.retrieval.milvus import (
    MAX_VARCHAR, MilvusBackend, MilvusBackendError, filter_expr, literal, token_text,
)
from zhili.retrieval.sparse import SparseIndex
from zhili.wiring import cases_engine

from test_backends import exact, library, make_backend  # noqa: F401  (fixtures, reused)


def open_lite(tmp_path, **kw) -> MilvusBackend:
    return MilvusBackend.open(str(tmp_path / "m.db"), collection="cases", **kw)


# ---------------------------------------------------------------- expressions
def test_filter_expression_mirrors_filters():
    assert filter_expr(Filters()) == ""
    expr = filter_expr(Filters(province=["浙江"], level=["村社区"], domain=["加装电梯"],
                               leadership=["组织引领"], year_from=2019, year_to=2022))
    assert expr == ('(ARRAY_CONTAINS_ANY(place_keys, ["浙江"])) and (level in ["村社区"]) and '
                    '(ARRAY_CONTAINS_ANY(domains, ["加装电梯"])) and '
                    '(ARRAY_CONTAINS_ANY(leadership, ["组织引领"])) and (year IS NOT NULL) and '
                    '(year >= 2019) and (year <= 2022)')
    assert filter_expr(Filters(year_to=2018)) == "(year IS NOT NULL) and (year <= 2018)"


@pytest.mark.parametrize("value, lit", [
    ('浙江" or id != "', '"浙江\\" or id != \\""'),
    ("a\\", '"a\\\\"'),
    ("x\ny", '"x\\ny"'),
    ("it's", '"it\'s"'),
])
def test_literals_escape_quotes_and_backslashes(value, lit):
    assert literal(value) == lit


def test_control_characters_are_refused_with_a_clear_error():
    with pytest.raises(ValueError, match="控制字符"):  # Filters refuses them for every backend
        Filters(province=["浙江\x00"])
    # and the expression builder still refuses them if an unvalidated Filters slips through
    with pytest.raises(MilvusBackendError, match="控制字符"):
        filter_expr(Filters.model_construct(province=["浙江\x00"], level=[], domain=[], leadership=[],
                                            year_from=None, year_to=None))


def test_tokens_become_one_ascii_word_each():
    words = token_text(["3.5", "a b", "电梯", "。", "电梯", ""]).split(" ")
    assert len(words) == 5 and words[2] == words[4] and len(set(words)) == 4
    assert all(re.fullmatch(r"z[0-9a-f]{16}", w) for w in words)


# ---------------------------------------------------------------- scores
def test_bm25_scores_match_bm25s_at_other_k1_b(tmp_path, library):
    """Milvus multiplies by (k1 + 1); the backend divides it out, for whatever k1 was set."""
    backend = open_lite(tmp_path, bm25=(1.2, 0.6))
    backend.upsert(library.cases, library.tokens, library.vectors)
    tokens = library.analyzer.analyze("物业费收缴难 业委会").tokens
    c = backend.search(tokens, None, 10, Filters())
    ref = SparseIndex.build(library.tokens, k1=1.2, b=0.6).scores(tokens)
    pos = {x.id: i for i, x in enumerate(library.cases)}
    np.testing.assert_allclose(c.sparse, ref[[pos[i] for i in c.ids]], rtol=1e-4, atol=1e-4)
    backend.close()


def test_top_k_path_stats_and_found_by(tmp_path, library):
    backend = make_backend("milvus", tmp_path, library, ann=True)
    f = Filters(province=["浙江"])
    tokens, vector = library.query("村里议事协商，村民说事")
    bm25 = SparseIndex.build(library.tokens).scores(tokens)
    matching = sum(1 for c, s in zip(library.cases, bm25) if s > 0 and f.accepts(c))
    assert matching > 5
    c = backend.search(tokens, vector, 5, f)
    assert not c.exhaustive and 5 <= len(c) <= 10 and c.total == sum(map(f.accepts, library.cases))
    assert ((c.found_by & 1) > 0).sum() == 5 and ((c.found_by & 2) > 0).sum() == 5
    assert np.isnan(c.stats.sparse_min) and np.isnan(c.stats.dense_median)  # unknown, not guessed
    few = backend.search(library.analyzer.analyze("加装电梯").tokens, vector, 5, f)
    assert few.stats.sparse_min == 0.0  # fewer BM25 hits than filtered cases: some score 0
    backend.close()


# ---------------------------------------------------------------- life cycle
def test_reopening_keeps_the_collection(tmp_path, library):
    backend = open_lite(tmp_path)
    backend.upsert(library.cases[:50], library.tokens[:50], library.vectors[:50])
    tokens, vector = library.query("加装电梯")
    before = backend.search(tokens, vector, 5, Filters())
    backend.close()
    again = open_lite(tmp_path)
    assert again.count() == 50
    after = again.search(tokens, vector, 5, Filters())
    assert after.ids == before.ids
    np.testing.assert_allclose(after.sparse, before.sparse, rtol=1e-5)
    again.close()


def test_existing_collection_with_other_shape_is_refused(tmp_path):
    open_lite(tmp_path, dim=384).close()
    with pytest.raises(MilvusBackendError, match="维度"):
        open_lite(tmp_path, dim=8)
    from pymilvus import DataType, MilvusClient
    client = MilvusClient(str(tmp_path / "m.db"))
    schema = client.create_schema(auto_id=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index("v", index_type="FLAT", metric_type="COSINE")
    client.create_collection("foreign", schema=schema, index_params=index)
    with pytest.raises(MilvusBackendError, match="不是 zhili"):
        MilvusBackend.open(str(tmp_path / "m.db"), collection="foreign")


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(MilvusBackendError, match="无法连接 Milvus"):
        MilvusBackend.open("http://127.0.0.1:1", timeout=1)


def test_query_vector_of_the_wrong_size_is_refused(tmp_path, library):
    backend = open_lite(tmp_path)
    backend.upsert(library.cases[:3], library.tokens[:3], library.vectors[:3])
    with pytest.raises(ValueError, match="维"):
        backend.search(["电梯"], np.ones(8, np.float32), 5, Filters())
    backend.close()


@pytest.mark.parametrize("name", ["", "1cases", "cases; drop", "案例"])
def test_bad_collection_names_are_refused(tmp_path, name):
    with pytest.raises(MilvusBackendError, match="集合名无效"):
        MilvusBackend.open(str(tmp_path / "m.db"), collection=name)


def test_without_dense_field_and_loaded_in_two_parts(tmp_path, library, exact):
    """Loading in two upserts gives the scores of one load: on lite the second upsert rewrites
    the collection into one segment, so BM25 statistics span the whole library."""
    backend = open_lite(tmp_path, dim=None)
    backend.upsert(library.cases[:200], library.tokens[:200], None)
    backend.upsert(library.cases[200:], library.tokens[200:], None)
    tokens, vector = library.query("加装电梯")
    c = backend.search(tokens, vector, 5, Filters(level=["村社区"]))
    assert c.total == sum(x.level == "村社区" for x in library.cases) == len(c)
    assert np.isnan(c.dense).all() and c.sparse.max() > 0
    pos = {x.id: i for i, x in enumerate(library.cases)}
    np.testing.assert_allclose(c.sparse, exact.scores(tokens)[[pos[i] for i in c.ids]], rtol=1e-4, atol=1e-4)
    backend.close()


def test_oversized_or_duplicate_input_writes_nothing(tmp_path, library):
    backend = open_lite(tmp_path)
    backend.upsert(library.cases[:3], library.tokens[:3], library.vectors[:3])
    huge = library.cases[5].model_copy(update={"practice": "治" * (MAX_VARCHAR // 3 + 10)})
    with pytest.raises(MilvusBackendError, match=huge.id):
        backend.upsert([library.cases[4], huge], [library.tokens[4], ["治"]],
                       library.vectors[4:6])
    with pytest.raises(ValueError, match="重复"):
        backend.upsert([library.cases[4]] * 2, [library.tokens[4]] * 2, library.vectors[[4, 4]])
    with pytest.raises(ValueError, match="维度"):
        backend.upsert(library.cases[4:5], library.tokens[4:5], np.ones((1, 8), np.float32))
    with pytest.raises(ValueError, match="k 至少为 1"):
        backend.search(["电梯"], None, 0, Filters())
    assert backend.count() == 3
    backend.close()


def test_many_cases_are_written_in_batches(tmp_path, library):
    base = library.cases[0]
    cases = [base.model_copy(update={"id": f"bulk-{i:04d}"}) for i in range(1100)]
    backend = open_lite(tmp_path, dim=None)
    backend.upsert(cases, [library.tokens[0]] * len(cases), None)
    assert backend.count() == 1100
    backend.delete([c.id for c in cases[:600]])
    assert backend.count() == 500
    backend.close()


# ---------------------------------------------------------------- server-side hybrid
def test_server_side_rrf_hybrid(tmp_path, library):
    backend = make_backend("milvus", tmp_path, library)
    tokens, vector = library.query("老旧小区想加装电梯，一楼住户坚决反对")
    hits = backend.hybrid(tokens, vector, 3, Filters())
    cases = {c.id: c for c in library.cases}
    assert len(hits) == 3 and any("加装电梯" in cases[i].domains for i, _ in hits)
    assert hits[0][1] >= hits[-1][1] > 0
    only = backend.hybrid(tokens, vector, 10, Filters(level=["省"]))
    assert only and all(cases[i].level == "省" for i, _ in only)
    backend.close()


# ---------------------------------------------------------------- the engine through Milvus
@pytest.fixture(scope="module")
def engines(tmp_path_factory, library):
    home = tmp_path_factory.mktemp("home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ZHILI_HOME", str(home))
    embedded = cases_engine(library.cases, home / "index", settings=MatchSettings(), vectors=library.vectors)
    backend = MilvusBackend.open(str(home / "milvus.db"))
    backend.upsert(library.cases, library.tokens, library.vectors)
    milvus = Engine(backend, embedded.analyzer, embedded.embedder, embedded.settings, embedded.rules)
    yield embedded, milvus
    backend.close()
    mp.undo()


@pytest.mark.parametrize("text, filters", [
    ("老旧小区想加装电梯，一楼住户坚决反对，协商了几次都没结果", {}),
    ("小区物业跑路了，垃圾没人清，找谁？", {"province": ["浙江"]}),
    ("天价彩礼", {"level": ["村社区"], "year_from": 2019}),
])
def test_engine_answers_are_the_same_on_milvus(engines, text, filters):
    embedded, milvus = engines
    a, b = embedded.recommend(text, filters=filters), milvus.recommend(text, filters=filters)
    assert [r.case_id for r in b.results] == [r.case_id for r in a.results]
    assert [r.score for r in b.results] == pytest.approx([r.score for r in a.results], abs=1e-3)
    assert (b.no_fit, b.fit_score) == (a.no_fit, pytest.approx(a.fit_score, abs=1e-3))
    assert b.routing == a.routing and b.risk == a.risk


def test_engine_update_through_milvus(engines):
    _, milvus = engines
    new = case_from_record({"id": "case-9002", "title": "彩虹桥议事角化解广场舞噪音纠纷",
                            "problem": "广场舞音响扰民。", "practice": "设彩虹桥议事角，约定音量和时段。",
                            "domains": ["议事协商"]})
    updated = milvus.updated([new], [])
    assert updated.recommend("彩虹桥议事角", top_k=1).results[0].case_id == "case-9002"
    updated.updated([], ["case-9002"])  # one shared collection: every engine on it sees this
    assert "case-9002" not in [r.case_id for r in milvus.recommend("彩虹桥议事角").results]


def test_diff_sends_only_what_changed(tmp_path, library):
    backend = open_lite(tmp_path, dim=None)
    assert backend.diff(library.cases[:3]) == (library.cases[:3], [])
    backend.upsert(library.cases[:3], library.tokens[:3], None)
    edited = library.cases[1].model_copy(update={"title": "改过的标题"})
    new = library.cases[4]
    changed, removed = backend.diff([library.cases[0], edited, new])
    assert changed == [edited, new] and removed == [library.cases[2].id]
    backend.close()


# ---------------------------------------------------------------- chosen by settings
def test_settings_select_milvus_and_the_collection_follows_the_library(tmp_path, library, monkeypatch):
    """`backend = "milvus"` in zhili.toml is all a deployment changes: the engine syncs the
    collection from the library (only differing cases are written) and answers through it."""
    monkeypatch.setenv("ZHILI_HOME", str(tmp_path))
    uri = str(tmp_path / "milvus.db")
    (tmp_path / "zhili.toml").write_text(f'[match]\nbackend = "milvus"\nmilvus_uri = "{uri}"\n', encoding="utf-8")
    settings = MatchSettings.load()
    first = cases_engine(library.cases[:40], tmp_path / "index", settings=settings, vectors=library.vectors[:40])
    assert type(first.backend).__name__ == "MilvusBackend" and first.backend.count() == 40
    assert not (tmp_path / "index").exists()  # no on-disk index: the collection is the index
    # a reopen with one case removed and one added only writes the difference
    cases = library.cases[1:41]
    again = cases_engine(cases, tmp_path / "index", settings=settings, vectors=library.vectors[1:41])
    assert again.backend.count() == 40 and again.backend.diff(cases) == ([], [])
    top = again.recommend(cases[5].title, top_k=3)
    assert cases[5].id in [r.case_id for r in top.results]
    assert library.cases[0].id not in {r.case_id for r in again.recommend(library.cases[0].title).results}
    again.backend.close()
    first.backend.close()


def test_unknown_backend_and_missing_uri_are_clear_errors(tmp_path, library, monkeypatch):
    monkeypatch.setenv("ZHILI_HOME", str(tmp_path))
    (tmp_path / "zhili.toml").write_text('[match]\nbackend = "elastic"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="backend 应为 embedded 或 milvus"):
        MatchSettings.load()
    with pytest.raises(ValueError, match="milvus_uri"):
        cases_engine(library.cases[:5], tmp_path / "index", settings=MatchSettings(backend="milvus"),
                          vectors=library.vectors[:5])
