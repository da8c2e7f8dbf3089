"""Approximate nearest neighbours over case vectors: a faiss IVF-Flat index, memory-mapped on load.

Brute-force cosine over 10^6 e5 vectors costs ~86 ms on two cores. A graph index (HNSW) is
faster still but failed here: e5 vectors all point in similar directions, and on the 10^6
benchmark library (vectors mixed from real cases plus noise) faiss HNSWFlat (M=32,
efConstruction=100) reached recall@10 0.45 at efSearch 128 and 0.58 at 2048. IVF-Flat — k-means
cells, scan the `nprobe` cells nearest the query exactly — reached (nlist 4000, gov-dev queries,
benchmarks/ann_recall.py) 0.887 / 0.990 / 0.997 at nprobe 250 / 500 / 700 (p50 8 / 15 / 20 ms;
0.980 at nprobe 500 with a filter keeping 10 %), built in ~3.5 min instead of 30.
Flat (float32) storage because 8-bit quantisation loses recall on e5 (usearch int8 ~0.84).
Filters become an IDSelectorBitmap; scanning cells exactly keeps filtered recall as high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

FILE = "ivf.faiss"
TRAIN_PER_LIST = 64  # k-means sample: 64 points per cell (faiss warns below 39)


@dataclass
class AnnSettings:
    nlist: int = 0  # cells; 0 = 4·√n
    nprobe: int = 0  # cells scanned per query; 0 = nlist/8 (recall@10 0.99 at 10^6)

    def cells(self, n: int) -> int:
        return max(1, min(self.nlist or int(4 * math.sqrt(n)), n))

    def probes(self, nlist: int) -> int:
        return max(1, min(self.nprobe or math.ceil(nlist / 8), nlist))


class AnnIndex:
    """IVF-Flat over unit vectors with inner product (= cosine); ids are library rows."""

    def __init__(self, index: faiss.Index):
        self.index = index
        self.nlist = int(faiss.extract_index_ivf(index).nlist)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, settings: AnnSettings = AnnSettings(),
              batch: int = 100_000, progress=None) -> "AnnIndex":
        """Train on a fixed random sample, then add in batches (a memory-mapped matrix is never
        copied whole)."""
        n, dim = int(vectors.shape[0]), int(vectors.shape[1])
        nlist = settings.cells(n)
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(n, size=min(n, TRAIN_PER_LIST * nlist), replace=False))
        index.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
        for start in range(0, n, batch):
            index.add(np.ascontiguousarray(vectors[start:start + batch], dtype=np.float32))
            if progress:
                progress(min(start + batch, n), n)
        return cls(index)

    def save(self, directory: Path) -> None:
        faiss.write_index(self.index, str(directory / FILE))

    @classmethod
    def load(cls, directory: Path, mmap: bool = True) -> "AnnIndex":
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        return cls(faiss.read_index(str(directory / FILE), flags))

    def search(self, vector: np.ndarray, k: int, nprobe: int = 0,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosines) of the k nearest rows; with `allowed` (bool per row) only those."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        params = faiss.SearchParametersIVF()
        # at least enough cells to hold ~2k rows on average, so k results can exist at all
        enough = math.ceil(2 * k * self.nlist / max(1, len(self)))
        params.nprobe = min(self.nlist, max(AnnSettings(nprobe=nprobe).probes(self.nlist), enough))
        keep_alive = None  # the selector points into these; they must outlive the search
        if allowed is not None:
            bits = np.packbits(np.asarray(allowed, dtype=bool), bitorder="little")
            sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
            params.sel = sel
            keep_alive = (bits, sel)
        scores, rows = self.index.search(np.asarray(vector, dtype=np.float32).reshape(1, -1), k,
                                         params=params)
        del keep_alive
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)


class IndexedVectors:
    """The case vectors read back from the IVF index's own copy, row by row.

    A large index would otherwise map two 1.5 GB copies of the same vectors (vectors.npy for
    candidate scoring, the IVF lists for search) and page both in over time; serving from one
    keeps peak RSS at 10^6 cases under 4 GB. Supports what ranking needs: `v[rows]`, `v @ q`,
    `len(v)`, `v.shape`.
    """

    dtype = np.dtype(np.float32)

    def __init__(self, ann: AnnIndex):
        self.ann = ann
        faiss.extract_index_ivf(ann.index).make_direct_map()  # row → (cell, offset): 8 B a row
        self.shape = (len(ann), int(ann.index.d))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows) -> np.ndarray:
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        return self.ann.index.reconstruct_batch(rows.astype(np.int64).ravel())

    def __matmul__(self, vector: np.ndarray) -> np.ndarray:
        out = np.empty(len(self), dtype=np.float32)
        for start in range(0, len(self), 100_000):  # bounded memory for the rare full scan
            out[start:start + 100_000] = self[np.arange(start, min(start + 100_000, len(self)))] @ vector
        return out
