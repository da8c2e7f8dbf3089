"""What an engine is made of, decided here and nowhere else: backend, embedder, rules.

`MatchSettings` picks the search backend — the embedded index held in memory (small
libraries), the embedded memory-mapped large layout (`ann_threshold` cases or more, or a big
corpus file), or a Milvus collection (`backend = "milvus"`) — and the embedder; the active rule
packs come from the rules directory. `Engine` only takes the parts, so the CLI, the service,
evaluation and the benchmarks all open a library the same way.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import config
from .cases import Case
from .engine import EmptyLibraryError, Engine, library_terms
from .retrieval.ann import AnnSettings
from .retrieval.backend import BuildReport, SearchBackend
from .retrieval.embedded import EmbeddedBackend, ScaleSettings
from .retrieval.embedders import Embedder
from .retrieval.index import Index, case_vectors
from .retrieval.sparse import case_document
from .rules import RuleSet, load_or_last_good
from .text import Analyzer

if TYPE_CHECKING:
    from .retrieval.large import LibrarySource
    from .store import CaseStore

Progress = Callable[[str, int, int], None]
LARGE_FILE_BYTES = 256 * 2**20  # corpus files above this are streamed, never loaded whole


def index_dir(corpus: Path | None = None) -> Path:
    """The workspace library's index directory, or one per external corpus file beside it."""
    library = config.home() / "index" / "library"
    if corpus is None:
        return library
    tag = hashlib.sha256(str(Path(corpus).resolve()).encode()).hexdigest()[:10]
    return library.with_name(f"corpus-{Path(corpus).name.split('.')[0]}-{tag}")


def open_engine(corpus: Path | None = None, *, use_rules: bool = True,
                settings: config.MatchSettings | None = None, rules_dir: Path | None = None,
                rebuild: bool = False, dense: bool | None = None, progress: Progress | None = None,
                vectors: np.ndarray | None = None) -> Engine:
    """The workspace library (its published cases) or an external corpus file, indexed, with rules.

    A corpus given with precomputed `vectors` (row-aligned with the file's lines) or larger than
    `LARGE_FILE_BYTES` is streamed into the large layout, never held as Case objects.
    """
    from .store import CaseStore, load_library

    settings = settings or config.MatchSettings.load()
    kw = dict(use_rules=use_rules, settings=settings, rules_dir=rules_dir, rebuild=rebuild,
              dense=dense, progress=progress, vectors=vectors)
    if corpus is None:
        with CaseStore.open() as store:
            if use_rules and rules_dir is None:  # what the server answers with: a version published in the product
                from .store.rule_versions import RuleVersions

                kw["rules_dir"], _ = serving_rules_dir(RuleVersions(store.engine), None)
            return store_engine(store, index_dir(), **kw)
    if (settings.backend == "embedded" and Path(corpus).suffix == ".jsonl"
            and (vectors is not None or Path(corpus).stat().st_size >= LARGE_FILE_BYTES)):
        from .retrieval.large import FileSource

        return source_engine(FileSource(Path(corpus)), index_dir(corpus), **kw)
    return cases_engine(load_library(corpus), index_dir(corpus), **kw)


def store_engine(store: "CaseStore", directory: Path, *, published: int | None = None,
                 settings: config.MatchSettings | None = None, **kw: Any) -> Engine:
    """An engine over a case store's published cases. Embedded libraries of `ann_threshold`
    cases or more stream from the store into the memory-mapped layout (never a list of every
    case); others are read whole, ordered by id in Python whatever the database's collation
    (`Engine.updated` keeps that order, so incremental and full builds answer alike).
    `published`: the count, when the caller has it already; `kw` as for `cases_engine`."""
    settings = settings or config.MatchSettings.load()
    if settings.backend == "embedded":
        if published is None:
            published = store.count(status="published")
        if published >= settings.ann_threshold:
            from .retrieval.large import StoreSource

            return source_engine(StoreSource(store), directory, settings=settings, **kw)
    cases = sorted(store.published(), key=lambda c: c.id)
    return cases_engine(cases, directory, settings=settings, **kw)


def cases_engine(cases: list[Case], directory: Path, *, use_rules: bool = True,
                 settings: config.MatchSettings | None = None, rules_dir: Path | None = None,
                 rebuild: bool = False, dense: bool | None = None, progress: Progress | None = None,
                 vectors: np.ndarray | None = None) -> Engine:
    """An engine over `cases` in memory: the embedded index in `directory` (reused when it was
    built from the same cases) or the Milvus collection brought in line with them.
    `vectors`: precomputed unit passage vectors aligned with `cases` (nothing embedded)."""
    if not cases:
        raise EmptyLibraryError("案例库中没有案例：请先用 zhili cases import 导入案例文件")
    settings = settings or config.MatchSettings.load()
    analyzer = Analyzer(extra_terms=library_terms(cases), segmentation=settings.segmentation)
    embedder = make_embedder(settings, dense)
    backend: SearchBackend
    if settings.backend == "milvus":  # the collection is the index: nothing on disk here
        backend = milvus_backend(cases, analyzer, embedder, settings, rebuild, vectors)
    else:
        ann = None
        if len(cases) >= settings.ann_threshold:
            ann = AnnSettings(settings.ann_nlist, settings.ann_nprobe)
        index = Index.open(cases, analyzer, embedder, directory, bm25=(settings.bm25_k1, settings.bm25_b),
                           vector_cache_dir=config.home() / "vectors", rebuild=rebuild,
                           progress=progress, ann=ann, vectors=vectors)
        backend = EmbeddedBackend(index, ScaleSettings.from_match(settings))
    return _assemble(backend, analyzer, embedder, settings, rules_dir, use_rules)


def source_engine(source: "LibrarySource", directory: Path, *, use_rules: bool = True,
                  settings: config.MatchSettings | None = None, rules_dir: Path | None = None,
                  rebuild: bool = False, dense: bool | None = None, progress: Progress | None = None,
                  vectors: np.ndarray | None = None) -> Engine:
    """An engine over a `LibrarySource` (store or corpus file) in the large, memory-mapped
    layout. A store changed in at most `delta_merge` cases since the build is not rebuilt: the
    changes are served from the delta until `zhili index --merge` (rebuild=True)."""
    from .retrieval.large import EmptySourceError, open_large

    settings = settings or config.MatchSettings.load()
    embedder = make_embedder(settings, dense)
    try:
        index, analyzer, pending = open_large(
            source, directory, lambda terms: Analyzer(extra_terms=terms, segmentation=settings.segmentation),
            embedder, config.home() / "vectors", (settings.bm25_k1, settings.bm25_b),
            AnnSettings(settings.ann_nlist, settings.ann_nprobe),
            rebuild=rebuild, vectors=vectors, progress=progress, max_delta=settings.delta_merge)
    except EmptySourceError as exc:
        raise EmptyLibraryError(str(exc)) from exc
    engine = _assemble(EmbeddedBackend(index, ScaleSettings.from_match(settings)), analyzer, embedder,
                       settings, rules_dir, use_rules)
    if pending is not None:  # a few cases changed since the build: served from the delta
        engine = engine.updated(pending.changed, pending.removed)
    return engine


def _assemble(backend: SearchBackend, analyzer: Analyzer, embedder: Embedder | None,
              settings: config.MatchSettings, rules_dir: Path | None, use_rules: bool) -> Engine:
    rules, problem = load_rules(rules_dir) if use_rules else (None, None)
    return Engine(backend, analyzer, embedder, settings, rules, rules_problem=problem)


def make_embedder(settings: config.MatchSettings, dense: bool | None = None) -> Embedder | None:
    """The passage/query embedder the settings name, or None when dense retrieval is off
    (`dense` overrides the settings either way)."""
    if not (settings.embedder != "none" if dense is None else dense):
        return None
    from .retrieval.embedders import make_embedder as by_spec

    return by_spec(settings.embedder)


def load_rules(rules_dir: Path | None = None) -> tuple[RuleSet | None, Exception | None]:
    """(rule set, problem): the active packs, or the last good ones with the check error that
    kept the new ones out; (None, None) when no packs are installed."""
    directory = rules_dir or config.rules_dir()
    if not directory.is_dir() or not any(directory.iterdir()):
        return None, None
    return load_or_last_good(directory, config.home() / "rules-last-good")


def serving_rules_dir(versions: Any, rules_dir: Path | None = None) -> tuple[Path | None, tuple[int, str] | None]:
    """(folder the serving rules load from, marker of the newest rule version).

    The newest version published in the product (a draft published, a version restored: origin
    "product") serves from its stored files; otherwise — nothing published yet, or the rules
    folder itself recorded last (`POST /rules/versions`) — the rules folder serves. `versions`:
    the store's `RuleVersions`; the marker changes with every publish."""
    latest = versions.latest()
    if latest is not None and latest[1] == "product":
        from .ruleedit.files import materialize

        return materialize(versions.files(latest[0])), latest
    return rules_dir, latest


def milvus_backend(cases: list[Case], analyzer: Analyzer, embedder: Embedder | None,
                   settings: config.MatchSettings, rebuild: bool = False,
                   vectors: np.ndarray | None = None) -> SearchBackend:
    """A Milvus collection brought in line with `cases` (the store stays the source of truth):
    only cases whose content differs from the collection are tokenized, embedded and written."""
    from .retrieval.milvus import MilvusBackend, MilvusBackendError

    if not settings.milvus_uri:
        raise MilvusBackendError("已选择 Milvus 检索后端，但未设置 milvus_uri（zhili.toml [match]）")
    kw = dict(token=os.environ.get("ZHILI_MILVUS_TOKEN"), collection=settings.milvus_collection,
              dim=embedder.dim if embedder is not None else None,
              bm25=(settings.bm25_k1, settings.bm25_b), exhaustive_below=settings.milvus_exhaustive_below)
    backend = MilvusBackend.open(settings.milvus_uri, **kw)
    if rebuild:
        backend.drop()
        backend = MilvusBackend.open(settings.milvus_uri, **kw)
    changed, removed = backend.diff(cases)
    backend.delete(removed)
    embedded = 0
    if changed:
        given = None
        if vectors is not None:
            row = {c.id: i for i, c in enumerate(cases)}
            given = vectors[[row[c.id] for c in changed]]
        vecs = None
        if embedder is not None:
            if given is not None:
                vecs = given
            else:
                vecs, embedded = case_vectors(list(changed), embedder, config.home() / "vectors")
        backend.upsert(changed, [analyzer.analyze_document(case_document(c)) for c in changed], vecs)
    backend.report = BuildReport(rebuilt=rebuild or bool(changed or removed), tokenized=len(changed),
                                 embedded=embedded)
    return backend
