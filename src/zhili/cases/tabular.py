"""One case per spreadsheet row: columns, cell encoding and formula-injection escaping.

Shared by CSV and xlsx so both behave the same for an Excel user:
- header row of field names, English (`province`) or Chinese (`省份`);
- list fields in one cell joined with the 顿号 "、", as the pages show them (input also accepts
  ， , ； ; and line breaks; `LIST_HINT` says so, the same words on every form and in the template);
- outcomes one per line as `指标|数值|单位|说明` (a line without "|" is a plain 说明);
  cells that this form could not carry exactly are written as a JSON array instead;
- source as five columns 来源单位/来源标题/来源链接/来源日期/来源可信度 (older files have the
  middle three only);
- text cells that a spreadsheet would run as a formula (= + - @ tab CR) get a leading
  apostrophe on export (OWASP CSV-injection advice); the reader removes it again.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .model import Case, Outcome

# Export order; the Chinese header is what an exported file shows.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "编号"),
    ("title", "标题"),
    ("province", "省份"),
    ("city", "城市"),
    ("district", "区县"),
    ("level", "层级"),
    ("year", "年份"),
    ("problem", "问题"),
    ("practice", "做法"),
    ("outcomes", "成效"),
    ("domains", "领域"),
    ("leadership", "引领维度"),
    ("mechanisms", "机制"),
    ("actors", "主体"),
    ("source_publisher", "来源单位"),
    ("source_title", "来源标题"),
    ("source_url", "来源链接"),
    ("source_date", "来源日期"),
    ("source_trust", "来源可信度"),
)
LIST_FIELDS = ("domains", "leadership", "mechanisms", "actors")
SOURCE_FIELDS = {"source_publisher": "publisher", "source_title": "title", "source_url": "url",
                 "source_date": "date", "source_trust": "trust"}
"""Files written before 来源单位/来源可信度 existed lack those columns and still import (the
trust is then filled from the publisher list)."""
_EXTRA_ALIASES = {
    "text": "text", "正文": "text", "文本": "text",
    "案例编号": "id", "做法名称": "title", "名称": "title",
    "省": "province", "市": "city", "区/县": "district", "区": "district", "县": "district",
    "source.title": "source_title", "source.url": "source_url", "source.date": "source_date",
    "source.publisher": "source_publisher", "source.trust": "source_trust",
    "发布单位": "source_publisher", "来源发布单位": "source_publisher", "发布者": "source_publisher",
    "可信度": "source_trust",
    "来源": "source_title", "链接": "source_url", "网址": "source_url", "日期": "source_date",
}
ALIASES: dict[str, str] = {
    **{name: name for name, _ in COLUMNS},
    **{zh: name for name, zh in COLUMNS},
    **_EXTRA_ALIASES,
}
LIST_SPLIT = re.compile(r"[；;、,，\r\n]+")
LIST_JOIN = "、"
LIST_HINT = "多项用顿号“、”分隔（也可用逗号、分号或换行）"
"""The one way every form, the import page and the spreadsheet template describe list fields."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


REQUIRED = tuple(name for name, f in Case.model_fields.items() if f.is_required())
"""Fields a case cannot be saved without (the model's own rule): ("id", "title")."""


def _norm_header(raw: Any) -> str:
    """Spaces and a required-field star ("编号 *", as the template marks it) do not matter."""
    return re.sub(r"[\s*＊]+", "", str(raw if raw is not None else "")).lower()


_ALIAS_LOOKUP = {_norm_header(k): v for k, v in ALIASES.items()}


@dataclass
class Header:
    """Column index → field name, plus the problems found in the header row."""

    fields: list[str | None]
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def minimal(self) -> bool:
        return "text" in self.fields


def parse_header(cells: list[Any]) -> Header:
    """Map header cells to field names; unknown or repeated columns are errors, blanks are ignored."""
    fields: list[str | None] = []
    seen: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for raw in cells:
        label = str(raw).strip() if raw is not None else ""
        if not label:
            fields.append(None)
            continue
        name = _ALIAS_LOOKUP.get(_norm_header(unescape(label)))
        if name is None:
            problems.append((label, f"未知列名“{label}”；可用列名：{'、'.join(zh for _, zh in COLUMNS)}"))
        elif name in seen:
            problems.append((name, f"列“{label}”与列“{seen[name]}”重复"))
            name = None
        else:
            seen[name] = label
        fields.append(name)
    present = set(seen)
    if "id" not in present:
        problems.append(("id", "表头缺少“编号”(id) 列"))
    if "text" in present:
        extra = present - {"id", "title", "text"}
        if extra:
            problems.append(("text", f"含“正文”(text) 列的简化表格只允许 编号/标题/正文 三列，多出：{'、'.join(sorted(extra))}"))
    elif "title" not in present:
        problems.append(("title", "表头缺少“标题”(title) 列"))
    return Header(fields, problems)


def header_row(lang: str = "zh", *, starred: bool = False) -> list[str]:
    """Header cells for export: Chinese labels (default) or English field names; `starred` marks
    the required ones with " *" (the import template; the reader ignores the star)."""
    return [(zh if lang == "zh" else name) + (" *" if starred and name in REQUIRED else "")
            for name, zh in COLUMNS]


# ---- formula-injection escaping --------------------------------------------------------------

def escape(text: str) -> str:
    """Prefix an apostrophe where a spreadsheet would see a formula (or our own escape)."""
    if text.startswith(FORMULA_START) or unescape(text) != text:
        return "'" + text
    return text


def unescape(text: str) -> str:
    """Inverse of `escape`: drop the apostrophe only where `escape` would have added it."""
    if len(text) > 1 and text[0] == "'" and (text[1] in FORMULA_START or text[1] == "'"):
        return text[1:]
    return text


# ---- cell values -----------------------------------------------------------------------------

def cell_text(value: Any) -> str:
    """Spreadsheet value → stripped text (xlsx gives numbers and dates, CSV gives text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return unescape(str(value).strip())


def parse_year(text: str) -> int | None:
    """'2023', '2023.0', '2023年' → 2023; '' → None; anything else raises ValueError."""
    t = text.strip().removesuffix("年").strip()
    if not t:
        return None
    try:
        number = float(t)
    except ValueError:
        raise ValueError(f"年份必须是整数（如 2023），收到“{text}”") from None
    if not number.is_integer():
        raise ValueError(f"年份必须是整数（如 2023），收到“{text}”")
    return int(number)


def parse_list(text: str) -> list[str]:
    """'a；b、c' → ['a','b','c']; a JSON array cell (written for awkward items) is read as JSON."""
    if text.startswith("["):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, list) and all(isinstance(x, str) for x in data):
            return data
    return [part.strip() for part in LIST_SPLIT.split(text) if part.strip()]


def format_list(items: list[str]) -> str:
    joined = LIST_JOIN.join(items)
    return joined if parse_list(joined) == items else json.dumps(items, ensure_ascii=False)


def _parse_value(raw: str, n: int) -> float | None:
    t = raw.strip().replace(",", "").replace("，", "")
    if not t:
        return None
    try:
        number = float(t)
    except ValueError:
        raise ValueError(f"第 {n} 条成效的数值“{raw.strip()}”不是数字（单位请写在第三段：指标|数值|单位|说明）") from None
    if not math.isfinite(number):
        raise ValueError(f"第 {n} 条成效的数值“{raw.strip()}”不是有限数字")
    return number


def parse_outcomes(text: str) -> list[dict[str, Any]]:
    """One outcome per line `指标|数值|单位|说明`; a JSON array cell is read as JSON."""
    if text.startswith("["):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, list):
            return data
    out: list[dict[str, Any]] = []
    for n, line in enumerate(l for l in text.splitlines() if l.strip()):
        sep = "|" if "|" in line else "｜"
        parts = [p.strip() for p in line.split(sep, 3)]
        if len(parts) == 1:
            out.append({"metric": "", "value": None, "unit": "", "text": parts[0]})
            continue
        parts += [""] * (4 - len(parts))
        out.append({"metric": parts[0], "value": _parse_value(parts[1], n + 1), "unit": parts[2], "text": parts[3]})
    return out


def _format_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def format_outcomes(outcomes: list[Outcome]) -> str:
    """Readable lines when they read back identically, else a JSON array."""
    dumped = [o.model_dump(mode="json") for o in outcomes]
    lines = "\n".join(f"{o.metric}|{_format_number(o.value)}|{o.unit}|{o.text}" for o in outcomes)
    try:
        same = [Outcome.model_validate(d) for d in parse_outcomes(lines)] == list(outcomes)
    except ValueError:
        same = False
    return lines if same else json.dumps(dumped, ensure_ascii=False)


# ---- rows <-> records ------------------------------------------------------------------------

def row_to_record(header: Header, cells: list[Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Build a case record from one row; returns (record, [(field, reason)]) for cell-level problems."""
    texts: dict[str, str] = {}
    for name, value in zip(header.fields, cells):
        if name is not None:
            texts[name] = cell_text(value)
    if header.minimal:
        rec: dict[str, Any] = {"id": texts.get("id", ""), "text": texts.get("text", "")}
        if texts.get("title"):
            rec["title"] = texts["title"]
        return rec, []
    problems: list[tuple[str, str]] = []
    record: dict[str, Any] = {}
    source: dict[str, str] = {}
    for name, text in texts.items():
        try:
            if name in SOURCE_FIELDS:
                source[SOURCE_FIELDS[name]] = text
            elif name in LIST_FIELDS:
                record[name] = parse_list(text)
            elif name == "outcomes":
                record[name] = parse_outcomes(text)
            elif name == "year":
                record[name] = parse_year(text)
            else:
                record[name] = text
        except ValueError as exc:
            problems.append((name, str(exc)))
    if source:
        record["source"] = source
    return record, problems


def case_to_row(case: Case) -> list[Any]:
    """Cells in `COLUMNS` order; text cells escaped against formula injection, year stays a number."""
    values: dict[str, Any] = case.model_dump(exclude={"outcomes", "source", *LIST_FIELDS})
    values.update({name: format_list(getattr(case, name)) for name in LIST_FIELDS})
    values["outcomes"] = format_outcomes(case.outcomes)
    values.update({col: getattr(case.source, attr) for col, attr in SOURCE_FIELDS.items()})
    row: list[Any] = []
    for name, _ in COLUMNS:
        v = values[name]
        row.append(escape(v) if isinstance(v, str) else v)
    return row


def is_blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)
