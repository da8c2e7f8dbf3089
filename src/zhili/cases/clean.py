"""What a case may contain: finite numbers and printable text.

Two kinds of junk break things long after an import: Infinity/NaN (JSON cannot carry them, so
every answer that shows the case would fail) and control characters pasted from other programs
(Excel/XML refuses them, so the library could no longer be exported). Both are refused at the
door; values already stored are tolerated on reading (see `Case` with `STORED`).
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from .errors import FIELD_LABELS

MULTILINE = "\t\n\r"  # allowed in fields that hold several lines (problem, practice, outcome text)
_NONCHARACTERS = ("\ufffe", "\uffff")


def bad_char(text: str, multiline: bool) -> str | None:
    """The first character a case must not carry (control, lone surrogate, non-character)."""
    for ch in text:
        if ch in _NONCHARACTERS:
            return ch
        if unicodedata.category(ch) in ("Cc", "Cs") and not (multiline and ch in MULTILINE):
            return ch
    return None


def describe(ch: str) -> str:
    """'\\x07' → 'U+0007'; names the usual suspects so an editor knows what to look for."""
    names = {"\t": "制表符 Tab", "\n": "换行符", "\r": "回车符", "\x0b": "垂直制表符", "\x0c": "换页符",
             "\x1b": "ESC", "\x7f": "DEL"}
    code = f"U+{ord(ch):04X}"
    return f"{code}（{names[ch]}）" if ch in names else code


def char_problem(value: Any, multiline: bool, multiline_keys: tuple[str, ...] = ()) -> str | None:
    """A Chinese reason when `value` (text, list or dict of them) holds a forbidden character.

    `multiline_keys` are dict keys whose text may span lines (an outcome's `text`)."""
    if isinstance(value, str):  # a one-line field is stripped later: an edge "\n" is no fault
        ch = bad_char(value if multiline else value.strip(), multiline)
        if ch is None:
            return None
        if ch in MULTILINE:
            return f"含有{describe(ch)}：此字段只能是一行文字"
        return f"含有不可见的控制字符 {describe(ch)}（常由复制粘贴带入），请删除后重试"
    if isinstance(value, dict):
        for key, item in value.items():
            found = char_problem(item, multiline or key in multiline_keys)
            if found:
                return f"{FIELD_LABELS.get(key, key)}{found}" if isinstance(key, str) else found
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value, start=1):
            found = char_problem(item, multiline, multiline_keys)
            if found:
                return f"第 {i} 项{found}"
    return None


def finite_problem(value: Any) -> str | None:
    """A Chinese reason when a number is Infinity/NaN (or overflowed to it, e.g. 1e999)."""
    if isinstance(value, float) and not math.isfinite(value):
        shown = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return f"必须是有限的数字，收到 {shown}（可能写成了 NaN/Infinity 或数值超出范围）"
    return None
