"""The large-library layout (streamed build, cases on disk, memory-mapped serving) gives the same
answers as the in-memory library — from a corpus file and from the case store."""

from __future__ import annotations

import os

import numpy as np
import pytest

from zhili.config import BUNDLED_CASES, MatchSettings
from zhili.engine import Engine
from zhili.retrieval.casefile import CaseFile
from zhili.wiring import cases_engine, open_engine
from bundled import BUNDLED

QUERIES = ["老旧小区想加装电梯，一楼住户坚决反对", "小区物业跑路了，垃圾没人清，找谁？", "天价彩礼",
           "外卖骑手怎么纳入社区治理", "村里的集体资产账目不清"]


def _settings(**kw) -> MatchSettings:
    s = MatchSettings()
    for k, v in kw.items():
        setattr(s, k, v)
    return s


@pytest.fixture
def exact(zhili_home, bundled_cases) -> Engine:
    return cases_engine(bundled_cases, zhili_home / "exact")


def _ids(engine: Engine, q: str, **kw) -> list[str]:
    return [r.case_id for r in engine.recommend(q, **kw).results]


def test_corpus_with_vectors_streams_into_the_large_layout(zhili_home, exact):
    corpus = zhili_home / "corpus.jsonl"
    corpus.write_text(BUNDLED_CASES.read_text(encoding="utf-8"), encoding="utf-8")
    vectors = np.asarray(exact.backend.index.vectors)
    settings = _settings(ann_threshold=1, exact_below=BUNDLED)  # large layout, exhaustive search (total <= exact_below)
    large = open_engine(corpus=corpus, vectors=vectors, settings=settings)
    assert large.backend.index.manifest["layout"] == "large" and large.backend.index.report.rebuilt
    assert isinstance(large.backend.index.cases, CaseFile) and large.backend.index.ann is not None
    for q in QUERIES:
        assert _ids(large, q) == _ids(exact, q)
    assert _ids(large, "矛盾纠纷调解", filters={"province": ["浙江"]}) == \
        _ids(exact, "矛盾纠纷调解", filters={"province": ["浙江"]})
    # reopening maps the files instead of rebuilding; the answers do not change
    again = open_engine(corpus=corpus, vectors=vectors, settings=settings)
    assert not again.backend.index.report.rebuilt
    assert isinstance(again.backend.index.columns.domains, np.memmap) and again.backend.index.ann is not None
    assert _ids(again, QUERIES[0]) == _ids(exact, QUERIES[0])
    # pruned candidate generation on the same files keeps the top answers
    pruned = open_engine(corpus=corpus, vectors=vectors, settings=_settings(ann_threshold=1, exact_below=0, ann_k=60))
    assert all(_ids(pruned, q)[0] == _ids(exact, q)[0] for q in QUERIES)
    # a changed corpus file is rebuilt
    corpus.write_text("\n".join(BUNDLED_CASES.read_text(encoding="utf-8").splitlines()[:100]) + "\n",
                      encoding="utf-8")
    os.utime(corpus, ns=(1, 1))
    smaller = open_engine(corpus=corpus, vectors=vectors[:100], settings=settings)
    assert smaller.backend.index.report.rebuilt and smaller.backend.count() == 100


def test_misaligned_vectors_are_refused(zhili_home, exact):
    corpus = zhili_home / "corpus.jsonl"
    corpus.write_text(BUNDLED_CASES.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ValueError):
        open_engine(corpus=corpus, vectors=np.asarray(exact.backend.index.vectors)[:10],
                    settings=_settings(ann_threshold=1))


def test_store_library_above_the_threshold_uses_the_large_layout(zhili_home, exact):
    settings = _settings(ann_threshold=100)  # the bundled library (> 100 published cases) → large layout
    large = open_engine(settings=settings)
    assert large.backend.index.manifest["layout"] == "large"
    assert large.backend.index.manifest["source"].startswith("store:")
    for q in QUERIES:
        assert _ids(large, q) == _ids(exact, q)
    # updates on a large engine: searchable at once, deleted never returned
    gone = _ids(large, QUERIES[0])[0]
    newer = large.updated([], [gone])
    assert gone not in _ids(newer, QUERIES[0], top_k=50)
    assert gone in _ids(large, QUERIES[0], top_k=50)


def test_a_few_store_changes_are_served_from_the_delta_until_merged(zhili_home, exact, bundled_cases):
    from zhili.store import CaseStore
    settings = _settings(ann_threshold=100, delta_merge=10)
    first = open_engine(settings=settings)
    gone = _ids(first, QUERIES[0])[0]
    edited = next(c for c in bundled_cases if c.id == _ids(first, QUERIES[1])[0])
    edited = edited.model_copy(update={"province": "测试省"})
    with CaseStore.open() as store:
        store.import_cases([edited], mode="upsert")
        store.delete([gone])
    again = open_engine(settings=settings)
    assert not again.backend.index.report.rebuilt  # not rebuilt: the two changes sit in the delta
    assert len(again.backend.delta) == 1 and again.backend.count() == len(bundled_cases) - 1
    assert gone not in _ids(again, QUERIES[0], top_k=50)
    assert _ids(again, QUERIES[1], filters={"province": ["测试省"]}) == [edited.id]
    merged = open_engine(settings=settings, rebuild=True)  # `zhili index --merge`
    assert merged.backend.index.report.rebuilt and len(merged.backend.delta) == 0
    assert _ids(merged, QUERIES[1], filters={"province": ["测试省"]}) == [edited.id]
    assert gone not in _ids(merged, QUERIES[0], top_k=50)
