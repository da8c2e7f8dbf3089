"""Row-level errors for case files.

An administrator fixing a spreadsheet wants every problem at once, each pointing at a row and a
column, in Chinese — not a Python traceback about the first one. Readers collect `RowError`s and
raise a single `CaseFileError` at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

FIELD_LABELS: dict[str, str] = {
    "id": "编号",
    "title": "标题",
    "province": "省份",
    "city": "城市",
    "district": "区县",
    "level": "层级",
    "year": "年份",
    "problem": "问题",
    "practice": "做法",
    "outcomes": "成效",
    "domains": "领域",
    "leadership": "引领维度",
    "mechanisms": "机制",
    "actors": "主体",
    "source": "来源",
    "source_title": "来源标题",
    "source_url": "来源链接",
    "source_date": "来源日期",
    "source_publisher": "来源单位",
    "source_trust": "来源可信度",
    "text": "正文",
    "metric": "指标",
    "value": "数值",
    "unit": "单位",
}
SHOWN_IN_STR = 50  # str() of a CaseFileError lists this many; `.errors` keeps all


def field_label(field: str) -> str:
    """'year' → '年份(year)'; nested paths such as 'outcomes[0].value' keep their tail."""
    if not field:
        return ""
    head = field.split("[", 1)[0].split(".", 1)[0]
    label = FIELD_LABELS.get(head)
    return f"{label}({field})" if label else field


@dataclass(frozen=True)
class RowError:
    """One problem in one row. `row` is the JSONL line / spreadsheet row (header = 1); None = whole file."""

    file: str
    row: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row is not None else "文件"
        label = field_label(self.field)
        return f"{where}{f' [{label}]' if label else ''}：{self.reason}"


class CaseFileError(ValueError):
    """A case file could not be read cleanly; carries every `RowError` found."""

    def __init__(self, path: str, errors: list[RowError]) -> None:
        self.path = path
        self.errors = list(errors)
        super().__init__(self._render())

    def _render(self) -> str:
        lines = [f"案例文件 {self.path} 有 {len(self.errors)} 处错误："]
        lines += [f"  {e}" for e in self.errors[:SHOWN_IN_STR]]
        if len(self.errors) > SHOWN_IN_STR:
            lines.append(f"  ……另有 {len(self.errors) - SHOWN_IN_STR} 处错误未列出")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _reason(err: dict[str, Any]) -> str:
    """Chinese text for one pydantic error; our own validators already speak Chinese."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    got = err.get("input")
    if kind == "value_error":
        return str(ctx.get("error") or err.get("msg", "")).removeprefix("Value error, ")
    if kind == "missing":
        return "缺少必填字段"
    if kind == "extra_forbidden":
        return "未知字段（不在案例字段表中）"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "string_too_long":
        return f"过长：超过 {ctx.get('max_length')} 个字符"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"必须是整数，收到“{_short(got)}”"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"必须是数字，收到“{_short(got)}”"
    if kind == "string_type":
        return f"必须是文本，收到 {type(got).__name__}"
    if kind == "list_type":
        return f"必须是列表，收到 {type(got).__name__}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"必须是对象（字典），收到 {type(got).__name__}"
    return f"格式不正确：{err.get('msg', kind)}"


def validation_messages(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, Chinese reason) for each problem pydantic found."""
    return [(_loc_to_field(tuple(e.get("loc", ()))), _reason(e)) for e in exc.errors()]
