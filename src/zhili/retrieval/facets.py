"""Which cases carry a facet value (domain, level, mechanism, …), as cached boolean masks.

Rule boosts and filters name cases by facet; answering "which cases have 加装电梯" once per
library rather than once per query keeps rule steering cheap as the library grows.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..cases import Case

_TESTS: dict[str, Callable[[Case, str], bool]] = {
    "domain": lambda c, v: v in c.domains,
    "level": lambda c, v: c.level == v,
    "province": lambda c, v: v in (c.province, c.city),
    "leadership": lambda c, v: v in c.leadership,
    "mechanism": lambda c, v: any(v in m for m in c.mechanisms),
    "text": lambda c, v: v in c.title or v in c.problem or v in c.practice,
    "case_id": lambda c, v: c.id == v,
}
FACETS = tuple(_TESTS)


class FacetIndex:
    """Masks over `cases` by (facet, value), computed on first use and kept."""

    def __init__(self, cases: list[Case]):
        self.cases = cases
        self._masks: dict[tuple[str, str], np.ndarray] = {}

    def mask(self, facet: str, value: str) -> np.ndarray:
        key = (facet, value)
        found = self._masks.get(key)
        if found is None:
            test = _TESTS.get(facet)
            if test is None:
                raise ValueError(f"规则引用了未知的案例维度：{facet}（可用：{'、'.join(FACETS)}）")
            found = np.fromiter((test(c, value) for c in self.cases), dtype=bool, count=len(self.cases))
            found.setflags(write=False)
            self._masks[key] = found
        return found
