"""Turn submitted form fields into the library's own types, with Chinese messages on bad input."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from ..cases import Case, case_from_record
from ..cases.errors import field_label, validation_messages
from ..cases.model import ID_PATTERN
from ..cases.tabular import REQUIRED, parse_list, parse_year
from ..retrieval.filters import Filters

FILTER_FIELDS = ("province", "level", "domain", "leadership")
YEAR_FIELDS = {"year_from": "起始年份", "year_to": "截止年份"}
SEARCH_FIELDS = (*FILTER_FIELDS, *YEAR_FIELDS)
TOP_CHOICES = (10, 20, 50)
DEFAULT_TOP = 10
MAX_QUERY = 20_000


class FormError(ValueError):
    """A form could not be used; `problems` are (field label, reason) pairs to show beside it."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(f"{f}：{r}" if f else r for f, r in problems))


def text_field(form: FormData, name: str, limit: int = 1000) -> str:
    """A single text field, stripped; uploads or oversized values are rejected, not truncated."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise FormError([(name, "应为文本，收到了文件")])
    value = value.strip()
    if len(value) > limit:
        raise FormError([(name, f"过长：{len(value)} 个字符，上限 {limit}")])
    return value


def int_param(raw: str | None, default: int) -> int:
    """A page number or period from the query string; junk means the default, not an error page."""
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def search_values(form: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """The problem text and the one-value-per-filter dict the form shows back (a posted form or
    the search URL's query parameters)."""
    q = text_field(form, "q", MAX_QUERY)
    chosen = {k: text_field(form, k, 50) for k in SEARCH_FIELDS}
    for k in YEAR_FIELDS:  # "２０１８年" → "2018" (what the link and the box show); junk stays for the error
        year = _year_text(chosen[k])
        chosen[k] = year if re.fullmatch(r"\d{4}", year) else chosen[k]
    return q, {k: v for k, v in chosen.items() if v}


def _year_text(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().removesuffix("年").strip()


def year_value(raw: str, label: str) -> int:
    """A four-digit year as typed (full-width digits too), 1900–2100."""
    value = _year_text(raw)
    if not re.fullmatch(r"\d{4}", value) or not 1900 <= int(value) <= 2100:
        raise FormError([(label, f"应为 1900–2100 之间的四位年份（例如 2020），收到“{raw}”")])
    return int(value)


def filters_of(chosen: dict[str, str]) -> Filters:
    years = {k: year_value(chosen[k], label) for k, label in YEAR_FIELDS.items() if chosen.get(k)}
    try:
        return Filters(**{k: [chosen[k]] for k in FILTER_FIELDS if chosen.get(k)}, **years)
    except ValidationError as exc:
        raise FormError([("筛选条件", m) for _, m in validation_messages(exc)]) from None


def top_of(raw: Any) -> int:
    """How many cases to show (`top` in the URL or form): one of TOP_CHOICES, else the default."""
    value = int_param(raw if isinstance(raw, str) else None, DEFAULT_TOP)
    return value if value in TOP_CHOICES else DEFAULT_TOP


CASE_TEXT_LIMITS = {"id": 64, "title": 500, "province": 50, "city": 50, "district": 50, "level": 20,
                    "year": 10, "problem": 200_000, "practice": 200_000,
                    "mechanisms": 5_000, "actors": 5_000, "source_title": 500, "source_url": 2_000,
                    "source_date": 40, "source_publisher": 200, "source_trust": 20}
REQUIRED_FIELDS = frozenset(REQUIRED)
"""What the form marks with * and aria-required: exactly what the model needs to save a case
(publishing asks nothing more of its content)."""
ID_HINT = "编号只能用字母、数字和 _ . : -，以字母或数字开头，不超过64个字符，如“case-0224”"
ID_HTML_PATTERN = ID_PATTERN.pattern.removeprefix("^").removesuffix("$")
OUTCOME_PARTS = {"metric": ("指标", 200), "value": ("数值", 40), "unit": ("单位", 40), "text": ("说明", 5_000)}
MAX_OUTCOMES = 100  # filled rows of one case
SPARE_OUTCOME_ROWS = 2  # empty rows under the filled ones, so the form works without JavaScript
MIN_OUTCOME_ROWS = 3


def outcome_rows(form: FormData) -> list[dict[str, str]]:
    """The 成效 rows as typed (outcome_metric/outcome_value/outcome_unit/outcome_text, one value per
    row, in order), empty rows at the end dropped; empty rows in between stay, so a message's
    row number is the row the editor sees."""
    columns = {k: form.getlist(f"outcome_{k}") for k in OUTCOME_PARTS}
    count = max(len(v) for v in columns.values())
    rows = []
    for i in range(count):
        row = {}
        for key, (label, limit) in OUTCOME_PARTS.items():
            raw = columns[key][i] if i < len(columns[key]) else ""
            if not isinstance(raw, str):
                raise FormError([("成效", f"第 {i + 1} 行的{label}应为文本，收到了文件")])
            raw = raw.strip()
            if len(raw) > limit:
                raise FormError([("成效", f"第 {i + 1} 行的{label}过长：{len(raw)} 个字符，上限 {limit}")])
            row[key] = raw
        rows.append(row)
    while rows and not any(rows[-1].values()):
        rows.pop()
    if sum(1 for r in rows if any(r.values())) > MAX_OUTCOMES or len(rows) > 2 * MAX_OUTCOMES:
        raise FormError([("成效", f"最多 {MAX_OUTCOMES} 条")])
    return rows


def outcome_value(raw: str, n: int) -> float | None:
    """A row's 数值: '95', '1,200', '０.５' (full width) → a finite number; '' → None."""
    text = unicodedata.normalize("NFKC", raw).replace(",", "").replace("，", "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"第 {n} 行的数值“{raw}”不是数字；单位（如 %、户、万元）请填在“单位”栏") from None
    if not math.isfinite(number):
        raise ValueError(f"第 {n} 行的数值“{raw}”不是有限的数字，请填写具体数值")
    return number


def format_value(value: float | None) -> str:
    """A stored 数值 as the form shows it: 95 rather than 95.0."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def case_form_values(form: FormData) -> dict[str, Any]:
    """Raw values as typed, to redisplay the form unchanged after an error."""
    values: dict[str, Any] = {k: text_field(form, k, limit) for k, limit in CASE_TEXT_LIMITS.items()}
    values["domains"] = [v for v in form.getlist("domains") if isinstance(v, str)]
    values["leadership"] = [v for v in form.getlist("leadership") if isinstance(v, str)]
    values["outcomes"] = outcome_rows(form)
    return values


def case_from_form(values: dict[str, Any]) -> Case:
    """Validate the edit form like a spreadsheet row: same list syntax, same model; 成效 come as rows."""
    problems: list[tuple[str, str]] = []
    if values["id"] and not ID_PATTERN.match(values["id"]):
        problems.append((field_label("id"), f"“{values['id']}”不可用：{ID_HINT}"))
    record: dict[str, Any] = {k: values[k] for k in ("id", "title", "province", "city", "district",
                                                      "level", "problem", "practice")}
    record["domains"], record["leadership"] = values["domains"], values["leadership"]
    record["mechanisms"] = parse_list(values["mechanisms"])
    record["actors"] = parse_list(values["actors"])
    record["source"] = {"publisher": values.get("source_publisher", ""), "title": values["source_title"],
                        "url": values["source_url"], "date": values["source_date"],
                        "trust": values.get("source_trust", "")}
    try:
        record["year"] = parse_year(values["year"])
    except ValueError as exc:
        problems.append((field_label("year"), str(exc)))
    record["outcomes"], positions = [], []  # positions: the form row of each outcome
    for n, row in enumerate(values["outcomes"], 1):
        if not any(row.values()):
            continue
        try:
            record["outcomes"].append({**row, "value": outcome_value(row["value"], n)})
            positions.append(n)
        except ValueError as exc:
            problems.append((field_label("outcomes"), str(exc)))
    if problems:
        raise FormError(problems)
    try:
        return case_from_record(record)
    except ValidationError as exc:
        raise FormError([(_form_label(f, positions), m) for f, m in validation_messages(exc)]) from None


def _form_label(field: str, positions: list[int]) -> str:
    """'outcomes[1].value' → '成效第 3 行' (the row as the form shows it); other fields as
    `field_label` names them."""
    m = re.match(r"outcomes\[(\d+)\]", field)
    if m is None:
        return field_label(field)
    index = int(m.group(1))
    return f"成效第 {positions[index] if index < len(positions) else index + 1} 行"
