"""Before/after of one audit entry, field by field, with changed characters marked."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from ..cases.errors import FIELD_LABELS
from ..cases.tabular import format_list, format_outcomes
from ..cases import Outcome

ORDER = ("id", "title", "province", "city", "district", "level", "year", "problem", "practice",
         "outcomes", "domains", "leadership", "mechanisms", "actors", "source_publisher", "source_title",
         "source_url", "source_date", "source_trust", "status")
LABELS = {**FIELD_LABELS, "status": "状态"}
STATUS_LABELS = {"draft": "草稿", "published": "已发布"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: Markup
    after: Markup


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = json.loads(value)
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    value = dict(value)
    if isinstance(value.get("case"), dict):  # audit snapshot {"status", "case": {...}}
        return {**value["case"], "status": value.get("status", "")}
    return value


def _flat(record: dict[str, Any]) -> dict[str, str]:
    """Every field as the text an editor types in the form (lists joined, outcomes one per line)."""
    out: dict[str, str] = {}
    for key, value in record.items():
        if key == "status":
            out[key] = STATUS_LABELS.get(str(value), str(value or ""))
        elif key == "source" and isinstance(value, dict):
            for sub in ("publisher", "title", "url", "date", "trust"):
                out[f"source_{sub}"] = str(value.get(sub) or "")
        elif key == "outcomes" and isinstance(value, list):
            try:
                out[key] = format_outcomes([Outcome.model_validate(o) for o in value])
            except ValueError:
                out[key] = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, list):
            out[key] = format_list([str(v) for v in value])
        else:
            out[key] = "" if value is None else str(value)
    return out


def _marked(a: str, b: str) -> tuple[Markup, Markup]:
    """Character diff: removed text in <del> on the left, added text in <ins> on the right."""
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            left.append(escape(a[i1:i2]))
            right.append(escape(b[j1:j2]))
            continue
        if i2 > i1:
            left.append(Markup("<del>") + escape(a[i1:i2]) + Markup("</del>"))
        if j2 > j1:
            right.append(Markup("<ins>") + escape(b[j1:j2]) + Markup("</ins>"))
    return Markup("").join(left), Markup("").join(right)


def changes(before: Any, after: Any) -> list[FieldChange]:
    """Changed fields in form order; a created case shows every filled field as added."""
    b, a = _flat(_as_dict(before)), _flat(_as_dict(after))
    keys = [k for k in ORDER if k in a or k in b] + sorted((set(a) | set(b)) - set(ORDER))
    out = []
    for key in keys:
        old, new = b.get(key, ""), a.get(key, "")
        if old == new:
            continue
        left, right = _marked(old, new)
        out.append(FieldChange(key, LABELS.get(key, key), left, right))
    return out
