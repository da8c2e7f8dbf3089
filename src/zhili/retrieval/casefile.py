"""Cases on disk by position: one JSON line per case plus an offsets array, read on demand.

10^6 pydantic `Case` objects need ~5 GB; a query only ever shows ten of them and ranks a few
hundred. So a large index keeps the cases in `cases.jsonl` (the same JSON as the library) with
`offsets.npy` (int64 start of each line, memory-mapped) and parses only the rows it needs.
"""

from __future__ import annotations

import json
import mmap
from pathlib import Path
from typing import IO, Iterable, Sequence

import numpy as np

from ..cases import Case
from ..cases.model import STORED

DATA = "cases.jsonl"
OFFSETS = "offsets.npy"


class CaseFileWriter:
    """Appends cases in position order; `close()` writes the offsets."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._out: IO[bytes] = open(directory / DATA, "wb")
        self._offsets: list[int] = []
        self._pos = 0

    def add(self, case: Case) -> None:
        line = case.model_dump_json().encode("utf-8") + b"\n"
        self._offsets.append(self._pos)
        self._out.write(line)
        self._pos += len(line)

    def close(self) -> None:
        self._out.close()
        np.save(self.directory / OFFSETS, np.asarray(self._offsets + [self._pos], dtype=np.int64))

    @classmethod
    def write(cls, directory: Path, cases: Iterable[Case]) -> None:
        w = cls(directory)
        for c in cases:
            w.add(c)
        w.close()


class CaseFile:
    """Random access to the cases written by `CaseFileWriter`."""

    def __init__(self, directory: Path):
        self.offsets = np.load(directory / OFFSETS, mmap_mode="r")
        self._file = open(directory / DATA, "rb")
        size = int(self.offsets[-1])
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if size:  # rows are read at random: no readahead (it paged in ~0.5 GB for 25k rows)
            self._map.madvise(mmap.MADV_RANDOM)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def get(self, row: int) -> Case:
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        return Case.model_validate_json(self._map[start:end], context=STORED)

    __getitem__ = get

    def light(self, row: int) -> Case:
        """The case without validation (it was validated when written): ~6× cheaper, for
        reading facets of hundreds of candidates per query. Never shown or stored."""
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        return Case.model_construct(**json.loads(self._map[start:end]))

    def many(self, rows: Sequence[int]) -> list[Case]:
        return [self.get(int(r)) for r in rows]
