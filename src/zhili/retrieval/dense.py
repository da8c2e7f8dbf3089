"""Dense vectors for cases, cached by passage hash so only changed text is ever embedded.

Embedding is the expensive step (~0.3 s per 300-character passage on 2 cores), so vectors are
kept in an .npz keyed by sha256(embedder name + passage): the bundled library's vectors ship
with the package, and a user's edits re-embed only the cases whose text changed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Iterable

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


def missing_texts(embedder_name: str, texts: Iterable[str], cache: VectorCache) -> dict[str, str]:
    """key → text for the texts whose vector `cache` lacks (each text once)."""
    out: dict[str, str] = {}
    for text in texts:
        key = passage_key(embedder_name, text)
        if key not in cache.vectors:
            out[key] = text
    return out


def embed_into(embedder: Embedder, todo: dict[str, str], cache: VectorCache, *, chunk: int = 0,
               after_chunk: Callable[[int, int], None] | None = None,
               progress: Callable[[int, int], None] | None = None, reverse: bool = False) -> int:
    """Embed `todo` (key → text, in key order) into `cache`; returns how many were embedded.

    The one embedding loop of the index, the about vectors and the vector-shipping scripts.
    `chunk` > 0 embeds that many at a time and calls `after_chunk(done, total)` after each (long
    runs save there, so a rerun resumes); `progress(done, total)` counts texts as the model goes;
    `reverse` works from the other end (a second process on the same corpus)."""
    items = sorted(todo.items(), reverse=reverse)
    total, done = len(items), 0
    step = chunk if chunk > 0 else max(1, total)
    for start in range(0, total, step):
        part = items[start:start + step]
        seen = done

        def tick(n: int) -> None:
            nonlocal seen
            seen += n
            if progress:
                progress(seen, total)

        vecs = embedder.embed_passages([text for _, text in part], progress=tick)
        for (key, _), vec in zip(part, vecs):
            cache.vectors[key] = np.asarray(vec, dtype=np.float32)
        done += len(part)
        if after_chunk:
            after_chunk(done, total)
    return total


def embed_cases(embedder: Embedder, cases: list[Case], cache: VectorCache,
                progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, int]:
    """Vectors for `cases` in order; embeds only passages missing from the cache.

    `progress(done, total)` counts passages being embedded. Returns the matrix and how many
    passages were newly embedded.
    """
    passages = [case_passage(c) for c in cases]
    embedded = embed_into(embedder, missing_texts(embedder.name, passages, cache), cache, progress=progress)
    if not passages:
        return np.zeros((0, embedder.dim), np.float32), 0
    return np.stack([cache.vectors[passage_key(embedder.name, p)] for p in passages]), embedded
