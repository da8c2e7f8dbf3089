"""Indexes for libraries too large to hold as `Case` objects (≥ `ann_threshold`, up to ~10^6).

A `Case` costs ~4 KB in memory, so 10^6 of them alone would exceed the 4 GB serving budget.
Here the library is streamed once from its source (the case store page by page, or a corpus
file line by line) into an index directory:

    cases.jsonl + offsets.npy   every case as JSON, read back by row (`casefile.py`)
    columns/                    facet arrays for vectorised filters (`columns.py`)
    bm25/                       bm25s score matrix (CSC), built vectorised from (doc, word, tf)
    vectors.npy, ivf.faiss      passage vectors (vector caches / precomputed; else embedded)
    ids.json, terms.json        row → case id; library terms the analyzer keeps whole
    manifest.json               what it was built from (source fingerprint, word lists, …)

and served memory-mapped: opening reads the manifest and maps files, queries touch only the
pages they need, and vectors are read back from the IVF index's own copy (`IndexedVectors`), so
vectors.npy is only read to (re)build. Measured at 10^6 synthetic cases (2 cores, loaded
machine): build 32 min (peak 8.2 GB, tokenizing dominates), open 0.7 s, peak RSS while serving
2.9 GB after 90 queries (file pages: IVF lists ≤ 1.5 GB, cases ≤ 1.2 GB as they are touched).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol

import bm25s
import numpy as np
import scipy.sparse as sp

from ..cases import Case, case_from_record
from ..cases.model import STORED
from ..files import replacing_directory
from ..text import Analyzer
from .ann import AnnIndex, AnnSettings, IndexedVectors
from .backend import BuildReport
from .casefile import CaseFile, CaseFileWriter
from .columns import Columns, ColumnsBuilder
from .dense import case_passage, passage_key
from .embedders import Embedder
from .index import FORMAT, SHIPPED_VECTORS, Index, _read_manifest, _safe
from .sparse import SparseIndex, case_document

Progress = Callable[[str, int, int], None]
EMBED_BATCH = 2_000


class LibrarySource(Protocol):
    """Where a large library comes from: a cheap fingerprint, a count, and the cases in order."""

    tracks_changes: bool
    """Whether `rows`/`get` are cheap enough to serve a few changes from the delta instead of
    rebuilding (the store: one narrow query); a file is rebuilt on any change."""

    def fingerprint(self) -> str: ...

    def count(self) -> int: ...

    def __iter__(self) -> Iterator[Case]: ...

    def rows(self) -> dict[str, str]:
        """id → content hash of every case."""
        ...

    def get(self, ids: list[str]) -> list[Case]:
        """The cases for `ids`, in that order."""
        ...


@dataclass
class FileSource:
    """A JSONL corpus file (one case record per line); fingerprint = path, size, mtime."""

    path: Path
    tracks_changes = False

    def fingerprint(self) -> str:
        st = self.path.stat()
        return f"file:{self.path.resolve()}:{st.st_size}:{st.st_mtime_ns}"

    def count(self) -> int:
        with self.path.open("rb") as f:
            return sum(1 for line in f if line.strip())

    def __iter__(self) -> Iterator[Case]:
        with self.path.open(encoding="utf-8-sig") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        yield case_from_record(json.loads(line))
                    except ValueError as exc:
                        raise ValueError(f"{self.path}:{n}: 无法读取案例（{exc}）") from exc

    def rows(self) -> dict[str, str]:
        return {c.id: c.content_hash() for c in self}

    def get(self, ids: list[str]) -> list[Case]:
        found = {c.id: c for c in self if c.id in set(ids)}
        return [found[i] for i in ids]


class StoreSource:
    """The published cases of a case store, streamed by one ordered query (no pages, no list)."""

    tracks_changes = True

    def __init__(self, store, batch: int = 2_000):
        self.store = store
        self.batch = batch

    def fingerprint(self) -> str:
        return f"store:{self.store.library_hash()}"

    def count(self) -> int:
        return self.store.count(status="published")

    def rows(self) -> dict[str, str]:
        """id → content hash of every published case (one indexed query, no payloads)."""
        return self.store.published_hashes()

    def get(self, ids: list[str]) -> list[Case]:
        return [self.store.get(i) for i in ids]

    def __iter__(self) -> Iterator[Case]:
        from sqlalchemy import select

        from ..store.case_records import payload_of
        from ..store.schema import cases_table
        q = (select(cases_table.c.payload).where(cases_table.c.status == "published")
             .order_by(cases_table.c.id).execution_options(yield_per=self.batch))
        with self.store.engine.connect() as conn:
            for (payload,) in conn.execute(q):
                yield Case.model_validate(payload_of(payload), context=STORED)


class VectorLookup:
    """Passage key → vector over the shipped and user vector caches without a dict of arrays
    (10^6 small arrays would cost ~2 GB); `given` rows (precomputed, aligned) come first."""

    def __init__(self, embedder: Embedder, vector_cache_dir: Path):
        self.mats: list[np.ndarray] = []
        self.where: dict[str, tuple[int, int]] = {}
        for path in (SHIPPED_VECTORS / f"{_safe(embedder.name)}.npz",
                     vector_cache_dir / f"{_safe(embedder.name)}.npz"):
            if path.is_file():
                with np.load(path, allow_pickle=False) as data:
                    keys, mat = data["keys"], data["vectors"]
                m = len(self.mats)
                self.mats.append(mat)
                self.where.update((k, (m, i)) for i, k in enumerate(keys.tolist()))

    def get(self, key: str) -> np.ndarray | None:
        hit = self.where.get(key)
        return None if hit is None else self.mats[hit[0]][hit[1]]


def source_manifest(source_key: str, count: int, analyzer: Analyzer, embedder: Embedder | None,
                    bm25: tuple[float, float], ann: AnnSettings | None) -> dict:
    return {"format": FORMAT, "layout": "large", "source": source_key, "count": count,
            "text_fingerprint": analyzer.fingerprint, "embedder": embedder.name if embedder else None,
            "bm25": list(bm25), "ann": ["ivf", ann.nlist] if ann and embedder else None}


def stored_terms(directory: Path) -> tuple[str, ...] | None:
    try:
        return tuple(json.loads((directory / "terms.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


class EmptySourceError(ValueError):
    """The library source has no cases."""


@dataclass
class Pending:
    """Changes since the large index was built, to apply as a delta (see `open_large`)."""

    changed: list[Case]
    removed: list[str]


def open_large(source: LibrarySource, directory: Path, make_analyzer: Callable[[tuple[str, ...]], Analyzer],
               embedder: Embedder | None, vector_cache_dir: Path, bm25: tuple[float, float],
               ann: AnnSettings | None, rebuild: bool = False, vectors: np.ndarray | None = None,
               progress: Progress | None = None, max_delta: int = 0
               ) -> tuple[Index, Analyzer, Pending | None]:
    """The large index in `directory` if it was built from this source, else build it.

    A store whose library changed in at most `max_delta` cases since the build is not rebuilt:
    the index is opened as it is and the changes come back as `Pending`, for the engine's
    delta (`Engine.updated`). Rebuilding 10^6 cases takes tens of minutes; a few edits must not.
    `zhili index --merge` (rebuild=True) folds them in.
    """
    key = source.fingerprint()
    stored = _read_manifest(directory)
    terms = stored_terms(directory)
    if not rebuild and stored and terms is not None and stored.get("layout") == "large":
        analyzer = make_analyzer(terms)
        expected = source_manifest(stored.get("source"), stored.get("count", -1), analyzer, embedder, bm25, ann)
        if {k: v for k, v in stored.items() if k != "avgdl"} == expected:
            try:
                if stored.get("source") == key:
                    return load_large(directory, stored, embedder is not None), analyzer, None
                pending = _changes(source, directory, max_delta)
                if pending is not None:
                    return load_large(directory, stored, embedder is not None), analyzer, pending
            except (OSError, ValueError, KeyError, RuntimeError):
                pass  # damaged: rebuilt below
    return (*build_large(source, directory, make_analyzer, embedder, vector_cache_dir, bm25, ann,
                         key, vectors, progress), None)


def _changes(source: LibrarySource, directory: Path, max_delta: int) -> Pending | None:
    """What changed since the build, when the source can tell and it is at most max_delta cases."""
    if max_delta <= 0 or not source.tracks_changes or not (directory / "hashes.npy").is_file():
        return None
    ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
    built = dict(zip(ids, np.load(directory / "hashes.npy").astype(str).tolist()))
    now = source.rows()
    removed = [i for i in built if i not in now]
    changed = [i for i, h in now.items() if built.get(i) != h]
    if len(removed) + len(changed) > max_delta:
        return None
    return Pending(source.get(changed), removed)


def load_large(directory: Path, manifest: dict, dense: bool) -> Index:
    ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
    cases = CaseFile(directory)
    ann = AnnIndex.load(directory) if manifest.get("ann") and dense else None
    vectors = None
    if dense:  # served from the IVF index's copy when there is one (see IndexedVectors)
        vectors = IndexedVectors(ann) if ann is not None else np.load(directory / "vectors.npy", mmap_mode="r")
    if len(cases) != len(ids) or (vectors is not None and len(vectors) != len(ids)):
        raise ValueError("索引文件行数不一致")
    return Index(cases, SparseIndex.load(directory / "bm25", manifest["avgdl"], mmap=True), vectors,
                 manifest, BuildReport(rebuilt=False), columns=Columns.load(directory / "columns"),
                 ann=ann, ids=ids)


def build_large(source: LibrarySource, directory, make_analyzer, embedder, vector_cache_dir, bm25, ann, key,
                given=None, progress=None) -> tuple[Index, Analyzer]:
    """Two streaming passes: (1) cases → case file, columns, ids, terms, vectors;
    (2) case file → tokens → BM25 matrix. Then the IVF index over the vectors."""
    total = source.count()
    report = BuildReport(rebuilt=True)
    if given is not None and embedder is not None and tuple(given.shape) != (total, embedder.dim):
        raise ValueError(f"预先计算的向量形状为 {tuple(given.shape)}，应为 ({total}, {embedder.dim})："
                         f"每个案例一行，与语料文件逐行对应")
    with replacing_directory(directory) as tmp:
        ids, terms = [], set()
        writer, cols = CaseFileWriter(tmp), ColumnsBuilder()
        lookup = VectorLookup(embedder, vector_cache_dir) if embedder and given is None else None
        out = None
        if embedder is not None:
            out = np.lib.format.open_memmap(tmp / "vectors.npy", mode="w+", dtype=np.float32,
                                            shape=(total, embedder.dim))
        pending: list[tuple[int, str]] = []
        hashes: list[str] | None = [] if source.tracks_changes else None
        if total == 0:
            raise EmptySourceError("案例库中没有案例：请先用 zhili cases import 导入案例文件")
        for i, case in enumerate(source):
            if i >= total:
                raise ValueError(f"案例来源在建索引时发生变化（多于 {total} 个）")
            ids.append(case.id)
            if hashes is not None:
                hashes.append(case.content_hash())
            writer.add(case)
            cols.add(case)
            terms.update(t for t in (*case.mechanisms, *case.domains) if 1 < len(t) <= 12)
            if out is not None:
                if given is not None:
                    out[i] = given[i]
                else:
                    passage = case_passage(case)
                    vec = lookup.get(passage_key(embedder.name, passage))
                    if vec is None:
                        pending.append((i, passage))
                    else:
                        out[i] = vec
                    if len(pending) >= EMBED_BATCH:
                        report.embedded += _embed(embedder, pending, out)
            if progress and (i + 1) % 10_000 == 0:
                progress("读取案例", i + 1, total)
        if out is not None and pending:
            report.embedded += _embed(embedder, pending, out)
        if len(ids) != total:
            raise ValueError(f"案例来源在建索引时发生变化（应有 {total} 个，读到 {len(ids)} 个）")
        if len(set(ids)) != len(ids):
            raise ValueError("案例 id 重复：同一 id 只能出现一次")
        writer.close()
        cols.finish().save(tmp / "columns")
        if out is not None:
            out.flush()
        del lookup
        analyzer = make_analyzer(tuple(sorted(terms)))
        sparse = _build_bm25(CaseFile(tmp), analyzer, *bm25, progress)
        report.tokenized = total
        sparse.save(tmp / "bm25")
        ann_index = None
        if ann is not None and out is not None:
            ann_index = AnnIndex.build(out, ann, progress=(lambda d, t: progress("向量索引", d, t)) if progress else None)
            ann_index.save(tmp)
            del ann_index
        del out
        manifest = {**source_manifest(key, total, analyzer, embedder, bm25, ann), "avgdl": sparse.avgdl}
        (tmp / "ids.json").write_text(json.dumps(ids, ensure_ascii=False), encoding="utf-8")
        if hashes is not None:
            np.save(tmp / "hashes.npy", np.asarray(hashes, dtype="S16"))
        (tmp / "terms.json").write_text(json.dumps(sorted(terms), ensure_ascii=False), encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    index = load_large(directory, manifest, embedder is not None)
    index.report = report
    return index, analyzer


def _embed(embedder: Embedder, pending: list[tuple[int, str]], out: np.ndarray) -> int:
    rows = [i for i, _ in pending]
    out[rows] = embedder.embed_passages([p for _, p in pending])
    n = len(pending)
    pending.clear()
    return n


def _build_bm25(cases: CaseFile, analyzer: Analyzer, k1: float, b: float,
                progress: Progress | None) -> SparseIndex:
    """bm25s's Lucene BM25 matrix, computed vectorised from (doc, word, tf) triples so 10^6
    documents need ~1 GB rather than bm25s.index's lists of Python tokens. Same formula:
    idf = ln(1 + (N − df + 0.5)/(df + 0.5)), tfc = tf / (tf + k1·(1 − b + b·dl/avgdl))."""
    vocab: dict[str, int] = {}
    docs, words, tfs, lengths = [], [], [], []
    n = len(cases)
    for i in range(n):
        toks = analyzer.analyze_document(case_document(cases.get(i))) or ["∅"]
        counts = Counter(toks)
        docs.append(np.full(len(counts), i, dtype=np.int32))
        words.append(np.fromiter((vocab.setdefault(t, len(vocab)) for t in counts), np.int32, len(counts)))
        tfs.append(np.fromiter(counts.values(), np.float32, len(counts)))
        lengths.append(len(toks))
        if progress and (i + 1) % 10_000 == 0:
            progress("分词", i + 1, n)
    doc = np.concatenate(docs)
    del docs
    word = np.concatenate(words)
    del words
    tf = np.concatenate(tfs)
    del tfs
    dl = np.asarray(lengths, dtype=np.float32)
    avgdl = float(dl.mean())
    df = np.bincount(word, minlength=len(vocab)).astype(np.float32)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    data = idf[word] * (tf / (tf + k1 * ((1 - b) + b * dl[doc] / avgdl)))
    del tf
    mat = sp.csc_matrix((data.astype(np.float32), (doc, word)), shape=(n, len(vocab)))
    del data, doc, word
    mat.sort_indices()
    model = bm25s.BM25(k1=k1, b=b, method="lucene")
    model.scores = {"data": mat.data, "indices": mat.indices.astype(np.int32),
                    "indptr": mat.indptr.astype(np.int64), "num_docs": n}
    model.vocab_dict = vocab
    model.unique_token_ids_set = set(vocab.values())
    model.nonoccurrence_array = None  # Lucene BM25 has no non-occurrence term
    return SparseIndex(model, avgdl)
