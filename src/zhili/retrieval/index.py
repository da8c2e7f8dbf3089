"""The on-disk index: BM25 matrix, per-case tokens and dense vectors, rebuilt only when needed.

A manifest records what the index was built from (library hash, word-list fingerprint, embedder);
when any of these differs the index is rebuilt — reusing cached tokens and vectors for cases
whose text did not change, so adding a few cases never re-embeds the library.

Large libraries (≥ `ann` threshold) also get an IVF index (`ann.py`); every index keeps its
facet columns (`columns.py`) for vectorised filters. Vectors and the BM25 matrix are opened
memory-mapped, so a service starts in milliseconds whatever the library's size.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..cases import Case
from ..config import DATA_DIR
from ..files import replacing_directory
from ..text import Analyzer
from .about import ensure_about_vectors
from .ann import AnnIndex, AnnSettings
from .backend import BuildReport
from .columns import Columns
from .dense import Embedder, VectorCache, case_passage, embed_cases, passage_key
from .sparse import SparseIndex, case_document

FORMAT = 3
SHIPPED_VECTORS = DATA_DIR / "vectors"


def library_hash(cases: list[Case]) -> str:
    digest = hashlib.sha256()
    for c in sorted(cases, key=lambda c: c.id):
        digest.update(f"{c.id}\t{c.content_hash()}\n".encode())
    return digest.hexdigest()[:16]


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


@dataclass
class Index:
    """Everything ranking needs, aligned by position with `cases`."""

    cases: list[Case]
    sparse: SparseIndex
    vectors: np.ndarray | None
    manifest: dict
    report: BuildReport
    columns: Columns | None = None
    ann: AnnIndex | None = None
    ids: list[str] | None = None
    tokens: list[list[str]] | None = None  # per case; None = only on disk (`directory`)
    directory: Path | None = None

    def __post_init__(self) -> None:
        """`cases` is a list (libraries held in memory) or a CaseFile (large libraries)."""
        if self.columns is None:
            self.columns = Columns.build(self.cases)
        if self.ids is None:
            self.ids = [c.id for c in self.cases]

    @classmethod
    def open(cls, cases: list[Case], analyzer: Analyzer, embedder: Embedder | None,
             directory: Path, vector_cache_dir: Path, bm25: tuple[float, float] = (1.5, 0.75),
             rebuild: bool = False,
             progress: Callable[[str, int, int], None] | None = None,
             ann: AnnSettings | None = None, vectors: np.ndarray | None = None) -> "Index":
        """Load the index in `directory` if it matches `cases`, else (re)build it there.
        `ann`: build (or expect) an IVF vector index with these settings (large libraries only).
        `vectors`: precomputed unit passage vectors aligned with `cases` (benchmarks, imports
        from another system): used instead of embedding, never written to the vector cache."""
        manifest = {
            "format": FORMAT,
            "library_hash": library_hash(cases),
            "count": len(cases),
            "text_fingerprint": analyzer.fingerprint,
            "embedder": embedder.name if embedder else None,
            "bm25": list(bm25),
            "ann": ["ivf", ann.nlist] if ann and embedder else None,
        }
        stored = _read_manifest(directory)
        if not rebuild and stored is not None and {k: v for k, v in stored.items() if k != "avgdl"} == manifest:
            try:
                ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
                if ids == [c.id for c in cases]:
                    vectors = np.load(directory / "vectors.npy", mmap_mode="r") if embedder else None
                    if vectors is None or vectors.shape[0] == len(cases):
                        return cls(cases, SparseIndex.load(directory / "bm25", stored["avgdl"], mmap=True),
                                   vectors, stored, BuildReport(rebuilt=False),
                                   ann=AnnIndex.load(directory) if manifest["ann"] else None,
                                   directory=directory)
            except (OSError, ValueError, KeyError, RuntimeError):
                pass  # a damaged index is rebuilt, never trusted
        return cls._build(cases, analyzer, embedder, directory, vector_cache_dir, manifest, progress, ann,
                          vectors)

    @classmethod
    def _build(cls, cases, analyzer, embedder, directory, vector_cache_dir, manifest, progress, ann=None,
               given=None):
        token_cache = _load_tokens(directory, manifest["text_fingerprint"])
        docs, tokenized = [], 0
        for i, case in enumerate(cases):
            key = case.content_hash()
            if key not in token_cache:
                token_cache[key] = analyzer.analyze_document(case_document(case))
                tokenized += 1
                if progress and tokenized % 200 == 0:
                    progress("分词", i + 1, len(cases))
            docs.append(token_cache[key])
        sparse = SparseIndex.build(docs, *manifest["bm25"])
        vectors, embedded = None, 0
        if embedder is not None:
            vectors, embedded = case_vectors(
                cases, embedder, vector_cache_dir, given,
                progress=(lambda done, total: progress("向量化", done, total)) if progress else None)
        ann_index = None
        if manifest["ann"] and vectors is not None:
            ann_index = AnnIndex.build(vectors, ann, progress=(lambda d, t: progress("向量索引", d, t)) if progress else None)
        manifest = {**manifest, "avgdl": sparse.avgdl}
        _write(directory, cases, sparse, vectors, manifest,
               {c.content_hash(): t for c, t in zip(cases, docs)}, ann_index)
        return cls(cases, sparse, vectors, manifest, BuildReport(True, tokenized, embedded), ann=ann_index,
                   tokens=docs, directory=directory)

    def case_tokens(self) -> list[list[str]] | None:
        """Tokens of every case in order (kept from the build, else read from `tokens.json`);
        None when they are not all known (then only a full build can re-index)."""
        if self.tokens is None and self.directory is not None and isinstance(self.cases, list):
            cache = _load_tokens(self.directory, self.manifest.get("text_fingerprint", ""))
            docs = [cache.get(c.content_hash()) for c in self.cases]
            if all(d is not None for d in docs):
                self.tokens = docs  # type: ignore[assignment]
        return self.tokens

    def with_changes(self, cases: list[Case], tokens: list[list[str]],
                     vectors: np.ndarray | None) -> "Index":
        """An in-memory index over `cases` built from known tokens and vectors — exactly what a
        from-scratch build of the same cases gives (same BM25 statistics, same rows), without
        tokenizing, embedding or writing anything. Small libraries only: BM25 is rebuilt whole."""
        sparse = SparseIndex.build(tokens, *self.manifest["bm25"])
        manifest = {**self.manifest, "library_hash": library_hash(cases), "count": len(cases),
                    "avgdl": sparse.avgdl}
        return Index(list(cases), sparse, vectors, manifest, BuildReport(True), tokens=list(tokens))


def case_vectors(cases: list[Case], embedder: Embedder, vector_cache_dir: Path,
                 given: np.ndarray | None = None,
                 progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, int]:
    """Vectors for `cases`: shipped and user caches first, `given` rows next, the embedder last
    (newly embedded passages are saved to the user cache). Returns (matrix, newly embedded)."""
    user_cache = vector_cache_dir / f"{_safe(embedder.name)}.npz"
    cache = VectorCache.load(SHIPPED_VECTORS / f"{_safe(embedder.name)}.npz", user_cache)
    if given is not None:
        if len(given) != len(cases):
            raise ValueError(f"预先计算的向量有 {len(given)} 行，案例有 {len(cases)} 个，应一一对应")
        cache.vectors.update(zip((passage_key(embedder.name, case_passage(c)) for c in cases),
                                 np.asarray(given, dtype=np.float32)))
    vectors, embedded = embed_cases(embedder, cases, cache, progress=progress)
    if embedded:
        cache.save(user_cache)
    ensure_about_vectors(cases, embedder, vector_cache_dir)  # the no-fit signal's (zhili.retrieval.about)
    return vectors, embedded


def _read_manifest(directory: Path) -> dict | None:
    try:
        return json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _load_tokens(directory: Path, fingerprint: str) -> dict[str, list[str]]:
    """Tokens of the previous build, reusable when the word lists did not change."""
    manifest = _read_manifest(directory)
    path = directory / "tokens.json"
    if not manifest or manifest.get("text_fingerprint") != fingerprint or not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}


def _write(directory: Path, cases, sparse, vectors, manifest, tokens, ann_index=None) -> None:
    """Readers never see a half-written index: everything goes in before the swap."""
    with replacing_directory(directory) as tmp:
        sparse.save(tmp / "bm25")
        if ann_index is not None:
            ann_index.save(tmp)
        if vectors is not None:
            np.save(tmp / "vectors.npy", vectors)
        (tmp / "ids.json").write_text(json.dumps([c.id for c in cases], ensure_ascii=False), encoding="utf-8")
        (tmp / "tokens.json").write_text(json.dumps(tokens, ensure_ascii=False), encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
