"""The on-disk index: reused when nothing changed, rebuilt (incrementally) when a case did."""

import json

import pytest

from zhili.cases import case_from_record
from zhili.config import BUNDLED_CASES
from zhili.retrieval.index import library_hash
from zhili.wiring import cases_engine


@pytest.fixture()
def cases(monkeypatch, tmp_path):
    monkeypatch.setenv("ZHILI_HOME", str(tmp_path))
    lines = BUNDLED_CASES.read_text(encoding="utf-8").splitlines()[:40]
    return [case_from_record(json.loads(line)) for line in lines]


def test_index_reused_when_nothing_changed(cases, tmp_path):
    first = cases_engine(cases, tmp_path / "idx", use_rules=False)
    assert first.backend.index.report.rebuilt
    again = cases_engine(cases, tmp_path / "idx", use_rules=False)
    assert not again.backend.index.report.rebuilt
    q = "加装电梯"
    assert [r.case_id for r in first.recommend(q).results] == [r.case_id for r in again.recommend(q).results]


def test_changed_case_rebuilds_and_embeds_only_it(cases, tmp_path):
    cases_engine(cases, tmp_path / "idx", use_rules=False)
    changed = cases[5].model_copy(update={"practice": cases[5].practice + "另设“彩虹桥议事角”。"})
    new = case_from_record({"id": "case-9001", "title": "测试新增：彩虹桥议事角",
                            "problem": "居民议事没有固定场所。", "practice": "在小区凉亭设彩虹桥议事角。"})
    edited = cases[:5] + [changed] + cases[6:] + [new]
    assert library_hash(edited) != library_hash(cases)
    eng = cases_engine(edited, tmp_path / "idx", use_rules=False)
    rep = eng.backend.index.report
    assert rep.rebuilt and rep.tokenized == 2 and rep.embedded == 2
    assert eng.recommend("彩虹桥议事角", top_k=2).results[0].case_id in {"case-9001", cases[5].id}


def test_word_list_change_rebuilds(cases, tmp_path, monkeypatch):
    import shutil
    from zhili.text.wordlists import TEXT_DIR
    cases_engine(cases, tmp_path / "idx", use_rules=False)
    lists = tmp_path / "text"
    shutil.copytree(TEXT_DIR, lists)
    with (lists / "synonyms.tsv").open("a", encoding="utf-8") as fh:
        fh.write("彩虹议事\t议事协商\n")
    monkeypatch.setenv("ZHILI_TEXT_DIR", str(lists))
    eng = cases_engine(cases, tmp_path / "idx", use_rules=False)
    assert eng.backend.index.report.rebuilt and eng.backend.index.report.embedded == 0
    assert "议事协商" in eng.analyze("彩虹议事").tokens


def test_damaged_index_is_rebuilt(cases, tmp_path):
    cases_engine(cases, tmp_path / "idx", use_rules=False)
    (tmp_path / "idx" / "vectors.npy").write_bytes(b"not a numpy file")
    eng = cases_engine(cases, tmp_path / "idx", use_rules=False)
    assert eng.backend.index.report.rebuilt and eng.backend.index.report.embedded == 0
    assert eng.recommend("加装电梯").results
