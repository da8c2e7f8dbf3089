"""Evaluation folders: queries.jsonl, qrels.tsv, optional corpus.jsonl[.gz] and pools.tsv.

Benchmarks are hand-made files, so every malformed line is reported with its file and line
number instead of being skipped: a silently dropped judgment changes the numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Qrels = dict[str, dict[str, int]]
"""query id → {doc id → grade}; unlisted docs are unjudged (count as 0)."""


class EvalFormatError(ValueError):
    """A missing or malformed evaluation file; the message names file and line."""


@dataclass(frozen=True)
class EvalQuery:
    """One benchmark query; `meta` keeps any other fields (LeCaRD's charges, subset, …)."""

    id: str
    text: str
    style: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalSet:
    """A loaded evaluation folder."""

    root: Path
    queries: list[EvalQuery]
    qrels: Qrels
    corpus: Path | None = None
    pools: dict[str, set[str]] | None = None

    @property
    def name(self) -> str:
        return self.root.name

    def no_fit_ids(self, rel: int = 2) -> set[str]:
        """Queries with no document graded ≥ rel: nothing in the collection fits them."""
        return {q.id for q in self.queries
                if not any(g >= rel for g in self.qrels.get(q.id, {}).values())}

    def styles(self) -> dict[str, str]:
        """query id → style, for the queries that carry one."""
        return {q.id: q.style for q in self.queries if q.style}


def _lines(path: Path) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; a BOM or CRLF is tolerated."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EvalFormatError(f"{path}: 不是 UTF-8 编码（{exc.reason}，字节位置 {exc.start}）") from None
    return [(n, line.rstrip("\r\n")) for n, line in enumerate(text.split("\n"), 1)
            if line.strip()]


def _id(value: Any, where: str, what: str) -> str:
    # LeCaRD ids are numeric strings; accept JSON integers too, as their converters may emit them.
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise EvalFormatError(f"{where}: {what} 必须是非空字符串，收到 {value!r}")
    return str(value).strip()


def load_queries(path: Path) -> list[EvalQuery]:
    """Read queries.jsonl: one `{"id", "text", optional "style", …}` object per line."""
    queries: list[EvalQuery] = []
    first_line: dict[str, int] = {}
    for n, line in _lines(path):
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFormatError(f"{where}: 不是合法的 JSON（{exc.msg}，第 {exc.colno} 列）") from None
        if not isinstance(obj, dict):
            raise EvalFormatError(f"{where}: 每行必须是一个 JSON 对象")
        if "id" not in obj:
            raise EvalFormatError(f"{where}: 缺少字段 id")
        qid = _id(obj.pop("id"), where, "id")
        text = obj.pop("text", None)
        if not isinstance(text, str) or not text.strip():
            raise EvalFormatError(f"{where}: 查询 {qid} 的 text 必须是非空字符串")
        style = obj.pop("style", None)
        if style is not None and not isinstance(style, str):
            raise EvalFormatError(f"{where}: 查询 {qid} 的 style 必须是字符串")
        if qid in first_line:
            raise EvalFormatError(f"{where}: 查询 id {qid} 重复（首次出现在第 {first_line[qid]} 行）")
        first_line[qid] = n
        queries.append(EvalQuery(qid, text.strip(), style or None, obj))
    if not queries:
        raise EvalFormatError(f"{path}: 没有任何查询")
    return queries


def _columns(line: str, n_cols: int, where: str, shape: str) -> list[str]:
    cols = line.split("\t") if "\t" in line else line.split()
    cols = [c.strip() for c in cols]
    if len(cols) != n_cols or not all(cols):
        raise EvalFormatError(f"{where}: 应为 {n_cols} 列（{shape}），实际 {len(cols)} 列：{line!r}")
    return cols


def load_qrels(path: Path, query_ids: set[str] | None = None) -> Qrels:
    """Read qrels.tsv: `qid <TAB> docid <TAB> grade` (TREC's 4-column form is accepted too)."""
    qrels: Qrels = {}
    for n, line in _lines(path):
        where = f"{path}:{n}"
        raw = line.split("\t") if "\t" in line else line.split()
        if len(raw) == 4:  # TREC: qid iteration docid grade
            raw = [raw[0], raw[2], raw[3]]
        qid, doc, grade_text = _columns("\t".join(raw), 3, where, "查询id、文档id、等级")
        try:
            grade = int(grade_text)
        except ValueError:
            raise EvalFormatError(f"{where}: 等级必须是整数，收到 {grade_text!r}") from None
        if query_ids is not None and qid not in query_ids:
            raise EvalFormatError(f"{where}: 查询 {qid} 不在 queries.jsonl 中")
        seen = qrels.setdefault(qid, {})
        if doc in seen and seen[doc] != grade:
            raise EvalFormatError(f"{where}: ({qid}, {doc}) 重复且等级不一致（{seen[doc]} 与 {grade}）")
        seen[doc] = grade
    if not qrels:
        raise EvalFormatError(f"{path}: 没有任何相关性标注")
    return qrels


def load_pools(path: Path, query_ids: set[str] | None = None) -> dict[str, set[str]]:
    """Read pools.tsv: `qid <TAB> docid`, each query's candidate documents."""
    pools: dict[str, set[str]] = {}
    for n, line in _lines(path):
        where = f"{path}:{n}"
        qid, doc = _columns(line, 2, where, "查询id、文档id")
        if query_ids is not None and qid not in query_ids:
            raise EvalFormatError(f"{where}: 查询 {qid} 不在 queries.jsonl 中")
        pools.setdefault(qid, set()).add(doc)
    return pools


def find_corpus(root: Path) -> Path | None:
    """corpus.jsonl, else corpus.jsonl.gz, else None (evaluate against the case library)."""
    for name in ("corpus.jsonl", "corpus.jsonl.gz"):
        if (root / name).is_file():
            return root / name
    return None


def load_eval_dir(root: Path | str) -> EvalSet:
    """Load and check an evaluation folder; raises EvalFormatError naming file and line."""
    root = Path(root)
    if not root.is_dir():
        raise EvalFormatError(f"评测目录不存在：{root}")
    for name in ("queries.jsonl", "qrels.tsv"):
        if not (root / name).is_file():
            raise EvalFormatError(f"{root} 中缺少 {name}")
    queries = load_queries(root / "queries.jsonl")
    ids = {q.id for q in queries}
    qrels = load_qrels(root / "qrels.tsv", ids)
    pools_path = root / "pools.tsv"
    pools = load_pools(pools_path, ids) if pools_path.is_file() else None
    return EvalSet(root, queries, qrels, find_corpus(root), pools)
