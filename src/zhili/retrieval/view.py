"""What ranking reads about a query's candidates, whatever backend found them.

A backend returns ids with raw scores (`Candidates`); the engine's later stages (domain feedback,
rule boosts and filters, the results shown) also need the candidates' facets and, for the few
shown, the full cases. A `CandidateView` gives both without touching the rest of the library.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..cases import Case
from .columns import Columns
from .facets import FacetIndex


class CandidateView:
    """What ranking reads about the candidates: facet columns, rule facet masks, the cases.

    `case(i)` is the validated case (shown in results); facets of all candidates are read from
    `light(i)` copies when the backend has a cheaper unvalidated read."""

    def __init__(self, n: int, columns: Columns, fetch: Callable[[int], Case],
                 masks: Callable[[str, str], np.ndarray] | None = None,
                 light: Callable[[int], Case] | None = None):
        self.n = n
        self.columns = columns
        self._fetch = fetch
        self._light = light or fetch
        self._masks = masks
        self._cases: dict[int, Case] = {}
        self._facets: FacetIndex | None = None

    @classmethod
    def from_cases(cls, cases: list[Case]) -> "CandidateView":
        return cls(len(cases), Columns.build(cases), cases.__getitem__)

    def case(self, i: int) -> Case:
        c = self._cases.get(i)
        if c is None:
            c = self._cases[i] = self._fetch(i)
        return c

    def mask(self, facet: str, value: str) -> np.ndarray:
        if self._masks is not None:
            return self._masks(facet, value)
        if self._facets is None:
            self._facets = FacetIndex([self._cases.get(i) or self._light(i) for i in range(self.n)])
        return self._facets.mask(facet, value)
