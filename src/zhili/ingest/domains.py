"""A small domain classifier trained on the library's labelled cases (the bundled library):
character-bigram TF-IDF, one centroid per domain, cosine similarity. It complements the 问题分类
rules' keywords on long case texts, where a domain is often described rather than named. Its
evidence spans are the text's bigrams that weigh most in the chosen domain's centroid."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import lru_cache
from typing import Any

CJK = re.compile(r"[\u4e00-\u9fff]+")


def bigrams(text: str) -> Counter[str]:
    grams: Counter[str] = Counter()
    for run in CJK.findall(text):
        grams.update(run[i:i + 2] for i in range(len(run) - 1))
    return grams


def _case_text(c: dict[str, Any]) -> str:
    return " ".join([c.get("title", ""), c.get("problem", ""), c.get("practice", ""),
                     " ".join(c.get("mechanisms", []))])


class DomainClassifier:
    def __init__(self, cases: list[dict[str, Any]]) -> None:
        docs = [bigrams(_case_text(c)) for c in cases]
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.keys())
        n = len(docs)
        self.idf = {g: math.log((n + 1) / (k + 1)) + 1 for g, k in df.items() if k >= 2}
        sums: dict[str, Counter[float]] = {}
        counts: Counter[str] = Counter()
        for c, d in zip(cases, docs):
            vec = self._vector(d)
            for dom in c.get("domains", []):
                sums.setdefault(dom, Counter()).update(vec)
                counts[dom] += 1
        self.centroids = {dom: self._unit({g: w / counts[dom] for g, w in s.items()}) for dom, s in sums.items()}

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        return self._unit({g: (1 + math.log(k)) * self.idf[g] for g, k in grams.items() if g in self.idf})

    @staticmethod
    def _unit(v: dict[str, float]) -> dict[str, float]:
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {g: x / norm for g, x in v.items()}

    def scores(self, text: str) -> dict[str, float]:
        v = self._vector(bigrams(text))
        return {dom: sum(w * c.get(g, 0.0) for g, w in v.items()) for dom, c in self.centroids.items()}

    def evidence(self, text: str, domain: str, offset: int = 0, k: int = 3) -> list[tuple[int, int]]:
        """Spans of the k bigrams of `text` that weigh most towards `domain`."""
        c = self.centroids.get(domain, {})
        best = sorted(((c.get(g, 0.0) * self.idf.get(g, 0.0), g) for g in bigrams(text)), reverse=True)[:k]
        spans = []
        for w, g in best:
            i = text.find(g)
            if w > 0 and i >= 0:
                spans.append((offset + i, offset + i + 2))
        return spans


@lru_cache(maxsize=1)
def bundled_classifier() -> DomainClassifier:
    from ..config import BUNDLED_CASES

    cases = [json.loads(line) for line in BUNDLED_CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return DomainClassifier(cases)
