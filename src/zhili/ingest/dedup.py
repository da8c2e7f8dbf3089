"""Likely duplicates: MinHash over character 3-grams (datasketch's MinHashLSH finds candidates
without comparing every pair, so a large library stays fast), then the estimated Jaccard
similarity is reported. Checked against the library and against the rest of the batch."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
CANDIDATES = 0.2  # LSH recall threshold (estimated Jaccard) for candidate pairs
THRESHOLD = 0.6  # reported similarity at which a draft is a likely duplicate
MIN_GRAMS = 30  # containment only counts when the smaller text has this many 3-grams


def case_text(case: Any) -> str:
    """What is compared: title, problem and practice, without spaces and punctuation."""
    get = case.get if isinstance(case, dict) else lambda k, d="": getattr(case, k, d)
    raw = f"{get('title', '')}{get('problem', '')}{get('practice', '')}"
    return re.sub(r"[\W_]+", "", raw)


def grams(text: str) -> set[str]:
    return {text[i:i + 3] for i in range(max(1, len(text) - 2))}


def minhash(gs: set[str]) -> MinHash:
    m = MinHash(num_perm=NUM_PERM)
    m.update_batch([g.encode("utf-8") for g in gs])
    return m


def similarity(a: set[str], b: set[str]) -> float:
    """Jaccard, or — when one text is a shorter retelling inside the other (a library summary
    in a long article) — the share of the shorter one's 3-grams found in the longer."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    jac = common / len(a | b)
    small = min(len(a), len(b))
    return max(jac, common / small if small >= MIN_GRAMS else 0.0)


@dataclass
class DuplicateIndex:
    """An LSH index over cases (library, then each accepted draft of the batch)."""

    threshold: float = THRESHOLD
    lsh: MinHashLSH = field(init=False)
    sets: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lsh = MinHashLSH(threshold=CANDIDATES, num_perm=NUM_PERM)

    def add(self, key: str, text: str) -> None:
        if key in self.sets or len(text) < 10:
            return
        gs = grams(text)
        self.sets[key] = gs
        self.lsh.insert(key, minhash(gs))

    def add_cases(self, cases: Iterable[Any]) -> None:
        for c in cases:
            self.add(c.id, case_text(c))

    def similar(self, text: str) -> list[dict[str, Any]]:
        """[{"case_id", "similarity"}] of likely duplicates, most similar first."""
        if len(text) < 10:
            return []
        gs = grams(text)
        found = []
        for key in self.lsh.query(minhash(gs)):
            sim = similarity(gs, self.sets[key])
            if sim >= self.threshold:
                found.append({"case_id": key, "similarity": round(float(sim), 2)})
        return sorted(found, key=lambda d: (-d["similarity"], d["case_id"]))


@dataclass
class BatchIndex:
    """The library's index (shared, read only) plus one for the batch being ingested: a draft is
    compared with both, and only the batch's own index grows."""

    library: DuplicateIndex
    batch: DuplicateIndex = field(default_factory=DuplicateIndex)

    def add(self, key: str, text: str) -> None:
        self.batch.add(key, text)

    def similar(self, text: str) -> list[dict[str, Any]]:
        found = {d["case_id"]: d for d in self.library.similar(text)}
        for d in self.batch.similar(text):
            found.setdefault(d["case_id"], d)
        return sorted(found.values(), key=lambda d: (-d["similarity"], d["case_id"]))
