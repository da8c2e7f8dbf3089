"""A rule set as plain file texts ({"01-classify/classify.json": text, …}) and back to a folder.

Drafts and published versions are stored as such dicts. To check or run one it is written once
into a content-addressed folder under the workspace (`rules-store/<hash>`; never rewritten,
so a folder a RuleSet was loaded from cannot change under it) and compiled; compiled sets are
kept in a small in-process cache because the page lints and tries the same draft many times.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from .. import config
from ..files import replacing_directory
from ..rules.ruleset import RuleSet

_CACHE: OrderedDict[str, RuleSet] = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 8


def read_dir(directory: Path) -> dict[str, str]:
    """Every pack's files (pack folders with a pack.json; hidden files skipped) as texts."""
    files: dict[str, str] = {}
    for sub in sorted(p for p in Path(directory).iterdir() if p.is_dir()):
        if sub.name.startswith((".", "_")) or not (sub / "pack.json").is_file():
            continue
        for path in sorted(p for p in sub.iterdir() if p.is_file() and not p.name.startswith(".")):
            try:
                files[f"{sub.name}/{path.name}"] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise ValueError(f"规则文件不是 UTF-8 文本：{path}") from None
    return files


def write_dir(files: dict[str, str], directory: Path) -> Path:
    """Replace `directory` with exactly `files` (readers see the old folder or the new one)."""
    with replacing_directory(Path(directory)) as tmp:
        _fill(tmp, files)
    return Path(directory)


def _fill(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        pack, _, name = rel.partition("/")
        if not pack or not name or "/" in name or pack in (".", "..") or name in (".", ".."):
            raise ValueError(f"规则文件路径“{rel}”无效")
        (root / pack).mkdir(exist_ok=True)
        (root / pack / name).write_text(text, encoding="utf-8")


def files_hash(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + files[rel].encode("utf-8") + b"\0")
    return digest.hexdigest()[:20]


def store_root() -> Path:
    return config.home() / "rules-store"


def materialize(files: dict[str, str]) -> Path:
    """The content-addressed folder holding `files` (written once, then reused)."""
    target = store_root() / files_hash(files)
    if not target.is_dir():
        try:
            with replacing_directory(target) as tmp:
                _fill(tmp, files)
        except OSError:
            if not target.is_dir():  # another process may have written the same content
                raise
    return target


def load_files(files: dict[str, str]) -> RuleSet:
    """The checked, compiled rule set of `files` (RuleCheckError with locations when broken)."""
    key = files_hash(files)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit.directory.is_dir():
            _CACHE.move_to_end(key)
            return hit
    rules = RuleSet.load(materialize(files))
    with _CACHE_LOCK:
        _CACHE[key] = rules
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return rules
