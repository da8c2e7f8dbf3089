"""The key terms of a problem statement: the words that say what the problem is about.

A citizen's message is long and most of it is framing (尊敬的领导…恳请解决…). The key terms are
the content words (nouns, verbs, adjectives, idioms by part of speech) that are known words of
the general dictionary (place and company names are not), minus complaint boilerplate
(`data/text/boilerplate.txt`), weighted by how often the message uses them (up to 3 times)
and by how rare they are in general Chinese (jieba's dictionary frequencies, a news corpus):
噪音 or 油烟 weigh far more than 影响 or 生活.
"""

from __future__ import annotations

import math
import os
import re
import threading
from pathlib import Path

from ..text.wordlists import TEXT_DIR, load_stopwords

BOILERPLATE_FILE = "boilerplate.txt"
CONTENT_POS = frozenset({"n", "nz", "vn", "v", "a", "an", "ng", "l", "i", "j", "nt"})
DICT_TOTAL = 60_101_967  # sum of word frequencies in jieba's default dictionary
TF_CAP = 3
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")

_lock = threading.Lock()
_plain = None


def plain_jieba():
    """A segmenter with jieba's default dictionary only (no governance lexicon: its artificial
    frequencies would say nothing about how common a word is). Built once (~0.5 s)."""
    global _plain
    with _lock:
        if _plain is None:
            import rjieba

            _plain = rjieba.Jieba()
        return _plain


def load_boilerplate(directory: Path | None = None) -> frozenset[str]:
    if directory is None:
        env = os.environ.get("ZHILI_TEXT_DIR")
        directory = Path(env) if env and (Path(env) / BOILERPLATE_FILE).is_file() else TEXT_DIR
    path = Path(directory) / BOILERPLATE_FILE
    return load_stopwords(path) if path.is_file() else frozenset()


class KeyTerms:
    """Key terms of a text with their weights."""

    def __init__(self, ignore: frozenset[str] = frozenset()):
        self.ignore = ignore

    def weights(self, text: str, top_n: int = 8) -> dict[str, float]:
        """The `top_n` heaviest key terms of `text` (normalised), heaviest first."""
        jb = plain_jieba()
        tf: dict[str, int] = {}
        for word, pos in jb.tag(text):
            if (len(word) < 2 or pos not in CONTENT_POS or word in self.ignore
                    or not _HAN.match(word) or not jb.has_word(word)):
                continue
            tf[word] = tf.get(word, 0) + 1
        weights = {w: min(n, TF_CAP) * math.log(DICT_TOTAL / (jb.suggest_freq(w) + 1)) for w, n in tf.items()}
        top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]
        return dict(top)
