"""Analysis of a problem statement or case text: normalised text, tokens, lexicon hits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import rjieba

from .normalize import Normalizer
from .places import place_spans, without_places
from .wordlists import WordLists

_WORD = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]")


@dataclass
class Analysis:
    """What the rest of the pipeline sees of a text."""

    raw: str
    text: str
    tokens: list[str]
    lexicon_hits: list[str] = field(default_factory=list)
    content: str = ""  # `text` without addresses and place names: what keywords and the dense model read
    places: list[str] = field(default_factory=list)  # the spans taken out (zhili.text.places)


class Analyzer:
    """Segmenter with the governance lexicon (plus terms the library itself uses)."""

    def __init__(self, lists: WordLists | None = None, extra_terms: Iterable[str] = (),
                 segmentation: str = "search"):
        if segmentation not in ("search", "precise"):
            raise ValueError(f"未知的分词模式：{segmentation}（可选 search / precise）")
        self.segmentation = segmentation
        self.lists = lists or WordLists.load()
        self.normalize = Normalizer(self.lists.synonyms)
        self._jieba = rjieba.Jieba()
        self.lexicon: set[str] = set()
        for term, freq in self.lists.lexicon.items():
            self._add(term, freq)
        for canonical in self.lists.synonyms.values():
            for term in canonical.split():
                if len(term) > 1:
                    self._add(term, 20000)
        for term in extra_terms:
            self._add(term, 20000)
        self.fingerprint = f"{self.lists.fingerprint}-{segmentation}"

    def _add(self, term: str, freq: int) -> None:
        term = self.normalize.basic(term).replace(" ", "")
        if len(term) < 2:
            return
        self._jieba.add_word(term, freq, None)
        self.lexicon.add(term)

    def tokenize(self, normalized: str) -> list[str]:
        """Segmentation minus stopwords/punctuation. Search mode also emits the parts of
        compounds (加装电梯 → 加装, 电梯, 加装电梯), which helps short colloquial queries;
        precise mode suits long documents (measured in docs/benchmarks.md)."""
        stop = self.lists.stopwords
        cut = self._jieba.cut_for_search if self.segmentation == "search" else self._jieba.cut
        return [t for t in cut(normalized)
                if t.strip() and t not in stop and _WORD.search(t)]

    def lexicon_hits(self, normalized: str) -> list[str]:
        """Governance terms present, longest first, without terms inside a longer hit."""
        hits = sorted((t for t in self.lexicon if t in normalized), key=len, reverse=True)
        kept: list[str] = []
        for t in hits:
            if not any(t in k for k in kept):
                kept.append(t)
        return kept

    def analyze(self, text: str) -> Analysis:
        """Keywords come from the text without its addresses (华城广场 is where, not 广场舞);
        the full normalised text stays for the rules (a 村 in an address says rural), the
        explanation and region detection. A text that is nothing but a place keeps it all."""
        normalized = self.normalize(text)
        spans = place_spans(normalized, self.lexicon_hits(normalized))
        content = without_places(normalized, spans)
        tokens = self.tokenize(content) if spans else []
        if not tokens:
            content, spans, tokens = normalized, [], self.tokenize(normalized)
        return Analysis(text, normalized, tokens, self.lexicon_hits(content), content,
                        [normalized[s:e] for s, e in spans])

    def analyze_document(self, text: str) -> list[str]:
        """Tokens for indexing: the same normalisation as queries, so both sides meet."""
        return self.tokenize(self.normalize(text))


@lru_cache(maxsize=4)
def get_analyzer(extra_terms: tuple[str, ...] = ()) -> Analyzer:
    """Process-wide analyser; building one loads the dictionary (~0.3 s)."""
    return Analyzer(extra_terms=extra_terms)
