"""Library coverage at a glance: where the cases come from and where the gaps are."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from .model import Case

UNSET = "（未填）"


def _ranked(counter: Counter[str]) -> dict[str, int]:
    """Most frequent first, ties by name, so output is stable."""
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def library_stats(cases: Iterable[Case]) -> dict[str, Any]:
    """Counts by level, province, domain, leadership and source trust; year range; cases lacking a source URL."""
    items = list(cases)
    years = [c.year for c in items if c.year is not None]
    return {
        "total": len(items),
        "by_level": _ranked(Counter(c.level or UNSET for c in items)),
        "by_province": _ranked(Counter(c.province or UNSET for c in items)),
        "by_domain": _ranked(Counter(d for c in items for d in c.domains)),
        "by_leadership": _ranked(Counter(d for c in items for d in c.leadership)),
        "by_trust": _ranked(Counter(c.source.trust or UNSET for c in items)),
        "year_min": min(years) if years else None,
        "year_max": max(years) if years else None,
        "without_year": sum(1 for c in items if c.year is None),
        "without_domain": sum(1 for c in items if not c.domains),
        "without_source_url": sum(1 for c in items if not c.source.url),
    }
