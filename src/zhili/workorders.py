"""Read a batch of 12345 work orders (工单) for batch recommendation: JSONL or CSV.

Hotline systems export spreadsheets with many columns and Chinese headers, saved by Excel as
UTF-8, UTF-8 with BOM or GBK. We keep only what matching needs — 工单号, 诉求内容, and optional
top / 省份 / 层级 / 领域 / 引领维度 — and ignore the other columns (来电时间, 承办单位 …), so a raw
export works as it is. A bad row does not sink the batch: it comes back as a `RowError` (row,
field, Chinese reason) beside the good orders. Only a file that cannot be read at all (empty,
binary, wrong type, too big, no 工单号/诉求内容 column) raises `WorkOrderFileError`.

Decoding and cell handling reuse `zhili.cases` (same encodings, same formula-apostrophe rule).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .cases import tabular
from .cases.errors import CaseFileError, RowError, validation_messages
from .cases.io import sniff_delimiter, decode_text
from .retrieval.filters import Filters

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 5_000
MAX_TEXT_CHARS = 20_000  # the engine refuses longer problem texts (engine.MAX_QUERY_CHARS)
MAX_ID_CHARS = 64
MAX_TOP = 200
FILTER_FIELDS = ("province", "level", "domain", "leadership")

# Header (or JSON key) → field. Anything else is ignored: hotline exports carry many columns.
ALIASES: dict[str, str] = {
    **dict.fromkeys(("id", "编号", "工单号", "工单编号", "诉求编号", "序号"), "id"),
    **dict.fromkeys(("text", "内容", "诉求内容", "问题描述", "工单内容", "诉求", "问题", "来电内容", "正文"), "text"),
    **dict.fromkeys(("top", "top_k", "返回数量", "返回条数", "案例数"), "top"),
    **dict.fromkeys(("province", "省份", "省", "地区"), "province"),
    **dict.fromkeys(("level", "层级"), "level"),
    **dict.fromkeys(("domain", "领域"), "domain"),
    **dict.fromkeys(("leadership", "引领维度"), "leadership"),
}


def _key(label: str) -> str:
    return re.sub(r"\s+", "", tabular.unescape(label)).lower()


_LOOKUP = {_key(k): v for k, v in ALIASES.items()}


class WorkOrderFileError(CaseFileError):
    """The whole file is unusable; carries the `RowError`s that say why."""

    def _render(self) -> str:
        return super()._render().replace("案例文件", "工单文件", 1)


class WorkOrder(BaseModel):
    """One problem to match: its id, its text, how many cases, and filters for `Engine.recommend`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    top: int | None = Field(default=None, ge=1, le=MAX_TOP)  # None: the row names none (the caller decides)
    filters: dict[str, list[str]] = Field(default_factory=dict)
    row: int | None = None  # JSONL line / CSV row (header = 1), so later errors can point at it


def _file_error(filename: str, reason: str) -> WorkOrderFileError:
    return WorkOrderFileError(filename, [RowError(filename, None, "", reason)])


def _format(filename: str) -> str:
    name = filename.lower().strip()
    suffix = Path(name).suffix
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".xlsx", ".xls", ".et", ".wps"):
        reason = "暂不支持 Excel/WPS 表格，请在 Excel 中“另存为”CSV（UTF-8 或 GBK 均可）后上传"
    else:
        reason = f"无法识别的文件类型“{suffix or filename}”，请上传 .jsonl（每行一个 JSON 对象）或 .csv"
    raise _file_error(filename, reason)


def _decode(data: bytes, filename: str) -> str:
    if len(data) > MAX_BYTES:
        raise _file_error(filename, f"文件过大：超过 {MAX_BYTES // 1024 // 1024} MB 上限，请拆分后分批上传")
    if not data.strip():
        raise _file_error(filename, "文件为空")
    if data.startswith(b"PK\x03\x04"):
        raise _file_error(filename, "这是 Excel(.xlsx) 或压缩文件，不是文本；请在 Excel 中“另存为”CSV 后上传")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _file_error(filename, "不是文本文件（含有二进制内容）；请上传 UTF-8 或 GBK 编码的 .jsonl 或 .csv 文件")
    try:
        return decode_text(Path(filename), data)
    except CaseFileError as exc:  # same reasons, told as a work-order file
        raise WorkOrderFileError(filename, exc.errors) from None


# ---- one record → WorkOrder ------------------------------------------------------------------

def _values(raw: Any) -> list[str]:
    """A filter cell: 'a；b、c' or a JSON list of strings."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return tabular.parse_list(raw.strip())
    if isinstance(raw, list) and all(isinstance(v, str) for v in raw):
        return [v.strip() for v in raw if v.strip()]
    raise ValueError(f"必须是文本或文本列表，收到 {type(raw).__name__}")


def _top(raw: Any) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError("必须是整数")
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"必须是整数，收到“{str(raw)[:20]}”") from None
    if not number.is_integer() or not 1 <= number <= MAX_TOP:
        raise ValueError(f"必须是 1–{MAX_TOP} 的整数，收到“{str(raw)[:20]}”")
    return int(number)


def _order(fields: dict[str, Any], file: str, row: int) -> tuple[WorkOrder | None, list[RowError]]:
    """Validate one record; every problem in it becomes a RowError for this row."""
    errors: list[RowError] = []
    oid, text = fields.get("id"), fields.get("text")
    if isinstance(oid, int) and not isinstance(oid, bool):  # JSON ids are often numbers
        oid = str(oid)
    for name, value in (("id", oid), ("text", text)):
        if not isinstance(value, str):
            errors.append(RowError(file, row, name, "缺少必填字段" if value is None else "必须是文本"))
    if isinstance(text, str) and "\x00" in text:
        errors.append(RowError(file, row, "text", "含有空字符 (NUL)，可能不是文本"))
    filters: dict[str, list[str]] = {}
    for name in FILTER_FIELDS:
        try:
            values = _values(fields.get(name))
            if values:
                Filters.model_validate({name: values})
                filters[name] = values
        except ValidationError as exc:
            errors += [RowError(file, row, name, reason) for _, reason in validation_messages(exc)]
        except ValueError as exc:
            errors.append(RowError(file, row, name, str(exc)))
    try:
        top = _top(fields.get("top"))
    except ValueError as exc:
        errors.append(RowError(file, row, "top", str(exc)))
        top = None
    order = None
    if isinstance(oid, str) and isinstance(text, str):
        try:
            order = WorkOrder(id=oid, text=text, top=top, filters=filters, row=row)
        except ValidationError as exc:
            errors += [RowError(file, row, f, _reason(f, r)) for f, r in validation_messages(exc)]
    return (None, errors) if errors else (order, [])


def _reason(field: str, reason: str) -> str:
    if field == "text" and reason == "不能为空":
        return "诉求内容为空"
    if field == "text" and reason.startswith("过长"):
        return f"诉求内容过长：超过 {MAX_TEXT_CHARS} 字，请精简后再匹配"
    return reason


class _Batch:
    """Good orders and row errors, with duplicate ids and the row cap checked in one place."""

    def __init__(self, filename: str) -> None:
        self.file = filename
        self.orders: list[WorkOrder] = []
        self.errors: list[RowError] = []
        self._rows = 0
        self._seen: dict[str, int] = {}

    def _count(self) -> None:
        self._rows += 1
        if self._rows > MAX_ROWS:
            raise _file_error(self.file, f"行数过多：超过 {MAX_ROWS} 条工单上限，请拆分后分批上传")

    def reject(self, row: int, reason: str) -> None:
        """A row that is not a record at all (bad JSON, too many columns)."""
        self._count()
        self.errors.append(RowError(self.file, row, "", reason))

    def add(self, row: int, fields: dict[str, Any]) -> None:
        self._count()
        order, errors = _order(fields, self.file, row)
        self.errors += errors
        if order is None:
            return
        first = self._seen.setdefault(order.id, row)
        if first != row:
            self.errors.append(RowError(self.file, row, "id", f"工单号“{order.id}”重复（第 {first} 行已出现）"))
            return
        self.orders.append(order)

    def finish(self) -> tuple[list[WorkOrder], list[RowError]]:
        if self._rows == 0:
            raise _file_error(self.file, "文件中没有工单")
        return self.orders, self.errors


# ---- formats ----------------------------------------------------------------------------------

def _read_jsonl(text: str, filename: str) -> tuple[list[WorkOrder], list[RowError]]:
    if text.lstrip().startswith("["):
        raise _file_error(filename, "JSONL 文件应每行一个 JSON 对象 {…}，而不是一个 JSON 数组 […]")
    batch = _Batch(filename)
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            batch.reject(lineno, f"JSON 格式错误（第 {exc.colno} 列附近：{exc.msg}）")
            continue
        except RecursionError:
            batch.reject(lineno, "JSON 嵌套层数过深，不是工单记录")
            continue
        if not isinstance(record, dict):
            batch.reject(lineno, "每行必须是一个 JSON 对象 {…}")
            continue
        fields: dict[str, Any] = {}
        for key, value in record.items():
            name = _LOOKUP.get(_key(str(key)))
            if name and name not in fields:
                fields[name] = value
        batch.add(lineno, fields)
    return batch.finish()


def _header(cells: list[str], filename: str) -> list[str | None]:
    names: list[str | None] = []
    for cell in cells:
        name = _LOOKUP.get(_key(cell))
        names.append(name if name not in names else None)  # a repeated column: first one wins
    missing = [zh for field, zh in (("id", "工单号"), ("text", "诉求内容")) if field not in names]
    if missing:
        shown = "、".join(c.strip() for c in cells if c.strip())[:200] or "（空）"
        raise _file_error(
            filename,
            f"表头缺少“{'”“'.join(missing)}”列（可用列名：工单号/编号/id，诉求内容/问题描述/内容/text）；"
            f"第一行是：{shown}",
        )
    return names


def _read_csv(text: str, filename: str) -> tuple[list[WorkOrder], list[RowError]]:
    batch = _Batch(filename)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text), strict=False)
        header: list[str | None] | None = None
        for rowno, cells in enumerate(reader, start=1):
            if tabular.is_blank(cells):
                continue
            if header is None:
                header = _header(cells, filename)
                continue
            if len(cells) > len(header) and not tabular.is_blank(cells[len(header):]):
                batch.reject(rowno, f"这一行有 {len(cells)} 列，多于表头的 {len(header)} 列（可能有未加引号的逗号）")
                continue
            fields = {name: tabular.cell_text(value) for name, value in zip(header, cells) if name}
            batch.add(rowno, fields)
    except csv.Error as exc:
        raise _file_error(filename, f"CSV 格式错误：{exc}") from None
    return batch.finish()


def read_workorders(data: bytes, filename: str) -> tuple[list[WorkOrder], list[RowError]]:
    """Parse an uploaded batch; the format comes from the file name (.jsonl/.ndjson or .csv/.txt).

    Returns the valid orders in file order and one `RowError` per problem in the other rows.
    Raises `WorkOrderFileError` when the file as a whole cannot be used.
    """
    kind = _format(filename)
    text = _decode(data, filename)
    return (_read_jsonl if kind == "jsonl" else _read_csv)(text, filename)
