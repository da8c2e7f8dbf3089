"""Mark the matched query terms inside case text, using the answer's `matched_terms` spans.

The engine already located every term (character offsets into the stored field), so the page
never re-searches: it escapes the text and wraps those exact offsets in <mark>. Long fields are
cut to a window around the first match so a card stays short.

Not every matched term is worth a mark: 小区, 居民, 起来 occur in nearly every message and
case, and marking them hides the words that matter. `Highlighter` keeps governance lexicon
terms and content words in the case text, and only lexicon terms in titles; the generic words
are an editable list (`generic.txt` beside the other word lists), used for display only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

from ..answer import TermMatch
from ..text.wordlists import TEXT_DIR, load_stopwords

ELLIPSIS = "……"
GENERIC_FILE = "generic.txt"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NUMBER = re.compile(r"[\d.,:%\-/]+")


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


def generic_path() -> Path:
    """A deployment's own list ($ZHILI_TEXT_DIR/generic.txt) when it has one, else the bundled list."""
    own = os.environ.get("ZHILI_TEXT_DIR")
    if own and (Path(own) / GENERIC_FILE).is_file():
        return Path(own) / GENERIC_FILE
    return TEXT_DIR / GENERIC_FILE


@lru_cache(maxsize=4)
def _generic(path: Path, _mtime: float) -> frozenset[str]:
    return frozenset(w.lower() for w in load_stopwords(path))


def generic_words() -> frozenset[str]:
    """The generic-word list, re-read when the file changes (an edit shows on the next page)."""
    path = generic_path()
    try:
        return _generic(path, path.stat().st_mtime)
    except FileNotFoundError:
        return frozenset()


def content_word(term: str) -> bool:
    """A word that says something: two or more characters, Chinese or a longer Latin word, not
    a bare number (years, counts, house numbers)."""
    if _NUMBER.fullmatch(term):
        return False
    return len(term) >= 2 if _CJK.search(term) else len(term) >= 3


class Highlighter:
    """Which matched terms a results page marks: lexicon terms anywhere, other content words in
    the case text only, generic words and stopwords nowhere."""

    def __init__(self, lexicon: Iterable[str], generic: Iterable[str] | None = None,
                 stopwords: Iterable[str] = ()) -> None:
        self.lexicon = frozenset(t.lower() for t in lexicon)
        self.skip = frozenset(t.lower() for t in (generic_words() if generic is None else generic)) | {
            t.lower() for t in stopwords}

    def keep(self, term: str, title: bool = False) -> bool:
        t = term.lower()
        if t in self.skip:
            return False
        if t in self.lexicon:
            return True
        return not title and content_word(t)

    def body(self, matched: Iterable[TermMatch]) -> list[TermMatch]:
        """Terms to mark in 问题/做法 and to list as 命中词."""
        return [m for m in matched if self.keep(m.term)]

    def title(self, matched: Iterable[TermMatch]) -> list[TermMatch]:
        """Terms to mark in a title: governance lexicon terms only."""
        return [m for m in matched if self.keep(m.term, title=True)]


