"""Problem topics (噪声扰民, 物业服务, 供水 …): which ones a text talks about.

The list (`data/text/topics.tsv`, editable like the other word lists) follows the usual 12345 /
网络问政 complaint categories and says nothing about the case library: whether the library covers
a topic is read off the cases themselves, by the same matching. Matching is by keyword, longest
first and without overlaps, so 加装电梯 counts once for 加装电梯 and not again for a shorter
keyword inside it.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from ..text.wordlists import TEXT_DIR, WordListError, _lines

TOPICS_FILE = "topics.tsv"
_SPACE = re.compile(r"\s+")


def load_topics(path: Path) -> dict[str, list[str]]:
    """`topic<TAB>keyword keyword …` per line → {topic: [keywords]}; errors name file and line."""
    out: dict[str, list[str]] = {}
    for n, line in _lines(path):
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].split():
            raise WordListError(f"{path}:{n}: 应为“主题名<TAB>关键词 关键词 …”，收到“{line}”")
        out.setdefault(parts[0].strip(), []).extend(parts[1].split())
    return out


class TopicLexicon:
    """Counts topic keywords in a text (normalised text; spaces are ignored)."""

    def __init__(self, topics: dict[str, list[str]]):
        self.topics = topics
        self._topic_of: dict[str, str] = {}
        for topic, words in topics.items():
            for w in words:
                self._topic_of.setdefault(w.lower(), topic)  # the first topic listing a word keeps it
        words = sorted(self._topic_of, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, words))) if words else None

    @classmethod
    def load(cls, directory: Path | None = None) -> "TopicLexicon":
        """From `directory`, else $ZHILI_TEXT_DIR when it has a topics.tsv, else the bundled list."""
        if directory is None:
            env = os.environ.get("ZHILI_TEXT_DIR")
            directory = Path(env) if env and (Path(env) / TOPICS_FILE).is_file() else TEXT_DIR
        path = Path(directory) / TOPICS_FILE
        if not path.is_file():
            raise WordListError(f"缺少词表文件：{path}")
        return cls(load_topics(path))

    def count(self, text: str) -> Counter[str]:
        """Keyword occurrences per topic."""
        out: Counter[str] = Counter()
        if self._pattern is None or not text:
            return out
        for m in self._pattern.finditer(_SPACE.sub("", text.lower())):
            out[self._topic_of[m.group(0)]] += 1
        return out

    def keywords(self, text: str) -> list[str]:
        """The keywords found, in order of first appearance (for explanations)."""
        if self._pattern is None:
            return []
        return list(dict.fromkeys(m.group(0) for m in self._pattern.finditer(_SPACE.sub("", text.lower()))))


def dominant(counts: Counter[str] | dict[str, int], share: float) -> set[str]:
    """Topics holding at least `share` of the keyword count (the most frequent one always)."""
    if not counts:
        return set()
    total, top = sum(counts.values()), max(counts.values())
    return {t for t, n in counts.items() if n >= min(share * total, top)}
