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
        # The second pass may only complete phrases, never re-expand its own output: variants
        # that occur inside any canonical text (app → 数字平台 app) are left out of it.
        canon = " ".join(synonyms.values())
        second = [v for v in variants if v not in canon]
        self._second = re.compile("|".join(map(re.escape, second))) if second else None

    def basic(self, text: str) -> str:
        """NFKC + lower-case + t2s + collapsed whitespace (no synonym mapping)."""
        text = unicodedata.normalize("NFKC", text).lower()
        text = self._t2s.convert(text)
        return re.sub(r"\s+", " ", text).strip()

    def __call__(self, text: str) -> str:
        """Two passes, so a typo fixed in the first (物叶→物业) can complete a colloquial
        phrase in the second (物业不管事→物业服务 不到位)."""
        text = self.basic(text)
        if self._pattern is None:
            return text
        for pattern in (self._pattern, self._second):
            if pattern is not None:
                current = text
                text = pattern.sub(lambda m: self._replace(m, current), current)
        return text

    def _replace(self, m: re.Match[str], text: str) -> str:
        variant = m.group(0)
        canonical = self._synonyms[variant]
        start = m.start()
        for word in canonical.split():
            offset = word.find(variant)
            if word != variant and offset >= 0 and text[start - offset:start - offset + len(word)] == word:
                return variant
        return canonical
