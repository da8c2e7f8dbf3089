"""Why a case matched: which query terms occur where in the case text."""

from __future__ import annotations

from .answer import Span, TermMatch
from .cases import Case

SPAN_FIELDS = ("title", "problem", "practice")
MAX_SPANS_PER_FIELD = 3


def matched_terms(terms: list[str], case: Case) -> list[TermMatch]:
    """Spans (character offsets into the stored field) for each query term found in the case.

    Longer terms are searched first and shorter terms inside an already matched span are
    dropped, so 加装电梯 is reported once rather than also as 加装 and 电梯.
    """
    out: list[TermMatch] = []
    taken: dict[str, list[tuple[int, int]]] = {f: [] for f in SPAN_FIELDS}
    for term in sorted(set(terms), key=len, reverse=True):
        if len(term) < 2 and not term.isascii():
            continue
        spans: list[Span] = []
        for field in SPAN_FIELDS:
            text = getattr(case, field).lower()
            start, found = text.find(term), 0
            while start >= 0 and found < MAX_SPANS_PER_FIELD:
                end = start + len(term)
                if not any(s <= start and end <= e for s, e in taken[field]):
                    spans.append(Span(field=field, start=start, end=end))
                    taken[field].append((start, end))
                    found += 1
                start = text.find(term, end)
        if spans:
            out.append(TermMatch(term=term, spans=spans))
    return out
