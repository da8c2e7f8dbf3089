"""Case metadata as columns (numpy arrays), so filters and facet priors cost numpy, not Python.

A query must never loop over the library in Python: at 10^6 cases that alone is ~1 s. The
facets filters and domain feedback read are kept per row as small arrays — place code, level
code, year, domain counts (n × len(DOMAINS) uint8), leadership flags (n × 4 uint8) — built once with the
index and stored beside it as .npy files (memory-mapped on load). Filtering is then a handful
of vectorised comparisons with exactly the semantics of `Filters.accepts`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from ..cases import DOMAINS, LEADERSHIP, LEVELS, Case
from .filters import Filters

_DOMAIN_COL = {d: i for i, d in enumerate(DOMAINS)}
_LEAD_COL = {d: i for i, d in enumerate(LEADERSHIP)}
_LEVEL_CODE = {"": 0, **{lv: i + 1 for i, lv in enumerate(LEVELS)}}
ARRAYS = ("place", "level", "year", "domains", "leadership")


@dataclass
class Columns:
    """Per-row facet arrays plus the place vocabulary (province, city, place) per place code."""

    place: np.ndarray  # int32 code into `places`
    level: np.ndarray  # int8: 0 none, 1.. LEVELS
    year: np.ndarray  # int16: 0 unknown
    domains: np.ndarray  # uint8 (n, len(DOMAINS)): how often the case lists each domain
    leadership: np.ndarray  # uint8 (n, len(LEADERSHIP))
    places: list[tuple[str, str, str]]

    def __len__(self) -> int:
        return len(self.level)

    # ------------------------------------------------------------ building
    @classmethod
    def build(cls, cases: Iterable[Case]) -> "Columns":
        builder = ColumnsBuilder()
        for c in cases:
            builder.add(c)
        return builder.finish()

    def take(self, rows: np.ndarray) -> "Columns":
        return Columns(self.place[rows], self.level[rows], self.year[rows], self.domains[rows],
                       self.leadership[rows], self.places)

    def concat(self, other: "Columns") -> "Columns":
        """Rows of self then other; other's place codes are re-mapped into self's vocabulary."""
        places = list(self.places)
        code = {p: i for i, p in enumerate(places)}
        remap = np.empty(len(other.places), dtype=np.int32)
        for i, p in enumerate(other.places):
            if p not in code:
                code[p] = len(places)
                places.append(p)
            remap[i] = code[p]
        return Columns(np.concatenate([self.place, remap[other.place]]),
                       np.concatenate([self.level, other.level]),
                       np.concatenate([self.year, other.year]),
                       np.concatenate([self.domains, other.domains]),
                       np.concatenate([self.leadership, other.leadership]), places)

    # ------------------------------------------------------------ filtering
    def mask(self, filters: Filters) -> np.ndarray:
        """Rows passing `filters` (same rules as `Filters.accepts`)."""
        n = len(self)
        keep = np.ones(n, dtype=bool)
        if filters.is_empty():
            return keep
        if filters.province:
            codes = [i for i, (prov, city, place) in enumerate(self.places)
                     if any(p in (prov, city) or p in place for p in filters.province)]
            keep &= np.isin(self.place, np.asarray(codes, dtype=np.int32))
        if filters.level:
            keep &= np.isin(self.level, [_LEVEL_CODE[lv] for lv in filters.level])
        if filters.domain:
            keep &= self.domains[:, [_DOMAIN_COL[d] for d in filters.domain]].any(axis=1)
        if filters.leadership:
            keep &= self.leadership[:, [_LEAD_COL[d] for d in filters.leadership]].any(axis=1)
        if filters.year_from or filters.year_to:
            keep &= self.year > 0
            if filters.year_from:
                keep &= self.year >= filters.year_from
            if filters.year_to:
                keep &= self.year <= filters.year_to
        return keep

    def domain_prior(self, shares: dict[str, float]) -> np.ndarray:
        """Per row: the sum of the shares of the domains it lists (domain feedback's prior)."""
        weights = np.zeros(len(DOMAINS), dtype=np.float64)
        for d, v in shares.items():
            if d in _DOMAIN_COL:
                weights[_DOMAIN_COL[d]] = v
        return (self.domains.astype(np.float64) @ weights).astype(np.float32)

    # ------------------------------------------------------------ disk
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name in ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name))
        (directory / "places.json").write_text(json.dumps(self.places, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, mmap: bool = True) -> "Columns":
        arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r" if mmap else None)
                  for name in ARRAYS}
        places = [tuple(p) for p in json.loads((directory / "places.json").read_text(encoding="utf-8"))]
        width = arrays["domains"].shape[1] if arrays["domains"].ndim == 2 else len(DOMAINS)
        if width < len(DOMAINS):  # built before the vocabulary grew (domains are only appended)
            arrays["domains"] = np.pad(np.asarray(arrays["domains"]), ((0, 0), (0, len(DOMAINS) - width)))
        return cls(places=places, **arrays)


class ColumnsBuilder:
    """Accumulates rows one case at a time (the streaming index build never holds all cases)."""

    def __init__(self) -> None:
        self._code: dict[tuple[str, str, str], int] = {}
        self._place: list[int] = []
        self._level: list[int] = []
        self._year: list[int] = []
        self._domains: list[np.ndarray] = []
        self._lead: list[np.ndarray] = []

    def add(self, case: Case) -> None:
        key = (case.province, case.city, case.place)
        self._place.append(self._code.setdefault(key, len(self._code)))
        self._level.append(_LEVEL_CODE.get(case.level, 0))
        self._year.append(case.year or 0)
        dom = np.zeros(len(DOMAINS), dtype=np.uint8)
        for d in case.domains:
            dom[_DOMAIN_COL[d]] += 1
        lead = np.zeros(len(LEADERSHIP), dtype=np.uint8)
        for d in case.leadership:
            lead[_LEAD_COL[d]] = 1
        self._domains.append(dom)
        self._lead.append(lead)

    def finish(self) -> Columns:
        n = len(self._level)
        return Columns(
            place=np.asarray(self._place, dtype=np.int32),
            level=np.asarray(self._level, dtype=np.int8),
            year=np.asarray(self._year, dtype=np.int16),
            domains=np.stack(self._domains) if n else np.zeros((0, len(DOMAINS)), np.uint8),
            leadership=np.stack(self._lead) if n else np.zeros((0, len(LEADERSHIP)), np.uint8),
            places=list(self._code))
