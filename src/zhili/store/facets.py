"""Case facets copied into their own columns so listing and filtering are plain, portable SQL.

(JSON operators differ between SQLite and PostgreSQL; LIKE on a text column does not.)
"""

from __future__ import annotations

from typing import Any

from ..cases.model import Case


def facet_columns(case: Case | dict[str, Any]) -> dict[str, str]:
    """title/province/level, domains as "|a|b|" (so "|a|" matches a whole domain), search text."""
    p = case.model_dump(mode="json") if isinstance(case, Case) else case
    domains = [str(d) for d in p.get("domains") or []]
    words = [p.get("id", ""), p.get("title", ""), p.get("province", ""), p.get("city", ""),
             p.get("district", ""), *domains, *(p.get("mechanisms") or [])]
    return {
        "title": str(p.get("title", ""))[:500],
        "province": str(p.get("province", ""))[:64],
        "level": str(p.get("level", ""))[:16],
        "domains": "|" + "|".join(domains) + "|" if domains else "",
        "search": "\n".join(str(w) for w in words if w).lower(),
    }
