"""Provincial-level divisions in the official (GB/T 2260) order, as the library spells them.

A cadre looks for their province where the national order puts it, not in Unicode order.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..gazetteer import PROVINCES  # one list: the query log's region detection uses it too

_ORDER = {p: i for i, p in enumerate(PROVINCES)}


def ordered(found: Iterable[str]) -> list[str]:
    """Distinct non-empty names, official order first, anything else after in name order."""
    names = {p for p in found if p}
    return sorted(names, key=lambda p: (_ORDER.get(p, len(_ORDER)), p))
