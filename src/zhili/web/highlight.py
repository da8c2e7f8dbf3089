"""Mark the matched query terms inside case text, using the answer's `matched_terms` spans.

The engine already located every term (character offsets into the stored field), so the page
never re-searches: it escapes the text and wraps those exact offsets in <mark>. Long fields are
cut to a window around the first match so a card stays short.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from ..answer import TermMatch

ELLIPSIS = "……"


def field_spans(matched: Iterable[TermMatch], field: str) -> list[tuple[int, int]]:
    """Merged, sorted (start, end) spans of one field; overlapping spans join into one."""
    spans = sorted((s.start, s.end) for m in matched for s in m.spans if s.field == field)
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> Markup:
    """Escaped text[start:end] with each span inside it wrapped in <mark>."""
    end = len(text) if end is None else end
    out, pos = [], start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e or s < pos:
            continue
        out.append(escape(text[pos:s]))
        out.append(Markup('<mark class="hit">') + escape(text[s:e]) + Markup("</mark>"))
        pos = e
    out.append(escape(text[pos:end]))
    return Markup("").join(out)


def snippet(text: str, matched: Iterable[TermMatch], field: str, limit: int = 220) -> Markup:
    """The whole field if short, else `limit` characters starting a little before the first match."""
    spans = field_spans(matched, field)
    if len(text) <= limit:
        return marked(text, spans)
    first = spans[0][0] if spans else 0
    start = max(0, min(first - 30, len(text) - limit))
    end = start + limit
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    return Markup(prefix) + marked(text, spans, start, end) + Markup(suffix)


def full(text: str, matched: Iterable[TermMatch], field: str) -> Markup:
    return marked(text, field_spans(matched, field))
