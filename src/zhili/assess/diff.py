"""Replay a data file under two versions of a pack before publishing a change: which units move
level, total or warnings (the rule packs' `zhili rules diff`, for assessments)."""

from __future__ import annotations

from typing import Any

from .engine import Record, assess
from .pack import AssessmentPack


def diff_packs(old: AssessmentPack, new: AssessmentPack, records: list[Record]) -> dict[str, Any]:
    a, b = assess(old, records), assess(new, records)
    items = []
    for unit in sorted(a):
        for x, y in zip(a[unit], b.get(unit, [])):
            wa = sorted({(w.kind, w.indicator) for w in x.warnings})
            wb = sorted({(w.kind, w.indicator) for w in y.warnings})
            if x.level != y.level or abs(x.total - y.total) > 1e-9 or wa != wb:
                items.append({"unit": unit, "period": x.period, "old": {"total": x.total, "level": x.level},
                              "new": {"total": y.total, "level": y.level},
                              "warnings_added": [list(w) for w in wb if w not in wa],
                              "warnings_removed": [list(w) for w in wa if w not in wb]})
    n = sum(len(h) for h in a.values())
    return {"records": n, "changed": len(items),
            "level_changed": sum(1 for i in items if i["old"]["level"] != i["new"]["level"]),
            "items": items}
