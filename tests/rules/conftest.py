"""Rule-pack fixtures: the bundled packs, and editable copies of them under tmp_path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

from rules_helpers import BUNDLED_RULES
from zhili.rules import RuleSet


@pytest.fixture(scope="session")
def bundled_rules() -> RuleSet:
    return RuleSet.load(BUNDLED_RULES)


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled rule packs."""
    dest = tmp_path / "rules"
    shutil.copytree(BUNDLED_RULES, dest)
    return dest


def _graph_path(root: Path, pack: str) -> Path:
    meta = json.loads((root / pack / "pack.json").read_text(encoding="utf-8"))
    return root / pack / meta["graph"]


@pytest.fixture
def edit_table() -> Callable[..., Path]:
    """edit_table(root, pack, table_name, fn): apply fn(content) to one decision table's content."""

    def edit(root: Path, pack: str, table: str, fn: Callable[[dict[str, Any]], None]) -> Path:
        path = _graph_path(root, pack)
        graph = json.loads(path.read_text(encoding="utf-8"))
        node = next(n for n in graph["nodes"] if n.get("name") == table)
        fn(node["content"])
        path.write_text(json.dumps(graph, ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    return edit

