"""Assessment data in and out of spreadsheets: the template (with a 说明 sheet) and the import.

An import is one row per unit (organisation or person) per period. It is read whole and checked
cell by cell before anything is stored: every bad cell is reported as (sheet, row, column,
reason) and then nothing is saved (`AssessFileError`). CSV may be UTF-8 (with or without BOM)
or GBK/GB18030 as Excel writes it on Chinese Windows; .xlsx is checked for zip bombs first.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..cases.io import decode_text, sniff_delimiter
from ..cases.tabular import escape
from ..cases.xlsx_guard import zip_problem
from .engine import Record
from .pack import AssessmentPack

DATA_SHEET = "数据"
GUIDE_SHEET = "说明"
MAX_ROWS = 200_000
MAX_BYTES = 100 * 1024 * 1024
MAX_ERRORS = 500
PERIOD = re.compile(r"^\d{4}(Q[1-4]|H[12]|-(0[1-9]|1[0-2]))?$")
UNIT_FORBIDDEN = ("/", "\\", "?", "#", "%")
PERIOD_HINT = "期次写成 2026、2026H1、2026Q3 或 2026-05"
BETTER_LABELS = {"higher": "越高越好", "lower": "越低越好"}

# field → (header, aliases, required, max length)
META_COLUMNS: dict[str, tuple[str, tuple[str, ...], bool, int]] = {
    "unit": ("编号", ("编号", "单位编号", "人员编号", "组织编号", "unit", "id"), True, 64),
    "name": ("名称", ("名称", "单位名称", "组织名称", "姓名", "name"), False, 200),
    "region": ("所属地区", ("所属地区", "地区", "区域", "region"), False, 64),
    "period": ("期次", ("期次", "周期", "period"), True, 16),
    "post": ("岗位", ("岗位", "职务", "post"), True, 64),
}


@dataclass(frozen=True)
class CellError:
    sheet: str
    row: int        # spreadsheet row number (1 = header)
    column: str     # the column's header, e.g. "期次" or "H05 书记空缺月数（月）"
    letter: str     # the spreadsheet column, e.g. "D" ("" when the whole row or file is meant)
    reason: str

    def __str__(self) -> str:
        col = f"{self.letter} 列“{self.column}”" if self.letter else (f"列“{self.column}”" if self.column else "")
        return f"工作表“{self.sheet}” 第 {self.row} 行 {col}：{self.reason}".replace("  ", " ")

    def to_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "letter": self.letter,
                "reason": self.reason}


class AssessFileError(ValueError):
    """The file was refused; `errors` names every bad cell. Nothing was stored."""

    def __init__(self, errors: list[CellError], file: str = "") -> None:
        self.errors = errors
        self.file = file
        head = f"{file}：" if file else ""
        lines = [str(e) for e in errors[:30]]
        if len(errors) > 30:
            lines.append(f"……另有 {len(errors) - 30} 处")
        super().__init__(f"{head}共 {len(errors)} 处错误，未导入任何数据：\n" + "\n".join(lines))


def letter(i: int) -> str:
    """0 → A, 26 → AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def columns(pack: AssessmentPack) -> list[tuple[str, str]]:
    """(field, header) in template order: meta columns, then one per indicator."""
    meta = [(f, h[0]) for f, h in META_COLUMNS.items() if f != "post" or pack.posts]
    if pack.subject == "person":
        meta = [(f, {"unit": "人员编号", "name": "姓名"}.get(f, h)) for f, h in meta]
    else:
        meta = [(f, {"unit": "单位编号", "name": "单位名称"}.get(f, h)) for f, h in meta]
    return meta + [(i.id, i.label) for i in pack.indicators]


def _norm(text: Any) -> str:
    return re.sub(r"[\s*＊]+", "", unicodedata.normalize("NFKC", str(text if text is not None else ""))).lower()


def _header_map(pack: AssessmentPack, cells: list[Any], sheet: str) -> tuple[dict[int, str], list[CellError]]:
    lookup: dict[str, str] = {}
    for f, (_, aliases, _, _) in META_COLUMNS.items():
        if f == "post" and not pack.posts:
            continue
        for a in aliases:
            lookup[_norm(a)] = f
    for i in pack.indicators:
        for a in (i.id, i.name, i.label, f"{i.name}（{i.unit}）", f"{i.name}({i.unit})"):
            lookup[_norm(a)] = i.id
    found: dict[int, str] = {}
    errors: list[CellError] = []
    for n, raw in enumerate(cells):
        key = _norm(raw)
        if not key:
            continue
        field = lookup.get(key)
        if field is None:  # "H05 书记空缺月数…" with other words after the id
            m = re.match(r"^([a-z]+\d+)", key)
            field = next((i.id for i in pack.indicators if m and i.id.lower() == m.group(1)), None)
        if field is None:
            errors.append(CellError(sheet, 1, str(raw), letter(n), "不认识的列：应为模板中的列名或指标编号（见“说明”工作表）"))
        elif field in found.values():
            errors.append(CellError(sheet, 1, str(raw), letter(n), "列重复"))
        else:
            found[n] = field
    headers = dict(columns(pack))
    for f, h in columns(pack):
        required = f not in META_COLUMNS or META_COLUMNS[f][2]
        if required and f not in found.values():
            errors.append(CellError(sheet, 1, h, "", "缺少这一列"))
    return found, errors


def _text(value: Any, fold: bool = True) -> str:
    """A cell as text; `fold` (ids, periods) also folds full-width forms (ＡＢ１ → AB1)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return (unicodedata.normalize("NFKC", str(value)) if fold else str(value)).strip()


def _number(value: Any) -> tuple[float | None, str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "必填：不能为空"
    if isinstance(value, bool):
        return None, "应为数字"
    if isinstance(value, (int, float)):
        v = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("%").replace(",", "")
        try:
            v = float(text)
        except ValueError:
            return None, f"“{str(value)[:20]}”不是数字"
    if not math.isfinite(v):
        return None, "应为有限数字"
    return v, ""


def parse_rows(pack: AssessmentPack, rows: Iterable[list[Any]], sheet: str) -> list[Record]:
    """Header row + data rows → records; AssessFileError naming every bad cell."""
    errors: list[CellError] = []
    header: dict[int, str] | None = None
    labels = dict(columns(pack))
    records: list[Record] = []
    seen: dict[tuple[str, str], int] = {}
    for rowno, cells in enumerate(rows, start=1):
        cells = list(cells)
        if header is None:
            if not any(_text(c) for c in cells):
                errors.append(CellError(sheet, rowno, "", "", "第一行应为表头（从模板复制）"))
                break
            header, problems = _header_map(pack, cells, sheet)
            errors += problems
            if problems:
                break
            continue
        if not any(_text(c) for c in cells):
            continue
        if rowno - 1 > MAX_ROWS:
            errors.append(CellError(sheet, rowno, "", "", f"行数超过 {MAX_ROWS} 行上限，请分批导入"))
            break
        extra = [n for n in range(len(cells)) if n not in header and _text(cells[n])]
        for n in extra:
            errors.append(CellError(sheet, rowno, "", letter(n), "表头之外的列里有内容"))
        meta: dict[str, str] = {}
        values: dict[str, float] = {}
        for n, field in header.items():
            raw = cells[n] if n < len(cells) else None
            col, let = labels.get(field, field), letter(n)
            if field in META_COLUMNS:
                _, _, required, limit = META_COLUMNS[field]
                text = _text(raw, fold=field in ("unit", "period"))
                if field == "period":
                    text = text.upper().replace("年", "").replace("－", "-")
                if required and not text:
                    errors.append(CellError(sheet, rowno, col, let, "必填：不能为空"))
                elif len(text) > limit:
                    errors.append(CellError(sheet, rowno, col, let, f"不能超过 {limit} 个字符"))
                elif any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
                    errors.append(CellError(sheet, rowno, col, let, "含有控制字符或不可见字符"))
                elif field == "unit" and any(ch in text for ch in UNIT_FORBIDDEN):
                    errors.append(CellError(sheet, rowno, col, let, f"编号不能含有 {' '.join(UNIT_FORBIDDEN)}（编号会出现在网址中）"))
                elif field == "period" and not PERIOD.match(text):
                    errors.append(CellError(sheet, rowno, col, let, f"“{text}”不是有效期次（{PERIOD_HINT}）"))
                elif field == "post" and pack.posts and text not in pack.posts:
                    errors.append(CellError(sheet, rowno, col, let, f"岗位“{text}”不在测评包的岗位中（可选：{'、'.join(pack.posts)}）"))
                meta[field] = text
                continue
            ind = pack.indicator(field)
            assert ind is not None
            v, problem = _number(raw)
            if problem:
                errors.append(CellError(sheet, rowno, col, let, problem))
            elif v is not None and not (ind.min <= v <= ind.max):
                errors.append(CellError(sheet, rowno, col, let, f"{v:g} 超出范围（{ind.min:g}–{ind.max:g} {ind.unit}）"))
            elif v is not None:
                values[field] = v
        key = (meta.get("unit", ""), meta.get("period", ""))
        if all(key):
            if key in seen:
                unit_col = next(n for n, f in header.items() if f == "unit")
                errors.append(CellError(sheet, rowno, labels["unit"], letter(unit_col),
                                        f"{key[0]} 的 {key[1]} 期与第 {seen[key]} 行重复"))
            seen.setdefault(key, rowno)
        if len(errors) >= MAX_ERRORS:
            break
        if len(values) == len(pack.indicators) and all(key):
            records.append(Record(key[0], key[1], values, meta.get("name", ""), meta.get("region", ""),
                                  meta.get("post", "")))
    if header is None and not errors:
        errors.append(CellError(sheet, 1, "", "", "文件为空"))
    if not errors and not records:
        errors.append(CellError(sheet, 2, "", "", "没有数据行"))
    if errors:
        raise AssessFileError(errors)
    return records


def _xlsx_rows(path: Path) -> tuple[str, Iterator[list[Any]], Any]:
    if not zipfile.is_zipfile(path):
        raise AssessFileError([CellError(path.name, 1, "", "", "不是有效的 .xlsx 文件（可能是改了扩展名的 .xls/CSV）；请在 Excel 中另存为 .xlsx")])
    problem = zip_problem(path, MAX_BYTES * 5)
    if problem:
        raise AssessFileError([CellError(path.name, 1, "", "", problem)])
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a zip that is no workbook
        raise AssessFileError([CellError(path.name, 1, "", "", f"无法作为 Excel 工作簿打开（{type(exc).__name__}）")]) from None
    names = [n for n in wb.sheetnames if n != GUIDE_SHEET]
    if not names:
        wb.close()
        raise AssessFileError([CellError(path.name, 1, "", "", f"工作簿中没有数据工作表（应为“{DATA_SHEET}”）")])
    ws = wb[DATA_SHEET] if DATA_SHEET in wb.sheetnames else wb[names[0]]
    return ws.title, (list(r) for r in ws.iter_rows(values_only=True)), wb


def read_file(pack: AssessmentPack, path: Path | str, display_name: str | None = None) -> list[Record]:
    """Records from a .xlsx or .csv file (UTF-8 or GBK); AssessFileError naming every bad cell."""
    p = Path(path)
    name = display_name or p.name
    if not p.is_file():
        raise AssessFileError([CellError(name, 1, "", "", "文件不存在")], name)
    if p.stat().st_size > MAX_BYTES:
        raise AssessFileError([CellError(name, 1, "", "", f"文件超过 {MAX_BYTES // 1024 // 1024} MB 上限")], name)
    suffix = Path(name).suffix.lower() or p.suffix.lower()
    try:
        if suffix == ".csv" or suffix == ".txt":
            from ..cases.errors import CaseFileError

            data = p.read_bytes()
            try:
                text = decode_text(p, data)
            except CaseFileError as exc:
                raise AssessFileError([CellError(name, 1, "", "", str(exc))]) from None
            rows = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
            return parse_rows(pack, rows, name)
        if suffix in (".xlsx", ".xlsm"):
            sheet, rows, wb = _xlsx_rows(p)
            try:
                return parse_rows(pack, rows, sheet)
            finally:
                wb.close()
        raise AssessFileError([CellError(name, 1, "", "", "只支持 .xlsx 或 .csv 文件")])
    except AssessFileError as exc:
        exc.file = name
        raise AssessFileError(exc.errors, name) from None


def write_template(pack: AssessmentPack, records: list[Record] | None = None, *, note: str = "") -> bytes:
    """The import template: 数据 (header, and `records` when given: sample files) and 说明."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    cols = columns(pack)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FCE4E4")
    ws.append([h for _, h in cols])
    for n, (f, _) in enumerate(cols):
        cell = ws.cell(row=1, column=n + 1)
        cell.font = bold
        cell.fill = fill
        ws.column_dimensions[letter(n)].width = 14 if f in META_COLUMNS else 22
    ws.freeze_panes = "A2"
    for r in records or []:
        meta = {"unit": r.unit, "name": r.name, "region": r.region, "period": r.period, "post": r.post}
        ws.append([escape(meta[f]) if f in META_COLUMNS else r.values.get(f) for f, _ in cols])
    g = wb.create_sheet(GUIDE_SHEET)
    g.column_dimensions["A"].width = 16
    g.column_dimensions["B"].width = 90
    lines: list[tuple[str, str]] = [
        (pack.title, pack.description),
        ("怎么填", f"在“{DATA_SHEET}”工作表中每行填一个{pack.unit_label}一个期次的数据；表头不要改动。"
                  "导入时全部检查，有任何一格有误都会列出（工作表、行、列、原因），并且一行也不保存。"),
        ("期次", PERIOD_HINT + "。同一编号同一期次重复导入时，以新导入的为准。"),
    ]
    if note:
        lines.insert(0, ("注意", note))
    if pack.posts:
        lines.append(("岗位", "可选：" + "、".join(pack.posts)))
    if pack.personal:
        lines.append(("个人信息", "本表含个人测评结果，只有测评员和管理员能查看个人结果；请按个人信息保护要求保管。"))
    for t, text in lines:
        g.append([t, text])
    g.append([])
    g.append(["列名", "说明"])
    for f, h in cols:
        if f in META_COLUMNS:
            _, _, required, limit = META_COLUMNS[f]
            g.append([h, ("必填" if required else "选填") + f"，不超过 {limit} 个字符"])
    g.append([])
    head = ["指标编号", "指标名称", "维度", "单位", "方向", "取值范围", "怎么计分", "数据来源", "口径"]
    g.append(head)
    start = g.max_row
    for i in pack.indicators:
        g.append([i.id, i.name, i.dimension, i.unit, BETTER_LABELS[i.better], f"{i.min:g}–{i.max:g}",
                  i.scoring, i.source, i.definition])
    for row in g.iter_rows(min_row=1, max_row=g.max_row):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
        if row[0].value in ("列名", "指标编号") or row[0].row <= len(lines):
            row[0].font = bold
    for n in range(2, 10):
        g.column_dimensions[letter(n)].width = 18
    del start
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
