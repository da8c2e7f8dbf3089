"""Score fusion: min-max normalised weighted sum (default) or reciprocal rank fusion.

Both are computed over the candidate set only, so filters and pools change normalisation
the same way they change the ranking. When the candidates are only the top of a large library
(ANN / pruned BM25), `floors` carries each signal's minimum over the whole filtered library so
min-max normalisation still spans the same range it would with every case in hand.
"""

from __future__ import annotations

import numpy as np


def minmax(scores: np.ndarray, mask: np.ndarray, floor: float | None = None) -> np.ndarray:
    out = np.zeros_like(scores, dtype=np.float32)
    if not mask.any():
        return out
    sub = scores[mask]
    lo, hi = float(sub.min()), float(sub.max())
    if floor is not None and floor == floor:  # nan = unknown: the candidates' own minimum
        lo = min(lo, float(floor))
    out[mask] = (sub - lo) / (hi - lo) if hi > lo else 0.0
    return out


def ranks(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """1-based rank within the mask (ties broken by position); 0 outside."""
    out = np.zeros(len(scores), dtype=np.int32)
    idx = np.flatnonzero(mask)
    order = idx[np.argsort(-scores[idx], kind="stable")]
    out[order] = np.arange(1, len(order) + 1)
    return out


def top_order(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n highest scores, ties by position: exactly
    `np.argsort(-scores, kind="stable")[:n]`, without sorting the whole array."""
    if len(scores) <= n:
        return np.argsort(-scores, kind="stable")
    kth = np.partition(scores, len(scores) - n)[len(scores) - n]  # the n-th largest value
    cand = np.flatnonzero(scores >= kth)
    return cand[np.argsort(-scores[cand], kind="stable")][:n]


class RankOf:
    """`ranks(scores, mask)[i]` for the few i shown, without ranking every document."""

    def __init__(self, scores: np.ndarray, mask: np.ndarray):
        self.scores, self.mask = scores, mask

    def __getitem__(self, i: int) -> int:
        if not self.mask[i]:
            return 0
        s, v = self.scores, self.scores[i]
        ahead = (s > v) | ((s == v) & (np.arange(len(s)) < i))
        return int((ahead & self.mask).sum()) + 1


def fuse(signals: dict[str, np.ndarray], weights: dict[str, float], mask: np.ndarray,
         method: str = "weighted", rrf_k: int = 60,
         floors: dict[str, float] | None = None) -> np.ndarray:
    """Fused score per document (0 outside the mask). Signals missing from `weights` are ignored."""
    total = np.zeros(len(mask), dtype=np.float32)
    for name, scores in signals.items():
        w = weights.get(name, 0.0)
        if w == 0.0:
            continue
        if method == "rrf":
            r = ranks(scores, mask)
            part = np.where(r > 0, 1.0 / (rrf_k + np.maximum(r, 1)), 0.0)
        elif method == "weighted":
            part = minmax(scores, mask, (floors or {}).get(name))
        else:
            raise ValueError(f"未知的融合方法：{method}（可选 weighted / rrf）")
        total += w * part.astype(np.float32)
    total[~mask] = 0.0
    return total
