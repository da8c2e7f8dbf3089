"""Read and write case files: JSONL (optionally gzipped), CSV and Excel .xlsx.

Reading validates every record and collects every problem (see `errors`); nothing partial is
ever returned. Writing goes through a temporary file and a rename, so an interrupted export never
leaves a half-written file where a good one was. Spreadsheet layout: see `tabular`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from . import tabular
from .errors import CaseFileError, RowError, validation_messages
from .model import DOMAINS, LEADERSHIP, LEVELS, Case, Outcome, Source, case_from_record, publish_problems
from .xlsx_guard import zip_problem

log = logging.getLogger(__name__)
MAX_BYTES = 200 * 1024 * 1024  # per file, after decompression
MAX_ROWS = 100_000
XLSX_UNPACK_FACTOR = 5  # xlsx is zipped XML: allow this much inflation over MAX_BYTES
MAX_ERRORS = 1_000  # stop collecting after this many; a wholly wrong file says so quickly
EXCEL_CELL_LIMIT = 32_767
FORMATS = ("jsonl", "csv", "xlsx")
SHEET_NAME = "案例"

Progress = Callable[[int, int], None]
"""Called as progress(done, total) while reading; units are bytes (JSONL/CSV) or rows (xlsx)."""


def detect_format(path: Path, fmt: str | None = None) -> str:
    """Format from `fmt` or the suffix; raises CaseFileError for .xls and unknown suffixes."""
    if fmt:
        f = fmt.lower().lstrip(".").removesuffix(".gz")
        if f in ("json", "ndjson"):
            f = "jsonl"
        if f not in FORMATS:
            raise CaseFileError(str(path), [RowError(str(path), None, "", f"不支持的格式“{fmt}”，可用：jsonl、csv、xlsx")])
        return f
    name = path.name.lower().removesuffix(".gz")
    suffix = Path(name).suffix
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".xlsx"):
        return suffix[1:]
    if suffix in (".xls", ".et", ".wps"):
        reason = "不支持旧版 Excel/WPS 表格格式，请在 Excel 或 WPS 中“另存为” .xlsx 或 CSV UTF-8"
    else:
        reason = f"无法识别的文件类型“{suffix or path.name}”，支持 .jsonl、.jsonl.gz、.csv、.xlsx"
    raise CaseFileError(str(path), [RowError(str(path), None, "", reason)])


class _Collector:
    """Gathers row errors and valid cases; checks duplicates and the error cap."""

    def __init__(self, path: Path, publish: bool = False) -> None:
        self.file = str(path)
        self.publish = publish  # the cases will be published: each must be complete enough
        self.errors: list[RowError] = []
        self.cases: list[Case] = []
        self._first_row: dict[str, int] = {}

    def error(self, row: int | None, field: str, reason: str) -> None:
        self.errors.append(RowError(self.file, row, field, reason))

    @property
    def full(self) -> bool:
        return len(self.errors) >= MAX_ERRORS

    def add(self, row: int, record: dict[str, Any], problems: Sequence[tuple[str, str]] = ()) -> None:
        """Validate one record; record every problem (cell-level ones first) under its row."""
        for field, reason in problems:
            self.error(row, field, reason)
        bad_fields = {f for f, _ in problems}
        rid = record.get("id")
        try:
            clean = {k: v for k, v in record.items() if k not in bad_fields}
            case = case_from_record(clean)
        except ValidationError as exc:
            for field, reason in validation_messages(exc):
                self.error(row, field, reason)
            case = None
        except (ValueError, TypeError) as exc:
            self.error(row, "", str(exc))
            case = None
        key = str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else None
        if key:
            first = self._first_row.setdefault(key.strip(), row)
            if first != row:
                self.error(row, "id", f"编号“{key}”重复（第 {first} 行已出现）")
                return
        if case is not None and self.publish:
            missing = publish_problems(case)
            for field, reason in missing:
                self.error(row, field, reason)
            if missing:
                return
        if case is not None and not problems:
            self.cases.append(case)

    def finish(self, stopped_early: bool = False) -> list[Case]:
        if stopped_early:
            self.error(None, "", f"错误超过 {MAX_ERRORS} 处，已停止检查；请先修正上面的问题")
        if not self.errors and not self.cases:
            self.error(None, "", "文件中没有任何案例")
        if self.errors:
            raise CaseFileError(self.file, self.errors)
        return self.cases


def _too_big(path: Path, limit: int) -> CaseFileError:
    size = f"{limit / 1024 / 1024:g} MB" if limit >= 1024 * 1024 else f"{limit} 字节"
    return _file_error(path, f"文件过大：超过 {size} 上限，请拆分后分批导入")


def _too_many_rows(path: Path, limit: int) -> CaseFileError:
    return CaseFileError(str(path), [RowError(str(path), None, "", f"行数过多：超过 {limit} 行上限，请拆分后分批导入")])


def _file_error(path: Path, reason: str) -> CaseFileError:
    return CaseFileError(str(path), [RowError(str(path), None, "", reason)])


def _file_size(path: Path, max_bytes: int) -> int:
    """Size of a readable regular file within the cap, else the matching Chinese error."""
    try:
        if path.is_dir():
            raise _file_error(path, "这是一个文件夹，不是案例文件")
        size = path.stat().st_size
    except FileNotFoundError:
        raise _file_error(path, "文件不存在") from None
    except PermissionError:
        raise _file_error(path, "没有读取这个文件的权限") from None
    if size > max_bytes:
        raise _too_big(path, max_bytes)
    return size


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """Whole file, gunzipped if it is gzip; size-capped before and while decompressing."""
    _file_size(path, max_bytes)
    with path.open("rb") as fh:
        head = fh.read(2)
        fh.seek(0)
        if head == b"\x1f\x8b":
            try:
                with gzip.GzipFile(fileobj=fh) as gz:
                    data = gz.read(max_bytes + 1)
            except (OSError, EOFError) as exc:
                raise _file_error(path, f"gzip 压缩文件已损坏：{exc}") from None
        else:
            if path.name.lower().endswith(".gz"):
                raise _file_error(path, "文件扩展名为 .gz，但内容不是 gzip 压缩格式")
            data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big(path, max_bytes)
    if not data.strip():
        raise _file_error(path, "文件为空")
    return data


UTF8_EVIDENCE = 4  # non-ASCII characters that must decode as UTF-8 before we call a file UTF-8


def utf8_or_gbk(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8, else GB18030 (a superset of GBK) as Excel saves on Chinese Windows.

    When the part before the first bad byte already reads as Chinese UTF-8, the file is damaged
    UTF-8: decoding it as GBK would import mojibake without a word, so the UTF-8 error is raised.
    """
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8")
        if sum(1 for ch in prefix if ord(ch) > 127) >= UTF8_EVIDENCE:
            raise
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise exc from None


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030/GBK; clear errors otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _file_error(path, "文件声明为 UTF-16 编码但内容无法解码，文件可能已损坏") from None
    if b"\x00" in data[:8192]:
        raise _file_error(path, "不是文本文件（含有二进制内容）；请提供 UTF-8 编码的 JSONL/CSV 或 .xlsx 文件")
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        if bom:
            return data[3:].decode("utf-8")
        return utf8_or_gbk(data)[0]
    except UnicodeDecodeError as exc:
        line = data[: exc.start + (3 if bom else 0)].count(b"\n") + 1
        raise _file_error(
            path, f"文本第 {line} 行有无法解码的字节：文件既不是完好的 UTF-8 也不是 GBK/GB18030（可能已损坏）；请另存为 UTF-8"
        ) from None


# ---- JSONL ------------------------------------------------------------------------------------

def _jsonl_lines(path: Path, max_bytes: int) -> Iterator[tuple[bytes, int, int]]:
    """Stream (line, bytes read so far, file size) from a plain or gzipped file, size-capped."""
    size = _file_size(path, max_bytes)
    with path.open("rb") as fh:
        head = fh.read(8192)
        fh.seek(0)
        gz = head[:2] == b"\x1f\x8b"
        if not gz and path.name.lower().endswith(".gz"):
            raise _file_error(path, "文件扩展名为 .gz，但内容不是 gzip 压缩格式")
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise _file_error(path, "JSONL 文件必须是 UTF-8 编码，此文件是 UTF-16；请另存为 UTF-8")
        if not gz and b"\x00" in head:
            raise _file_error(path, "不是文本文件（含有二进制内容）；JSONL 应为 UTF-8 文本，每行一个 JSON 对象")
        stream: IO[bytes] = gzip.GzipFile(fileobj=fh) if gz else fh
        unpacked = 0
        try:
            for line in stream:
                unpacked += len(line)
                if unpacked > max_bytes:
                    raise _too_big(path, max_bytes)
                yield line, fh.tell(), size
        except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
            raise _file_error(path, f"gzip 压缩文件已损坏：{exc}") from None


class _LineDecoder:
    """JSON Lines are UTF-8; a GBK-saved file is accepted too, but one file is one encoding."""

    def __init__(self) -> None:
        self.encoding: str | None = None

    def __call__(self, raw: bytes, first: bool) -> str:
        if first and raw.startswith(b"\xef\xbb\xbf"):
            raw, self.encoding = raw[3:], "utf-8"
        if self.encoding:
            return raw.decode(self.encoding)
        text, encoding = utf8_or_gbk(raw)
        if not text.isascii():
            self.encoding = encoding
        return text


def _read_jsonl(path: Path, progress: Progress | None, max_bytes: int, max_rows: int,
                publish: bool = False) -> list[Case]:
    out = _Collector(path, publish)
    decode = _LineDecoder()
    rows = 0
    lineno = 0
    size = 0
    for lineno, (raw, done, size) in enumerate(_jsonl_lines(path, max_bytes), start=1):
        if progress and lineno % 500 == 0:
            progress(min(done, size), size)
        if not raw.strip():
            continue
        rows += 1
        if rows > max_rows:
            raise _too_many_rows(path, max_rows)
        if out.full:
            return out.finish(stopped_early=True)
        try:
            line = decode(raw, lineno == 1)
        except UnicodeDecodeError:
            enc = "GBK" if decode.encoding == "gb18030" else "UTF-8"
            out.error(lineno, "", f"这一行有无法按 {enc} 解码的字节（文件可能已损坏或不是文本文件）")
            continue
        if "\x00" in line:
            out.error(lineno, "", "这一行含有空字符 (NUL)，文件可能已损坏或不是文本文件")
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            out.error(lineno, "", f"JSON 格式错误（第 {exc.colno} 列附近：{exc.msg}）")
            continue
        except RecursionError:
            out.error(lineno, "", "JSON 嵌套层数过深，不是案例记录")
            continue
        if not isinstance(record, dict):
            kind = {list: "数组", str: "字符串", int: "数字", float: "数字", bool: "布尔值"}.get(type(record), "空值")
            out.error(lineno, "", f"每行必须是一个 JSON 对象 {{…}}，这一行是{kind}")
            continue
        out.add(lineno, record)
    if rows == 0:
        raise _file_error(path, "文件为空")
    if progress:
        progress(size, size)
    return out.finish()


def _jsonl_line(case: Case) -> str:
    data = case.model_dump(mode="json")
    for o in data["outcomes"]:  # 90.0 → 90, as people write it and as the bundled file has it
        if isinstance(o.get("value"), float) and o["value"].is_integer() and abs(o["value"]) < 1e15:
            o["value"] = int(o["value"])
    try:  # standard JSON only: other tools choke on Infinity/NaN
        return json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise ValueError(f"案例 {case.id} 的成效数值不是有限数字（Infinity/NaN），无法写成标准 JSON") from None


# ---- tabular (CSV, xlsx) ----------------------------------------------------------------------

def _read_rows(path: Path, rows: Iterable[list[Any]], max_rows: int,
               tick: Callable[[int], None] | None = None, publish: bool = False) -> list[Case]:
    """Shared by CSV and xlsx: row 1 is the header, every later row one case."""
    out = _Collector(path, publish)
    header: tabular.Header | None = None
    for rowno, cells in enumerate(rows, start=1):
        if tick and rowno % 200 == 0:
            tick(rowno)
        if header is None:
            if tabular.is_blank(cells):
                out.error(None, "", "文件为空（第一行应为表头）")
                break
            header = tabular.parse_header(cells)
            for field, reason in header.problems:
                out.error(1, field, reason)
            if header.problems:
                break
            continue
        if rowno - 1 > max_rows:
            raise _too_many_rows(path, max_rows)
        if tabular.is_blank(cells):
            continue
        if out.full:
            return out.finish(stopped_early=True)
        if len(cells) > len(header.fields) and not tabular.is_blank(cells[len(header.fields):]):
            out.error(rowno, "", f"这一行有 {len(cells)} 列，多于表头的 {len(header.fields)} 列（可能有未加引号的分隔符）")
            continue
        record, problems = tabular.row_to_record(header, cells)
        out.add(rowno, record, problems)
    if header is None and not out.errors:
        out.error(None, "", "文件为空")
    return out.finish()


def sniff_delimiter(text: str) -> str:
    """From the header line only: Excel writes ',' (';' in some locales), Unicode text uses tabs."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(path: Path, progress: Progress | None, max_bytes: int, max_rows: int,
              publish: bool = False) -> list[Case]:
    text = decode_text(path, _read_bytes(path, max_bytes))
    total = len(text)
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        for line in io.StringIO(text, newline=""):
            consumed += len(line)
            yield line

    tick = (lambda _row: progress(consumed, total)) if progress else None
    try:
        reader = csv.reader(lines(), delimiter=sniff_delimiter(text), strict=False)
        cases = _read_rows(path, reader, max_rows, tick, publish)
    except csv.Error as exc:
        raise _file_error(path, f"CSV 格式错误：{exc}") from None
    if progress:
        progress(total, total)
    return cases


def _read_xlsx(path: Path, progress: Progress | None, max_bytes: int, max_rows: int,
               publish: bool = False) -> list[Case]:
    if _file_size(path, max_bytes) == 0:
        raise _file_error(path, "文件为空")
    if not zipfile.is_zipfile(path):
        raise _file_error(path, "不是有效的 .xlsx 文件（可能是改了扩展名的 .xls/CSV，或文件已损坏）；请在 Excel 中另存为 .xlsx")
    problem = zip_problem(path, max_bytes * XLSX_UNPACK_FACTOR)  # a zip bomb: refused before
    if problem:                                                  # openpyxl inflates anything
        raise _file_error(path, problem)
    import openpyxl  # imported lazily (only spreadsheet users pay for it), after the check

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a zip that is not a workbook
        raise _file_error(path, f"无法作为 Excel 工作簿打开（{type(exc).__name__}）；请确认是 .xlsx 文件") from None
    try:
        if SHEET_NAME not in wb.sheetnames and not wb.worksheets:
            raise _file_error(path, "工作簿中没有工作表")
        ws = wb[SHEET_NAME] if SHEET_NAME in wb.sheetnames else wb.worksheets[0]
        total = max((ws.max_row or 0), 1)
        tick = (lambda row: progress(min(row, total), total)) if progress else None
        rows = (list(r) for r in ws.iter_rows(values_only=True))
        cases = _read_rows(path, rows, max_rows, tick, publish)
        if progress:
            progress(total, total)
        return cases
    finally:
        wb.close()


def read_cases(path: str | os.PathLike[str], fmt: str | None = None, *, progress: Progress | None = None,
               max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS, publish: bool = False) -> list[Case]:
    """Read and validate a whole case file; raises CaseFileError listing every bad row.

    fmt: "jsonl" | "csv" | "xlsx", else taken from the suffix (.jsonl, .jsonl.gz, .csv, .xlsx).
    publish: the cases are to be published, so each must also pass `publish_problems`.
    """
    p = Path(path)
    kind = detect_format(p, fmt)
    reader = {"jsonl": _read_jsonl, "csv": _read_csv, "xlsx": _read_xlsx}[kind]
    return reader(p, progress, max_bytes, max_rows, publish)


# ---- writing ----------------------------------------------------------------------------------

def _write_jsonl(cases: list[Case], fh: IO[bytes], gz: bool) -> None:
    target: IO[bytes] = gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) if gz else fh
    for case in cases:
        target.write((_jsonl_line(case) + "\n").encode("utf-8"))
    if gz:
        target.close()


def _write_csv(cases: list[Case], fh: IO[bytes], headers: str, *, starred: bool = False) -> None:
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(tabular.header_row(headers, starred=starred))
    for case in cases:
        writer.writerow(["" if v is None else v for v in tabular.case_to_row(case)])
    text.flush()
    text.detach()


def _check_excel_cells(case: Case, row: list[Any]) -> None:
    for (name, zh), value in zip(tabular.COLUMNS, row):
        if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
            raise ValueError(f"案例 {case.id} 的“{zh}”有 {len(value)} 个字符，超过 Excel 单元格上限 {EXCEL_CELL_LIMIT}；请导出为 JSONL 或 CSV")


def _excel_text(case: Case, value: str) -> str:
    """Text Excel can hold. New cases cannot carry control characters (the model refuses them),
    but one stored by an older build must not make the whole export fail: it is dropped here
    (JSONL and CSV exports keep it) and logged."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    raw = tabular.unescape(value)  # clean the text itself, then escape it again
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", raw).replace("\ufffe", "").replace("\uffff", "")
    cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes "?"
    if cleaned == raw:
        return value
    log.warning("xlsx export: dropped control characters from case %s", case.id)
    return tabular.escape(cleaned)


def _write_xlsx(cases: list[Case], fh: IO[bytes], headers: str, *, example: bool = False,
                next_id: str = "") -> None:
    """`example`: the rows are the template's example, shaded and explained in the guide sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    rows = [tabular.case_to_row(case) for case in cases]
    for case, row in zip(cases, rows):  # check everything before openpyxl starts streaming
        _check_excel_cells(case, row)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_NAME)
    widths = {"id": 12, "title": 30, "problem": 50, "practice": 60, "outcomes": 50, "source_url": 40}
    for i, (name, _) in enumerate(tabular.COLUMNS):
        ws.column_dimensions[_column_letter(i)].width = widths.get(name, 14)
    ws.freeze_panes = "C2"
    bold = Font(bold=True)
    header = [WriteOnlyCell(ws, value=h) for h in tabular.header_row(headers, starred=example)]
    for c in header:
        c.font = bold
    ws.append(header)
    wrap = Alignment(wrap_text=True, vertical="top")
    shade = PatternFill("solid", fgColor="FFF2CC") if example else None
    outcomes_col = [n for n, _ in tabular.COLUMNS].index("outcomes")
    for case, row in zip(cases, rows):
        cells: list[Any] = []
        for i, v in enumerate(row):
            if isinstance(v, str) and v:  # an explicit string cell: openpyxl never sees a formula
                c = WriteOnlyCell(ws, value=_excel_text(case, v))
                c.data_type = "s"
                if i == outcomes_col:
                    c.alignment = wrap
            elif shade is not None:
                c = WriteOnlyCell(ws, value=None if v == "" else v)
            else:
                cells.append(None if v == "" else v)
                continue
            if shade is not None:
                c.fill = shade
            cells.append(c)
        ws.append(cells)
    _write_guide(wb, bold, example=example, next_id=next_id)
    wb.save(fh)


def _column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _write_guide(wb: Any, bold: Any, *, example: bool = False, next_id: str = "") -> None:
    """A second sheet telling an Excel user how to fill the case sheet; the reader ignores it."""
    from openpyxl.cell import WriteOnlyCell

    ws = wb.create_sheet(GUIDE_SHEET)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 100
    id_rule = "必填，字母、数字和 _ . : -，以字母或数字开头，不超过64个字符，文件内不能重复。"
    if next_id:
        id_rule += f"沿用本库的编号格式，下一个可用编号是 {next_id}，多行依次递增。"
    lines = [
        ("说明", "“案例”工作表每行一个案例，第一行是表头（可用中文或英文列名）。带 * 的栏目必填，其余可留空。"),
        *([("示例行", f"“案例”表第 2 行（浅黄色、标题以“{EXAMPLE_MARK}”开头、编号 {EXAMPLE_ID}）是填写示例，"
                     "不是真实案例，仅供参考；请删除或覆盖后再导入，系统会拒收仍含示例行的文件。")] if example else []),
        ("编号 *", id_rule),
        ("标题 *", "必填，不超过500个字符。"),
        ("层级", "、".join(LEVELS) + "，可留空。"),
        ("年份", "整数，如 2023，可留空。"),
        ("成效", "每行一条：指标|数值|单位|说明，如“办结率|95|%|群众诉求办结率达95%”；数值须是数字，可留空。"
                 "也可填 JSON 数组。（网页表单中成效按行分栏填写。）"),
        ("领域", tabular.LIST_HINT + "，可选：" + "、".join(DOMAINS)),
        ("引领维度", tabular.LIST_HINT + "，可选：" + "、".join(LEADERSHIP)),
        ("机制、主体", tabular.LIST_HINT + "。"),
        ("来源", "来源单位（首发的网站或报刊，如 人民网四川频道）、来源标题、来源链接（http:// 或 https:// 开头）、"
                 "来源日期（2025-05-21，只知年月可写 2025-05）、来源可信度五列。可信度可留空，由系统按发布者名单填写："
                 "官方发布 / 主流媒体 / 转载（待核实）；只能比名单给出的低，不能高。发布的案例须有问题或做法，"
                 "并有来源单位或来源标题。"),
        ("公式", "以 = + - @ 开头的内容导出时前面加了单引号，防止被当作公式执行；导入时会自动去掉。"),
    ]
    header = [WriteOnlyCell(ws, value="栏目"), WriteOnlyCell(ws, value="填写方法")]
    for c in header:
        c.font = bold
    ws.append(header)
    for key, text in lines:
        ws.append([key, text])


# ---- the import template ----------------------------------------------------------------------

GUIDE_SHEET = "说明"
EXAMPLE_ID = "example-0001"
EXAMPLE_MARK = "【示例】"
EXAMPLE_CASE = Case(
    id=EXAMPLE_ID, title=f"{EXAMPLE_MARK}某社区“楼道议事会”推动老旧小区加装电梯（导入前请删除此行）",
    province="某省", city="某市", district="某区", level="村社区", year=2024,
    problem="老旧小区没有电梯，高层老人出行难；低层住户担心采光和噪音，意见长期不一。",
    practice="社区党组织牵头成立楼道议事会，逐户听取意见，商定费用分摊和低层补偿办法，签约后统一施工。",
    outcomes=[Outcome(metric="加装电梯", value=12, unit="部", text="一年内完成12部电梯加装"),
              Outcome(metric="居民满意率", value=95, unit="%", text="")],
    domains=["加装电梯", "议事协商"], leadership=["机制引领"], mechanisms=["楼道议事会", "费用分摊"],
    actors=["社区党组织", "居民", "物业"],
    source=Source(publisher="（示例）某区人民政府网站", title="（示例）请填写真实出处", url="https://example.org/",
                  date="2024-05-01"))


def is_example(case: Case) -> bool:
    """The template's example row, left in a filled-in template (it is not a real case)."""
    return case.id == EXAMPLE_ID or case.title.startswith(EXAMPLE_MARK)


def write_template(fh: IO[bytes], fmt: str = "xlsx", *, next_id: str = "") -> None:
    """An import template: the header row and one shaded example row (`EXAMPLE_CASE`, marked as an
    example in its title and id) plus, in .xlsx, the 说明 sheet; CSV (UTF-8 with BOM) has no
    second sheet, so its example title says what it is."""
    if fmt == "xlsx":
        _write_xlsx([EXAMPLE_CASE], fh, "zh", example=True, next_id=next_id)
    elif fmt == "csv":
        _write_csv([EXAMPLE_CASE], fh, "zh", starred=True)
    else:
        raise ValueError(f"模板格式应为 xlsx 或 csv，收到“{fmt}”")


def write_cases(cases: Iterable[Case], path: str | os.PathLike[str], fmt: str | None = None,
                *, headers: str = "zh") -> Path:
    """Write cases to JSONL (.jsonl/.jsonl.gz), CSV (UTF-8 with BOM) or .xlsx, atomically.

    headers: "zh" (default, 编号/标题/…) or "en" (field names) for CSV/xlsx.
    """
    p = Path(path)
    kind = detect_format(p, fmt)
    items = list(cases)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if kind == "jsonl":
                _write_jsonl(items, fh, gz=p.name.lower().endswith(".gz"))
            elif kind == "csv":
                _write_csv(items, fh, headers)
            else:
                _write_xlsx(items, fh, headers)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
