"""Search URLs: every search is a GET link (`/?q=…&province=…&year_from=…&top=…`) that can be
bookmarked, shared, refreshed and linked back to from a case page.

The text in a link is always masked (`zhili.privacy.mask`): a URL ends up in browser history
and access logs, so it never carries more than the query log itself keeps. A text too long for
a link (a pasted work order) is linked by its logged query's id instead: `/?qid=…`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from .forms import DEFAULT_TOP, FILTER_FIELDS, SEARCH_FIELDS, YEAR_FIELDS

SEARCH_KEYS = ("q", "qid", *SEARCH_FIELDS, "top")
MAX_LINK = 6_000  # characters of a search URL; longer texts go by query id (proxies refuse ~8 KB request lines)


def search_query(q: str | None, chosen: dict[str, str], top: int = DEFAULT_TOP, qid: str | None = None) -> str:
    """The query string of a search (no leading "?"), keys in a fixed order, empty values left out."""
    pairs: list[tuple[str, str]] = [("qid", qid)] if qid else ([("q", q)] if q else [])
    pairs += [(k, str(chosen[k])) for k in SEARCH_FIELDS if chosen.get(k)]
    if top != DEFAULT_TOP:
        pairs.append(("top", str(top)))
    return urlencode(pairs, quote_via=quote)


def search_url(q: str | None, chosen: dict[str, str], top: int = DEFAULT_TOP, qid: str | None = None) -> str:
    qs = search_query(q, chosen, top, qid)
    return f"/?{qs}" if qs else "/"


def carried(params: Any) -> str:
    """The search parameters found in `params` (a case page's query string), re-encoded: what its
    breadcrumb and links pass on, so the way back always leads to the same results."""
    pairs = [(k, str(params.get(k))[:20_000]) for k in SEARCH_KEYS if params.get(k)]
    return urlencode(pairs, quote_via=quote)


def chosen_of_logged(filters: dict[str, Any]) -> dict[str, str]:
    """A logged query's filters ({"province": ["浙江"], "year_from": 2020}) as the form's values;
    a filter with several values (possible through the API) keeps its first."""
    out: dict[str, str] = {}
    for k in (*FILTER_FIELDS, *YEAR_FIELDS):
        v = filters.get(k)
        if isinstance(v, list):
            v = v[0] if v else None
        if v not in (None, ""):
            out[k] = str(v)
    return out


def safe_next(value: Any, default: str = "/") -> str:
    """A same-site path to return to after a form post; anything else (other sites, schemes,
    protocol-relative or backslash tricks) becomes `default`."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(ch) < 32 for ch in value) or len(value) > 30_000:
        return default
    return value


def filter_label(chosen: dict[str, str]) -> str:
    """The chosen filters in one short line: "浙江 · 村社区 · 2018–2024年" ("" when none)."""
    parts = [chosen[k] for k in FILTER_FIELDS if chosen.get(k)]
    start, end = chosen.get("year_from"), chosen.get("year_to")
    if start or end:
        parts.append(f"{start}–{end}年" if start and end else (f"{start}年起" if start else f"{end}年及以前"))
    return " · ".join(parts)
