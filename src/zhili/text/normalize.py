"""Normalisation: full-width→half-width, case, traditional→simplified, colloquial→canonical."""

from __future__ import annotations

import re
import unicodedata

import opencc


class Normalizer:
    """Turns how cadres type into how the library is written.

    Synonyms are applied longest-first; a variant that already sits inside its own canonical
    form (装电梯 inside 加装电梯) is left alone so canonical text never grows twice.
    """

    def __init__(self, synonyms: dict[str, str]):
        self._t2s = opencc.OpenCC("t2s")
        self._synonyms = synonyms
        variants = sorted(synonyms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, variants))) if variants else None

    def basic(self, text: str) -> str:
        """NFKC + lower-case + t2s + collapsed whitespace (no synonym mapping)."""
        text = unicodedata.normalize("NFKC", text).lower()
        text = self._t2s.convert(text)
        return re.sub(r"\s+", " ", text).strip()

    def __call__(self, text: str) -> str:
        text = self.basic(text)
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._replace(m, text), text)

    def _replace(self, m: re.Match[str], text: str) -> str:
        variant = m.group(0)
        canonical = self._synonyms[variant]
        start = m.start()
        for word in canonical.split():
            offset = word.find(variant)
            if word != variant and offset >= 0 and text[start - offset:start - offset + len(word)] == word:
                return variant
        return f" {canonical} "
