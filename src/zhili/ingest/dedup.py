"""Likely duplicates: MinHash over character 3-grams (datasketch's MinHashLSH finds candidates
without comparing every pair, so a large library stays fast), then the estimated Jaccard
similarity is reported. Checked against the library and against the rest of the batch."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
THRESHOLD = 0.5  # estimated Jaccard of 3-gram sets; retold articles of one case sit well above


def case_text(case: Any) -> str:
    """What is compared: title, problem and practice, without spaces and punctuation."""
    get = case.get if isinstance(case, dict) else lambda k, d="": getattr(case, k, d)
    raw = f"{get('title', '')}{get('problem', '')}{get('practice', '')}"
    return re.sub(r"[\W_]+", "", raw)


def minhash(text: str) -> MinHash:
    m = MinHash(num_perm=NUM_PERM)
    grams = {text[i:i + 3] for i in range(max(1, len(text) - 2))}
    m.update_batch([g.encode("utf-8") for g in grams])
    return m


@dataclass
class DuplicateIndex:
    """An LSH index over cases (library, then each accepted draft of the batch)."""

    threshold: float = THRESHOLD
    lsh: MinHashLSH = field(init=False)
    hashes: dict[str, MinHash] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lsh = MinHashLSH(threshold=self.threshold, num_perm=NUM_PERM)

    def add(self, key: str, text: str) -> None:
        if key in self.hashes or len(text) < 10:
            return
        m = minhash(text)
        self.hashes[key] = m
        self.lsh.insert(key, m)

    def add_cases(self, cases: Iterable[Any]) -> None:
        for c in cases:
            self.add(c.id, case_text(c))

    def similar(self, text: str) -> list[dict[str, Any]]:
        """[{"case_id", "similarity"}] of likely duplicates, most similar first."""
        if len(text) < 10:
            return []
        m = minhash(text)
        found = []
        for key in self.lsh.query(m):
            sim = m.jaccard(self.hashes[key])
            if sim >= self.threshold:
                found.append({"case_id": key, "similarity": round(float(sim), 2)})
        return sorted(found, key=lambda d: (-d["similarity"], d["case_id"]))
