"""Helpers shared by the rule tests (plain functions; fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

from zhili.config import DATA_DIR

BUNDLED_RULES = (DATA_DIR / "rules").resolve()


def row(content: dict[str, Any], row_id: str) -> dict[str, Any]:
    """One rule row of a decision table's content, by _id."""
    return next(r for r in content["rules"] if r["_id"] == row_id)


def column_id(content: dict[str, Any], name: str) -> str:
    """A column id by its display name (inputs or outputs)."""
    return next(c["id"] for c in content["inputs"] + content["outputs"] if c["name"] == name)
