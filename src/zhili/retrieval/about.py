"""What each case is about — its title and problem — embedded apart from its whole passage.

The no-fit verdict (`zhili.verdict.signals.problem_similarity`) asks whether the problem a case
*addresses* is the message's problem. The passage vector mixes in the practice text, which
mentions many things in passing (a 加装电梯 case mentions 施工 and 噪音); the short "about" text
says what the case is for. With 1,000 cases nearly every message shares words with some case, and
this is the signal that still separates (docs/benchmarks.md, "No fit: problem similarity").

Vectors are keyed like passage vectors (`passage_key(embedder name, text)`): the bundled library's
ship in src/zhili/data/vectors/about-<embedder>.npz (scripts/ship_vectors.py writes missing ones),
a user's cases are embedded when they are indexed (`ensure_about_vectors`, called with the passage
vectors, into the same user cache directory as `about-<embedder>.npz`), and a case met at query
time without one (a large or Milvus library, a case saved elsewhere) is embedded then and kept in
memory — a short text, ~20 ms.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..cases import Case
from ..config import DATA_DIR
from .dense import VectorCache, embed_into, missing_texts, passage_key
from .embedders import Embedder

ABOUT_CHARS = 256
SHIPPED_DIR = DATA_DIR / "vectors"
MEMORY_LIMIT = 200_000  # vectors kept in memory beyond the files (a large library's top cases)


def case_about(case: Case) -> str:
    """Title and problem: what the case is for."""
    text = f"{case.title}。{case.problem}" if case.problem else case.title
    return text[:ABOUT_CHARS]


def about_file(directory: Path, embedder_name: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in embedder_name)
    return Path(directory) / f"about-{safe}.npz"


def ensure_about_vectors(cases: Sequence[Case], embedder: Embedder, vector_cache_dir: Path) -> int:
    """Index time: embed the about texts of `cases` missing from the shipped and user files and
    save them to the user file. Returns how many were embedded."""
    user = about_file(vector_cache_dir, embedder.name)
    shipped = VectorCache.load(about_file(SHIPPED_DIR, embedder.name)).vectors
    cache = VectorCache.load(user)
    cache.vectors = {**shipped, **cache.vectors}
    embedded = embed_into(embedder, missing_texts(embedder.name, (case_about(c) for c in cases), cache), cache)
    if embedded:
        cache.save(user, sorted(k for k in cache.vectors if k not in shipped))  # the user's own only
    return embedded


class AboutVectors:
    """The about vectors an engine reads at query time (shipped + user file + memory)."""

    def __init__(self, embedder_name: str, vector_cache_dir: Path):
        self.name = embedder_name
        self.user = about_file(vector_cache_dir, embedder_name)
        self.cache = VectorCache.load(about_file(SHIPPED_DIR, embedder_name), self.user)
        self._user_mtime = self._mtime()
        self._lock = threading.Lock()

    def _mtime(self) -> float:
        try:
            return self.user.stat().st_mtime
        except OSError:
            return 0.0

    def vectors(self, cases: Sequence[Case],
                embed: Callable[[list[str]], np.ndarray] | None) -> np.ndarray | None:
        """One row per case; missing ones are read from a user file written since (a case just
        indexed), else embedded with `embed` (None: the signal is absent → None)."""
        texts = [case_about(c) for c in cases]
        keys = [passage_key(self.name, t) for t in texts]
        with self._lock:
            if any(k not in self.cache.vectors for k in keys) and self._mtime() != self._user_mtime:
                self._user_mtime = self._mtime()
                self.cache.vectors.update(VectorCache.load(self.user).vectors)
            missing = sorted({k: t for k, t in zip(keys, texts) if k not in self.cache.vectors}.items())
        if missing:
            if embed is None:
                return None
            vecs = embed([t for _, t in missing])
            with self._lock:
                if len(self.cache.vectors) > MEMORY_LIMIT:
                    self.cache = VectorCache.load(about_file(SHIPPED_DIR, self.name), self.user)
                for (k, _), v in zip(missing, vecs):
                    self.cache.vectors[k] = np.asarray(v, dtype=np.float32)
        with self._lock:
            got = [self.cache.vectors.get(k) for k in keys]
        if any(v is None for v in got):
            return None
        return np.stack(got).astype(np.float32) if got else np.zeros((0, 0), np.float32)
