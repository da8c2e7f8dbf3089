"""Turn submitted form fields into the library's own types, with Chinese messages on bad input."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from ..cases import Case, case_from_record
from ..cases.errors import field_label, validation_messages
from ..cases.tabular import parse_list, parse_outcomes, parse_year
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
                    "year": 10, "problem": 200_000, "practice": 200_000, "outcomes": 50_000,
                    "mechanisms": 5_000, "actors": 5_000, "source_title": 500, "source_url": 2_000,
                    "source_date": 40}


def case_form_values(form: FormData) -> dict[str, Any]:
    """Raw values as typed, to redisplay the form unchanged after an error."""
    values: dict[str, Any] = {k: text_field(form, k, limit) for k, limit in CASE_TEXT_LIMITS.items()}
    values["domains"] = [v for v in form.getlist("domains") if isinstance(v, str)]
    values["leadership"] = [v for v in form.getlist("leadership") if isinstance(v, str)]
    return values


def case_from_form(values: dict[str, Any]) -> Case:
    """Validate the edit form exactly like a spreadsheet row (same list and outcome syntax)."""
    problems: list[tuple[str, str]] = []
    record: dict[str, Any] = {k: values[k] for k in ("id", "title", "province", "city", "district",
                                                      "level", "problem", "practice")}
    record["domains"], record["leadership"] = values["domains"], values["leadership"]
    record["mechanisms"] = parse_list(values["mechanisms"])
    record["actors"] = parse_list(values["actors"])
    record["source"] = {"title": values["source_title"], "url": values["source_url"],
                        "date": values["source_date"]}
    for name, parse in (("year", parse_year), ("outcomes", parse_outcomes)):
        try:
            record[name] = parse(values[name])
        except ValueError as exc:
            problems.append((field_label(name), str(exc)))
    if problems:
        raise FormError(problems)
    try:
        return case_from_record(record)
    except ValidationError as exc:
        raise FormError([(field_label(f), m) for f, m in validation_messages(exc)]) from None
