"""The Milvus search backend: the same candidates as the embedded backend, from a Milvus cluster.

Milvus (2.5+) keeps the index — a BM25 Function over an analysed text field, a dense COSINE
vector field and the filter facets — so the library can grow past one machine. zhili still
owns the text processing: documents and queries arrive as the analyzer's tokens, stored as
hashed ASCII terms that any Milvus tokenizer splits back exactly, so Milvus's BM25 sees exactly
the tokens the embedded backend sees (gov-dev BM25 nDCG@10 is identical; Milvus's own jieba
analyzer on the raw text measured 0.795 vs 0.792, and loses the synonym map and stopwords; see
docs/milvus.md).

`milvus-lite` (a local file URI) runs the same API in process and is what the tests use.
Filter values are turned into expression literals by escaping, never by pasting: a province
like `浙江"] or id != "` is a string that matches nothing, not an expression.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any, Collection, Sequence

import numpy as np

from ..cases import Case
from ..cases.model import ID_PATTERN, STORED
from .backend import FOUND_ALL, FOUND_DENSE, FOUND_SPARSE, BackendInfo, BuildReport, Candidates, ScoreStats
from .filters import Filters
from .view import CandidateView

DEFAULT_COLLECTION = "zhili_cases"
MAX_VARCHAR = 65_535  # Milvus's VARCHAR limit (checked in UTF-8 bytes, the stricter reading)
MAX_TOPK = 16_384  # Milvus's largest search limit
EXHAUSTIVE_BELOW = 4_096
MAX_PLACE_CHARS = 80  # all substrings of the place must fit one ARRAY (capacity 4096)
WRITE_BATCH = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class MilvusBackendError(ValueError):
    """The Milvus collection cannot be used as asked (wrong schema, bad input); says why."""


# ------------------------------------------------------------------ expressions
def literal(value: str) -> str:
    """A Milvus string literal for `value`: quote, backslash, newline and tab escaped; other
    control characters refused (the expression grammar has no escape for them)."""
    if not isinstance(value, str):
        raise MilvusBackendError(f"筛选值必须是字符串，收到 {type(value).__name__}")
    if _CONTROL.search(value):
        raise MilvusBackendError(f"筛选值含有控制字符：{value!r}")
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(literal(v) for v in values) + "]"


def filter_expr(filters: Filters) -> str:
    """The Milvus filter for `filters`, meaning exactly `Filters.accepts` ("" = no filter).

    Province matches any substring of the case's place (as `p in case.place` does), via the
    `place_keys` array; cases without a year never pass a year filter.
    """
    parts = []
    if filters.province:
        parts.append(f"ARRAY_CONTAINS_ANY(place_keys, {_list(filters.province)})")
    if filters.level:
        parts.append(f"level in {_list(filters.level)}")
    if filters.domain:
        parts.append(f"ARRAY_CONTAINS_ANY(domains, {_list(filters.domain)})")
    if filters.leadership:
        parts.append(f"ARRAY_CONTAINS_ANY(leadership, {_list(filters.leadership)})")
    if filters.year_from or filters.year_to:
        parts.append("year IS NOT NULL")
        if filters.year_from:
            parts.append(f"year >= {int(filters.year_from)}")
        if filters.year_to:
            parts.append(f"year <= {int(filters.year_to)}")
    return " and ".join(f"({p})" for p in parts)


def _valid_ids(ids: Sequence[str]) -> list[str]:
    """Ids that can exist (case ids are validated on the way in); others cannot match."""
    return [i for i in dict.fromkeys(ids) if isinstance(i, str) and ID_PATTERN.match(i)]


# ------------------------------------------------------------------ rows
@lru_cache(maxsize=1 << 20)
def term(token: str) -> str:
    """A token as a short lowercase ASCII word (64-bit hash). Milvus's `standard` tokenizer cuts
    Chinese into single characters and its `whitespace` tokenizer is documented only from 2.6
    (milvus-lite lacks it); every tokenizer, lite's `\\w+` included, keeps `z3f9…` whole."""
    return "z" + hashlib.blake2b(token.encode("utf-8"), digest_size=8).hexdigest()


def token_text(tokens: Sequence[str]) -> str:
    """What the BM25 field holds (and a query sends): zhili's tokens as terms, space-joined."""
    return " ".join(term(t) for t in tokens if t)


def place_keys(case: Case) -> list[str]:
    """Every substring of the case's place (and ""), so a province filter is an exact
    array lookup with no LIKE wildcards to escape."""
    place = case.place
    keys = {""} | {place[i:j] for i in range(len(place)) for j in range(i + 1, len(place) + 1)}
    return sorted(keys)


def case_row(case: Case, tokens: Sequence[str], vector: np.ndarray | None) -> dict[str, Any]:
    """One entity; raises MilvusBackendError naming the case when a field will not fit."""
    if len(case.place) > MAX_PLACE_CHARS:
        raise MilvusBackendError(f"案例 {case.id} 的地点过长（{len(case.place)} 字，上限 {MAX_PLACE_CHARS}）")
    row: dict[str, Any] = {
        "id": case.id,
        "tokens": token_text(tokens),
        "level": case.level,
        "year": case.year,
        "place_keys": place_keys(case),
        "domains": list(case.domains),
        "leadership": list(case.leadership),
        "case": case.model_dump_json(),
        "hash": case.content_hash(),
    }
    for name in ("tokens", "case"):
        size = len(row[name].encode("utf-8"))
        if size > MAX_VARCHAR:
            raise MilvusBackendError(
                f"案例 {case.id} 的{'分词文本' if name == 'tokens' else '内容'}过长（{size} 字节，"
                f"Milvus 单字段上限 {MAX_VARCHAR}）")
    if vector is not None:
        row["dense"] = np.asarray(vector, dtype=np.float32).tolist()
    return row


# ------------------------------------------------------------------ the backend
class MilvusBackend:
    """SearchBackend over one Milvus collection (server URI or milvus-lite file)."""

    name = "milvus"

    def __init__(self, client: Any, collection: str, dim: int | None,
                 bm25: tuple[float, float] = (1.5, 0.75), exhaustive_below: int = EXHAUSTIVE_BELOW,
                 lite: bool = False):
        self.client = client
        self.collection = collection
        self.dim = dim
        self.bm25 = bm25
        self.lite = lite
        self.exhaustive_below = min(exhaustive_below, MAX_TOPK)
        self.report = BuildReport(rebuilt=False)
        """What the last sync from the case library wrote (set by `zhili.wiring`)."""

    # ---------------------------------------------------------- opening
    @classmethod
    def open(cls, uri: str, token: str | None = None, collection: str = DEFAULT_COLLECTION,
             dim: int | None = 384, bm25: tuple[float, float] = (1.5, 0.75),
             exhaustive_below: int = EXHAUSTIVE_BELOW, timeout: float = 10.0) -> "MilvusBackend":
        """Connect and create the collection if missing (or check an existing one's schema).

        `uri` is a server ("http://host:19530") or a local file ("/path/zhili.db", milvus-lite).
        `dim=None` means no dense field (embedder "none"). `bm25` (k1, b) is fixed when the
        collection is created: pass the same values every time (a change needs a rebuild).
        An unreachable server raises MilvusBackendError after `timeout` seconds.
        """
        from pymilvus import MilvusClient, MilvusException

        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,254}", collection):
            raise MilvusBackendError(f"集合名无效：{collection!r}（字母、数字、下划线，字母或下划线开头）")
        lite = _is_lite(uri)
        try:
            client = MilvusClient(uri=uri, token=token or "", timeout=timeout)
        except MilvusException as exc:
            raise MilvusBackendError(f"无法连接 Milvus（{uri}）：{exc.message}") from exc
        if client.has_collection(collection):
            _check_schema(client.describe_collection(collection), collection, dim)
            client.load_collection(collection)
        else:
            schema, index = _schema(client, dim, bm25, lite=lite)
            client.create_collection(collection, schema=schema, consistency_level="Strong")
            # milvus-lite indexes at once; waiting as for a server costs 0.5 s per index
            client.create_index(collection, index, sync=not lite)
            client.load_collection(collection)
        return cls(client, collection, dim, bm25, exhaustive_below, lite=lite)

    def copy(self) -> "MilvusBackend":
        """The same collection: Milvus is shared and mutable, so unlike the embedded backend a
        copy sees later writes too (a request in flight during an update may see the change)."""
        other = MilvusBackend(self.client, self.collection, self.dim, self.bm25,
                              self.exhaustive_below, lite=self.lite)
        other.report = self.report
        return other

    def close(self) -> None:
        self.client.close()

    def drop(self) -> None:
        """Delete the collection and everything in it (a rebuild starts from here)."""
        self.client.drop_collection(self.collection)

    # ---------------------------------------------------------- what it is
    def count(self) -> int:
        return self._count("")

    def exhaustive(self) -> bool:
        return self.count() <= self.exhaustive_below

    @property
    def has_vectors(self) -> bool:
        return self.dim is not None

    def describe(self) -> BackendInfo:
        vectors = None if self.dim is None else ("FLAT 向量索引" if self.lite else "HNSW 向量索引")
        return BackendInfo(
            cases=self.count(), exhaustive=self.exhaustive(),
            threshold=f"案例数不超过 milvus_exhaustive_below={self.exhaustive_below}", vectors=vectors,
            storage=f"Milvus 集合 {self.collection}", delta=0, report=self.report)

    # ---------------------------------------------------------- writes

    def upsert(self, cases: Sequence[Case], tokens: Sequence[list[str]],
               vectors: np.ndarray | None) -> None:
        """Validate every row first, then write in batches: bad input writes nothing."""
        if len(tokens) != len(cases) or (vectors is not None and len(vectors) != len(cases)):
            raise ValueError(f"案例数 {len(cases)}、分词数 {len(tokens)}、向量数 "
                             f"{'无' if vectors is None else len(vectors)} 不一致")
        if self.dim is not None and vectors is None and cases:
            raise ValueError(f"集合 {self.collection} 需要 {self.dim} 维向量，但未提供")
        if vectors is not None and self.dim is None:
            vectors = None  # a collection without dense field ignores vectors
        if vectors is not None and len(vectors) and np.asarray(vectors).shape[1] != self.dim:
            raise ValueError(f"向量维度 {np.asarray(vectors).shape[1]} 与集合的 {self.dim} 维不一致")
        seen: set[str] = set()
        for c in cases:
            if c.id in seen:
                raise ValueError(f"同一批次中案例 id 重复：{c.id}")
            seen.add(c.id)
        rows = [case_row(c, t, None if vectors is None else vectors[i])
                for i, (c, t) in enumerate(zip(cases, tokens))]
        if not rows:
            return
        existing = self.count() if self.lite else 0
        self._write(rows)
        if existing:
            self._restate_lite()

    def _write(self, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), WRITE_BATCH):
            self.client.upsert(self.collection, rows[start:start + WRITE_BATCH])
        if self.lite:
            # milvus-lite scores unflushed rows with BM25 statistics of the *filtered* rows only;
            # a flushed segment keeps whole-segment statistics.
            self.client.flush(self.collection)

    def _restate_lite(self) -> None:
        """milvus-lite keeps BM25 statistics per segment (a server aggregates them across
        segments), so a case upserted after the bulk load would be scored against itself alone
        (a copy of a case scored 1.18 where the original scores 11.5). Rewriting every row puts
        the whole library in one segment again. O(library): lite is the test bed, not a store."""
        fields = ["id", "tokens", "level", "year", "place_keys", "domains", "leadership", "case",
                  "hash", *(["dense"] if self.dim is not None else [])]
        rows: list[dict[str, Any]] = []
        it = self.client.query_iterator(self.collection, batch_size=WRITE_BATCH * 4, filter="",
                                        output_fields=fields)
        try:
            while batch := it.next():
                rows.extend({f: r[f] for f in fields} for r in batch)
        finally:
            it.close()
        self._write(rows)

    def delete(self, ids: Sequence[str]) -> None:
        ids = _valid_ids(ids)
        for start in range(0, len(ids), WRITE_BATCH):
            self.client.delete(self.collection, filter=f"id in {_list(ids[start:start + WRITE_BATCH])}")

    def diff(self, cases: Sequence[Case]) -> tuple[list[Case], list[str]]:
        """(cases to upsert, ids to delete) that make the collection hold exactly `cases`:
        the case store stays the source of truth and a sync sends only what changed (by
        content hash), so re-pointing zhili at a loaded cluster costs one scan of ids."""
        stored: dict[str, str] = {}
        it = self.client.query_iterator(self.collection, batch_size=WRITE_BATCH * 4, filter="",
                                        output_fields=["id", "hash"], consistency_level="Strong")
        try:
            while batch := it.next():
                stored.update((r["id"], r["hash"]) for r in batch)
        finally:
            it.close()
        wanted = {c.id for c in cases}
        changed = [c for c in cases if stored.get(c.id) != c.content_hash()]
        return changed, sorted(set(stored) - wanted)

    # ---------------------------------------------------------- reads
    def fetch(self, ids: Sequence[str]) -> list[Case]:
        wanted = list(ids)
        valid = _valid_ids(wanted)
        found: dict[str, Case] = {}
        if valid:
            rows = self.client.query(self.collection, filter=f"id in {_list(valid)}",
                                     output_fields=["id", "case"], limit=len(valid),
                                     consistency_level="Strong")
            found = {r["id"]: Case.model_validate_json(r["case"], context=STORED) for r in rows}
        for i in wanted:
            if i not in found:
                raise KeyError(f"案例不在 Milvus 集合 {self.collection} 中：{i}")
        return [found[i] for i in wanted]

    def view(self, cands: Candidates) -> CandidateView:
        """The candidates fetched whole: Milvus keeps no facet columns zhili could map."""
        return CandidateView.from_cases(self.fetch(cands.ids))

    def search(self, tokens: list[str], vector: np.ndarray | None, k: int,
               filters: Filters, within: Collection[str] | None = None) -> Candidates:
        """Exhaustive (every filtered case, exact stats) up to `exhaustive_below` filtered
        cases or inside a `within` pool, else BM25 top-k ∪ dense top-k, each candidate scored
        by both methods."""
        if k < 1:
            raise ValueError("k 至少为 1")
        expr = filter_expr(filters)
        if within is not None:
            pool = _valid_ids(sorted(within))
            if not pool:
                return Candidates.empty(0)
            expr = " and ".join(e for e in (expr, f"id in {_list(pool)}") if e)
        total = self._count(expr)
        if total == 0:
            return Candidates.empty(0)
        if within is not None and total > MAX_TOPK:
            raise MilvusBackendError(f"候选池过大：{total} 个案例，Milvus 一次最多返回 {MAX_TOPK} 个")
        text = token_text(list(dict.fromkeys(tokens)))  # each query word counts once
        use_dense = vector is not None and self.dim is not None
        if use_dense and np.shape(vector) != (self.dim,):
            raise ValueError(f"查询向量维度 {np.shape(vector)} 与集合的 {self.dim} 维不一致")
        exhaustive = within is not None or total <= self.exhaustive_below
        limit = total if exhaustive else min(k, total, MAX_TOPK)
        sparse = self._bm25(text, expr, limit)
        dense = self._dense(vector, expr, limit) if use_dense else {}
        if exhaustive:  # every filtered case; an ANN index may not have returned them all
            ids = sorted(dense) if len(dense) == total else sorted(self._ids(expr, total))
            found = np.full(len(ids), FOUND_ALL, np.uint8)
        else:
            ids = sorted(set(sparse) | set(dense))
            found = np.array([(FOUND_SPARSE if i in sparse else 0) | (FOUND_DENSE if i in dense else 0)
                              for i in ids], np.uint8)
        if len(sparse) == limit:  # BM25 may have more matches: score the others exactly
            rest = [i for i in ids if i not in sparse]
            if rest:
                sparse.update(self._bm25(text, f"id in {_list(rest)}", len(rest)))
        if use_dense:
            rest = [i for i in ids if i not in dense]
            if rest:
                dense.update(self._dense(vector, f"id in {_list(rest)}", len(rest)))
        sparse_arr = np.array([sparse.get(i, 0.0) for i in ids], np.float32)
        dense_arr = (np.array([dense.get(i, np.nan) for i in ids], np.float32) if use_dense
                     else np.full(len(ids), np.nan, np.float32))
        stats = self._stats(exhaustive, total, sparse_arr, dense_arr, use_dense, limit, len(sparse))
        return Candidates(ids, sparse_arr, dense_arr, found, exhaustive=exhaustive, total=total,
                          stats=stats)

    def hybrid(self, tokens: list[str], vector: np.ndarray, k: int, filters: Filters,
               rrf_k: int = 60) -> list[tuple[str, float]]:
        """Milvus's own server-side RRF of BM25 and dense: (id, fused score), best first.
        Not what the engine ranks with (it fuses itself, with domain feedback and rules);
        here for operators checking the cluster and for other Milvus clients."""
        from pymilvus import AnnSearchRequest, RRFRanker

        if self.dim is None:
            raise MilvusBackendError(f"集合 {self.collection} 没有语义向量字段，无法做混合检索")
        expr = filter_expr(filters)
        limit = min(k, MAX_TOPK)
        reqs = [AnnSearchRequest(data=[token_text(list(dict.fromkeys(tokens)))], anns_field="sparse",
                                 param={"metric_type": "BM25"}, limit=limit, expr=expr or None),
                AnnSearchRequest(data=[np.asarray(vector, np.float32).tolist()], anns_field="dense",
                                 param={"metric_type": "COSINE"}, limit=limit, expr=expr or None)]
        res = self.client.hybrid_search(self.collection, reqs, ranker=RRFRanker(rrf_k), limit=limit,
                                        output_fields=["id"], consistency_level="Strong")
        return [(h["id"], float(h["distance"])) for h in res[0]]

    # ---------------------------------------------------------- helpers
    def _count(self, expr: str) -> int:
        rows = self.client.query(self.collection, filter=expr, output_fields=["count(*)"],
                                 consistency_level="Strong")
        return int(rows[0]["count(*)"]) if rows else 0

    def _ids(self, expr: str, limit: int) -> list[str]:
        rows = self.client.query(self.collection, filter=expr, output_fields=["id"], limit=limit,
                                 consistency_level="Strong")
        return [r["id"] for r in rows]

    def _bm25(self, text: str, expr: str, limit: int) -> dict[str, float]:
        """Raw BM25 scores of the top `limit`, on the embedded backend's (Lucene's) scale.

        milvus-lite returns them negated (as distances), a server positive: BM25 is never
        negative, so the magnitude is the score. Milvus multiplies each term by (k1 + 1), which
        Lucene and bm25s drop; dividing it out keeps the no-fit confidence's BM25 part the same.
        """
        if not text or limit < 1:
            return {}
        res = self.client.search(self.collection, data=[text], anns_field="sparse", limit=limit,
                                 filter=expr, output_fields=["id"],
                                 search_params={"metric_type": "BM25"}, consistency_level="Strong")
        scale = 1.0 + self.bm25[0]
        return {h["id"]: abs(float(h["distance"])) / scale for h in res[0]}

    def _dense(self, vector: np.ndarray, expr: str, limit: int) -> dict[str, float]:
        if limit < 1:
            return {}
        res = self.client.search(self.collection, data=[np.asarray(vector, np.float32).tolist()],
                                 anns_field="dense", limit=limit, filter=expr, output_fields=["id"],
                                 search_params={"metric_type": "COSINE"}, consistency_level="Strong")
        return {h["id"]: float(h["distance"]) for h in res[0]}

    @staticmethod
    def _stats(exhaustive: bool, total: int, sparse: np.ndarray, dense: np.ndarray,
               use_dense: bool, limit: int, sparse_hits: int) -> ScoreStats:
        """Exact over the filtered library when exhaustive. Otherwise BM25's minimum is 0 when
        fewer cases matched a query word than passed the filters (a case without any query word
        scores 0), and the dense minimum/median are unknown (nan: the engine uses the
        candidates')."""
        if exhaustive:
            return ScoreStats(sparse_min=float(sparse.min()) if len(sparse) else float("nan"),
                              dense_min=float(np.nanmin(dense)) if use_dense else float("nan"),
                              dense_median=float(np.nanmedian(dense)) if use_dense else float("nan"))
        return ScoreStats(sparse_min=0.0 if sparse_hits < min(limit, total) else float("nan"))


def _is_lite(uri: str) -> bool:
    """A local file path (no scheme) is a milvus-lite database; pymilvus starts it in process."""
    return not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", uri)


def _schema(client: Any, dim: int | None, bm25: tuple[float, float], lite: bool):
    """The collection's fields and indexes. The token field holds hashed terms (`term`), so the
    `standard` tokenizer — on a server and on milvus-lite alike — splits them back exactly."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("tokens", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True,
                     analyzer_params={"tokenizer": "standard"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    if dim is not None:
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("level", DataType.VARCHAR, max_length=32)
    schema.add_field("year", DataType.INT64, nullable=True)
    schema.add_field("place_keys", DataType.ARRAY, element_type=DataType.VARCHAR,
                     max_capacity=4096, max_length=256)
    schema.add_field("domains", DataType.ARRAY, element_type=DataType.VARCHAR,
                     max_capacity=64, max_length=64)
    schema.add_field("leadership", DataType.ARRAY, element_type=DataType.VARCHAR,
                     max_capacity=8, max_length=32)
    schema.add_field("case", DataType.VARCHAR, max_length=MAX_VARCHAR)
    schema.add_field("hash", DataType.VARCHAR, max_length=32)
    schema.add_function(Function(name="tokens_bm25", function_type=FunctionType.BM25,
                                 input_field_names=["tokens"], output_field_names=["sparse"]))
    index = client.prepare_index_params()
    tuning = {"bm25_k1": bm25[0], "bm25_b": bm25[1]}
    # pymilvus 3 sends index params as flat key/value pairs, which a server reads and
    # milvus-lite 3.2 ignores (it reads only a JSON "params" pair): nest them for lite.
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                    params={"params": tuning} if lite else tuning)
    if dim is not None:
        index.add_index("dense", index_type="FLAT" if lite else "HNSW", metric_type="COSINE")
    return schema, index


_REQUIRED = ("id", "tokens", "sparse", "level", "year", "place_keys", "domains", "leadership", "case",
             "hash")


def _check_schema(desc: dict, collection: str, dim: int | None) -> None:
    """An existing collection must be one zhili made, with the dense size the embedder gives."""
    fields = {f["name"]: f for f in desc.get("fields", [])}
    missing = [f for f in _REQUIRED if f not in fields]
    if missing:
        raise MilvusBackendError(f"集合 {collection} 不是 zhili 的案例集合（缺少字段：{'、'.join(missing)}）")
    have = fields.get("dense", {}).get("params", {}).get("dim")
    have = int(have) if have is not None else None
    if have != dim:
        raise MilvusBackendError(f"集合 {collection} 的向量维度是 {have or '无'}，当前向量模型为 "
                                 f"{dim or '无'}：请换一个集合名，或删除后重建")

