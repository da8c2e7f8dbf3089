"""Turn submitted form fields into the library's own types, with Chinese messages on bad input."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from ..cases import Case, case_from_record
from ..cases.errors import field_label, validation_messages
from ..cases.tabular import parse_list, parse_outcomes, parse_year
from ..retrieval.filters import Filters

FILTER_FIELDS = ("province", "level", "domain", "leadership")
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


def search_values(form: FormData) -> tuple[str, dict[str, str]]:
    """The problem text and the one-value-per-filter dict the form shows back."""
    q = text_field(form, "q", MAX_QUERY)
    chosen = {k: text_field(form, k, 50) for k in FILTER_FIELDS}
    return q, {k: v for k, v in chosen.items() if v}


def filters_of(chosen: dict[str, str]) -> Filters:
    try:
        return Filters(**{k: [v] for k, v in chosen.items()})
    except ValidationError as exc:
        raise FormError([("筛选条件", m) for _, m in validation_messages(exc)]) from None


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
