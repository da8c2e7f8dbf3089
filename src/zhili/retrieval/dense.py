"""Dense vectors for cases, cached by passage hash so only changed text is ever embedded.

Embedding is the expensive step (~0.3 s per 300-character passage on 2 cores), so vectors are
kept in an .npz keyed by sha256(embedder name + passage): the bundled library's vectors ship
with the package, and a user's edits re-embed only the cases whose text changed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable

import numpy as np

from ..cases import Case
from .embedders import Embedder

PASSAGE_CHARS = 512  # e5-small reads 512 tokens; longer text only costs time


def case_passage(case: Case) -> str:
    """What the dense model reads: title, problem, practice, mechanisms (truncated)."""
    text = f"{case.title}。{case.problem}{case.practice}"
    if case.mechanisms:
        text += "机制：" + "、".join(case.mechanisms)
    return text[:PASSAGE_CHARS]


def passage_key(embedder_name: str, passage: str) -> str:
    return hashlib.sha256(f"{embedder_name}\n{passage}".encode("utf-8")).hexdigest()[:24]


class VectorCache:
    """key → vector, persisted as one .npz; several caches can be read (shipped + user)."""

    def __init__(self, vectors: dict[str, np.ndarray] | None = None):
        self.vectors: dict[str, np.ndarray] = vectors or {}

    @classmethod
    def load(cls, *paths: Path) -> "VectorCache":
        vectors: dict[str, np.ndarray] = {}
        for path in paths:
            if path.is_file():
                with np.load(path, allow_pickle=False) as data:
                    keys, mat = data["keys"], data["vectors"]
                    vectors.update(zip(keys.tolist(), mat))
        return cls(vectors)

    def save(self, path: Path, keys: list[str] | None = None) -> None:
        """Write (a subset of) the cache atomically: a crash never leaves a torn file."""
        keys = sorted(self.vectors) if keys is None else keys
        dim = len(next(iter(self.vectors.values()))) if self.vectors else 0
        mat = np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.tmp-{os.getpid()}.npz")
        np.savez(tmp, keys=np.array(keys), vectors=mat.astype(np.float32))
        tmp.replace(path)


def embed_cases(embedder: Embedder, cases: list[Case], cache: VectorCache,
                progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, int]:
    """Vectors for `cases` in order; embeds only passages missing from the cache.

    `progress(done, total)` counts passages being embedded. Returns the matrix and how many
    passages were newly embedded.
    """
    passages = [case_passage(c) for c in cases]
    keys = [passage_key(embedder.name, p) for p in passages]
    missing = sorted({k: p for k, p in zip(keys, passages) if k not in cache.vectors}.items())
    if missing:
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(missing))

        vecs = embedder.embed_passages([p for _, p in missing], progress=tick)
        for (k, _), v in zip(missing, vecs):
            cache.vectors[k] = np.asarray(v, dtype=np.float32)
    if not keys:
        return np.zeros((0, embedder.dim), np.float32), 0
    return np.stack([cache.vectors[k] for k in keys]), len(missing)
