"""Evaluation folders load, and malformed input fails naming file and line."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from zhili.eval import EvalFormatError, load_eval_dir

GOV_DEV = Path(__file__).resolve().parents[3] / "shared" / "bench" / "gov-dev"


def make_dir(tmp_path: Path, queries: str | None = None, qrels: str | None = None,
             pools: str | None = None) -> Path:
    (tmp_path / "queries.jsonl").write_text(queries if queries is not None else (
        '{"id": "q1", "text": "加装电梯", "style": "short"}\n'
        '\n'
        '{"id": "q2", "text": "物业不管事咋整", "subset": "x"}\n'), encoding="utf-8")
    (tmp_path / "qrels.tsv").write_text(qrels if qrels is not None else
                                        "q1\tc1\t3\nq1\tc2\t0\nq2\tc3\t1\n", encoding="utf-8")
    if pools is not None:
        (tmp_path / "pools.tsv").write_text(pools, encoding="utf-8")
    return tmp_path


def test_loads_a_small_folder(tmp_path: Path) -> None:
    es = load_eval_dir(make_dir(tmp_path, pools="q1\tc1\nq1\tc9\n"))
    assert [q.id for q in es.queries] == ["q1", "q2"]
    assert es.queries[0].style == "short" and es.queries[1].style is None
    assert es.queries[1].meta == {"subset": "x"}
    assert es.qrels == {"q1": {"c1": 3, "c2": 0}, "q2": {"c3": 1}}
    assert es.pools == {"q1": {"c1", "c9"}}
    assert es.corpus is None and es.no_fit_ids() == {"q2"} and es.styles() == {"q1": "short"}


def test_finds_gzipped_corpus_and_trec_qrels(tmp_path: Path) -> None:
    root = make_dir(tmp_path, qrels="q1 0 c1 2\nq2 0 c3 3\n")
    with gzip.open(root / "corpus.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "c1", "title": "t", "text": "x"}) + "\n")
    es = load_eval_dir(root)
    assert es.corpus == root / "corpus.jsonl.gz"
    assert es.qrels == {"q1": {"c1": 2}, "q2": {"c3": 3}}


@pytest.mark.skipif(not GOV_DEV.is_dir(), reason="shared/bench not present")
def test_gov_dev_loads() -> None:
    es = load_eval_dir(GOV_DEV)
    assert len(es.queries) == 30 and es.no_fit_ids() == {"q002", "q072", "q078"}
    assert set(es.styles().values()) == {"plain", "colloquial", "long", "short"}


@pytest.mark.parametrize("queries, qrels, pools, file, line, message", [
    ('{"id": "q1", "text": "a"}\n{"id": "q2", "text": \n', None, None, "queries.jsonl", 2, "JSON"),
    ('{"id": "q1", "text": "a"}\n\n["q2"]\n', None, None, "queries.jsonl", 3, "JSON 对象"),
    ('{"id": "q1"}\n', None, None, "queries.jsonl", 1, "text"),
    ('{"text": "a"}\n', None, None, "queries.jsonl", 1, "缺少字段 id"),
    ('{"id": "q1", "text": "a", "style": 3}\n', None, None, "queries.jsonl", 1, "style"),
    ('{"id": "q1", "text": "a"}\n{"id": "q1", "text": "b"}\n', None, None, "queries.jsonl", 2,
     "重复.*第 1 行"),
    (None, "q1\tc1\t3\nq1\tc2\thigh\n", None, "qrels.tsv", 2, "等级必须是整数"),
    (None, "q1\tc1\t3\nq1\tc2\n", None, "qrels.tsv", 2, "应为 3 列"),
    (None, "q1\tc1\t3\nq9\tc2\t1\n", None, "qrels.tsv", 2, "q9 不在 queries.jsonl"),
    (None, "q1\tc1\t3\n\nq1\tc1\t1\n", None, "qrels.tsv", 3, "等级不一致"),
    (None, None, "q1\tc1\nq1\tc2\textra\n", "pools.tsv", 2, "应为 2 列"),
    (None, None, "q7\tc1\n", "pools.tsv", 1, "q7 不在"),
])
def test_malformed_input_names_file_and_line(tmp_path: Path, queries: str | None,
                                             qrels: str | None, pools: str | None, file: str,
                                             line: int, message: str) -> None:
    root = make_dir(tmp_path, queries, qrels if qrels is not None else
                    ("q1\tc1\t3\n" if queries is not None else None), pools)
    with pytest.raises(EvalFormatError) as err:
        load_eval_dir(root)
    text = str(err.value)
    assert f"{root / file}:{line}:" in text
    assert re.search(message, text)


def test_missing_files_and_folder(tmp_path: Path) -> None:
    with pytest.raises(EvalFormatError, match="评测目录不存在"):
        load_eval_dir(tmp_path / "nope")
    (tmp_path / "queries.jsonl").write_text('{"id": "q1", "text": "a"}\n', encoding="utf-8")
    with pytest.raises(EvalFormatError, match="缺少 qrels.tsv"):
        load_eval_dir(tmp_path)
    (tmp_path / "qrels.tsv").write_text("\n", encoding="utf-8")
    with pytest.raises(EvalFormatError, match="没有任何相关性标注"):
        load_eval_dir(tmp_path)


def test_non_utf8_is_reported(tmp_path: Path) -> None:
    root = make_dir(tmp_path)
    (root / "queries.jsonl").write_bytes('{"id": "q1", "text": "加装电梯"}\n'.encode("gbk"))
    with pytest.raises(EvalFormatError, match="UTF-8"):
        load_eval_dir(root)
