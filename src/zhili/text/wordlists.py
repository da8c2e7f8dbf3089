"""Loading the editable word lists, with errors that name the file and line."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..config import DATA_DIR

TEXT_DIR = DATA_DIR / "text"


class WordListError(ValueError):
    """A word-list file is malformed; the message names file and line."""


def _lines(path: Path) -> list[tuple[int, str]]:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WordListError(f"{path}: 不是 UTF-8 编码的文本文件（{exc.reason}）") from exc
    return [(n, line.strip()) for n, line in enumerate(raw.splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")]


def load_lexicon(path: Path) -> dict[str, int]:
    """`term [freq]` per line → {term: freq}."""
    out: dict[str, int] = {}
    for n, line in _lines(path):
        parts = line.split()
        if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
            raise WordListError(f"{path}:{n}: 应为“词 [词频]”，收到“{line}”")
        out[parts[0]] = int(parts[1]) if len(parts) == 2 else 20000
    return out


def load_synonyms(path: Path) -> dict[str, str]:
    """`variant<TAB>canonical` per line → {variant: canonical}."""
    out: dict[str, str] = {}
    for n, line in _lines(path):
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise WordListError(f"{path}:{n}: 应为“口语说法<TAB>规范说法”，收到“{line}”")
        out[parts[0].strip().lower()] = " ".join(parts[1].split())
    return out


def load_stopwords(path: Path) -> frozenset[str]:
    return frozenset(line for _, line in _lines(path))


@dataclass(frozen=True)
class WordLists:
    """The three lists, plus a fingerprint so indexes rebuild when an editor changes them."""

    lexicon: dict[str, int]
    synonyms: dict[str, str]
    stopwords: frozenset[str]
    fingerprint: str

    @classmethod
    def load(cls, directory: Path | None = None) -> "WordLists":
        """From `directory`, else $ZHILI_TEXT_DIR (a deployment's own lists), else the bundled ones."""
        directory = directory or Path(os.environ.get("ZHILI_TEXT_DIR") or TEXT_DIR)
        files = [directory / "lexicon.txt", directory / "synonyms.tsv", directory / "stopwords.txt"]
        digest = hashlib.sha256()
        for f in files:
            if not f.is_file():
                raise WordListError(f"缺少词表文件：{f}")
            digest.update(f.read_bytes())
        return cls(load_lexicon(files[0]), load_synonyms(files[1]), load_stopwords(files[2]),
                   digest.hexdigest()[:16])
