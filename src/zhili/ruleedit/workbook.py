"""Excel round-trip of rule packs: one sheet per decision table, a 说明 sheet, and back.

Drools' spreadsheet decision tables are the precedent; the JDM JSON stays the stored format.
An exported workbook holds, besides the visible sheets, a hidden sheet `_zhili` with what a
person never edits in a spreadsheet — each pack's manifest, the graph (nodes, edges, columns,
and the rows as exported), the example file — so an import rebuilds complete packs. A sheet's
header row (编号, 说明, then the column names in Chinese) is matched by name, so columns may be
moved; headers are unique per sheet (`column_headers`), so each one is exactly one column id even
when several columns read the same field. The rows' values come only from the visible sheets; the
exported rows only give each unchanged row its stored shape (key order), so an unchanged workbook
imports as the very same files and an edited cell changes that one line.

Importing never applies anything itself: it returns the files and every problem located by
sheet, row, column and reason (the same linter as `zhili rules check`); the caller stores the
files only when there is no error.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from ..cases.xlsx_guard import zip_problem
from ..rules.graph import parse_tables
from ..rules.schema import RuleCheckError
from .files import load_files
from .tables import (HIT_LABELS, ROW_HEADERS, TARGET_LABELS, EditError, column_headers, dump_graph, graph_of,
                     keep_stored_shape, lint_files, manifest, pack_ids)

META_SHEET = "_zhili"
GUIDE_SHEET = "说明"
FORMAT = "zhili-rules-xlsx"
FORMAT_VERSION = 1
CHUNK = 30_000  # characters per cell (Excel holds 32 767)
ID_HEADER, DESC_HEADER = ROW_HEADERS
MAX_BYTES = 20 * 2**20
INPUT_FILL, OUTPUT_FILL, HEAD_FILL = "DDEBF7", "E2EFDA", "F2F2F2"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class CellProblem:
    """One thing wrong in a workbook, placed as a person finds it in Excel."""

    sheet: str
    row: int | None       # Excel row number (1 = header), None for the whole sheet
    column: str           # column letter ("C"), "" when not about one column
    header: str           # the column's header text
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = [f"工作表“{self.sheet}”"] if self.sheet else []
        if self.row:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"{self.column} 列" + (f"（{self.header}）" if self.header else ""))
        tag = "错误" if self.severity == "error" else "提醒"
        return f"[{tag}] {' '.join(where) or '工作簿'}：{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportResult:
    files: dict[str, str]
    problems: list[CellProblem]
    packs: list[str]  # packs the workbook brought

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


class WorkbookError(ValueError):
    """The file cannot be read as a rules workbook at all."""


def _letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _sheet_name(title: str, label: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", f"{title}-{label}").strip("'") or "表"
    name, n = base[:31], 2
    while name in used or name in (META_SHEET, GUIDE_SHEET):
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def _text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def export_workbook(files: dict[str, str], pack: str | None = None) -> bytes:
    """The rule set (or one pack, by folder name or title) as .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    packs = pack_ids(files)
    if pack is not None:
        chosen = [p for p in packs if pack in (p, str(manifest(files, p).get("title", "")))]
        if not chosen:
            raise EditError(f"规则包“{pack}”不存在（可用：{'、'.join(packs)}）")
        packs = chosen
    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"
    meta.append(["format", FORMAT, FORMAT_VERSION, json.dumps(packs, ensure_ascii=False)])
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    used: set[str] = set()
    listing: list[list[str]] = []
    for p in packs:
        m = manifest(files, p)
        rel, graph = graph_of(files, p)
        tables = parse_tables(graph)
        for path in sorted(k for k in files if k.startswith(p + "/")):
            text = files[path]
            for k in range(0, max(len(text), 1), CHUNK):
                meta.append(["file", path, k // CHUNK, text[k:k + CHUNK]])
        for t in tables:
            name = _sheet_name(str(m.get("title", p)), t.label, used)
            meta.append(["sheet", name, p, t.node_id])
            ws = wb.create_sheet(name)
            heads = column_headers(t.inputs + t.outputs)
            cols = [(ID_HEADER, "", HEAD_FILL, "规则行的编号（同一张表内不能重复），命中时显示在规则轨迹中"),
                    (DESC_HEADER, "", HEAD_FILL, "这一行规则的说明")]
            cols += [(h, c.id, INPUT_FILL, f"条件列（读取 {c.field or '表达式'}）：写判断条件，留空表示不限")
                     for c, h in zip(t.inputs, heads)]
            cols += [(h, c.id, OUTPUT_FILL, f"结果列（写出 {c.field}）：命中时输出的值，文字要加英文双引号")
                     for c, h in zip(t.outputs, heads[len(t.inputs):])]
            for i, (header, _cid, fill, note) in enumerate(cols):
                cell = ws.cell(row=1, column=i + 1, value=_text(header))
                cell.font, cell.fill = bold, PatternFill("solid", fgColor=fill)
                cell.comment = Comment(note, "zhili")
                ws.column_dimensions[_letter(i)].width = 16 if i < 2 else 36
            for r, row in enumerate(t.rows, 2):
                values = [row.id, row.description] + [row.cells.get(c.id, "") for c in t.inputs + t.outputs]
                for i, v in enumerate(values):
                    v = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                    if v:
                        cell = ws.cell(row=r, column=i + 1, value=_text(v))
                        cell.data_type = "s"  # a cell starting with "=" stays text, never a formula
                        cell.alignment = wrap
            ws.freeze_panes = "C2"
            listing.append([name, f"{p} {m.get('title', '')}", t.label, HIT_LABELS.get(t.hit_policy, t.hit_policy),
                            TARGET_LABELS.get(t.target, t.output_path),
                            "条件：" + "、".join(heads[:len(t.inputs)]) + "；结果：" + "、".join(heads[len(t.inputs):])])
    _write_guide(guide, listing, bold, wrap)
    wb.move_sheet(meta, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(META_SHEET))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GUIDE_LINES = [
    "zhili 规则包（决策表）Excel 文件",
    "每张决策表一个工作表：第 1 行是表头（编号、说明、蓝色的条件列、绿色的结果列），从第 2 行起每行一条规则。",
    "可以：修改单元格、增加或删除行、调整行的顺序（“第一条命中”的表越靠上越优先）、移动列。",
    "不要：改表头文字、改工作表名称、删除隐藏的 _zhili 工作表（其中保存决策图的结构和例子，导入时需要）。",
    "条件列写判断，留空表示不限：contains($, \"电梯\")（包含）、$ == \"城市\"（等于）、> 0.5（大于）、"
    "some($, # in [\"养老服务\", \"助餐\"])（列表中有任一）、matches($, \"漏水|渗水\")（正则）。",
    "结果列写输出值：文字要加英文双引号，如 \"街道办事处\"；列表写成 [\"社区居委会\", \"物业服务企业\"]；数字直接写，如 0.5。",
    "导入时逐格检查（与 zhili rules check 相同）：有错误时列出工作表、行、列和原因，不会应用任何修改。",
    "",
]


def _write_guide(ws: Any, listing: list[list[str]], bold: Any, wrap: Any) -> None:
    for line in GUIDE_LINES:
        ws.append([line])
    ws["A1"].font = bold
    header = ["工作表", "规则包", "决策表", "命中方式", "输出目标", "列"]
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = bold
    for row in listing:
        ws.append(row)
    for letter, width in zip("ABCDEF", (28, 22, 18, 24, 24, 70)):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=len(GUIDE_LINES) + 1):
        for cell in row:
            cell.alignment = wrap


# ---- import -----------------------------------------------------------------------------------

def _cell_text(value: Any) -> tuple[str, str]:
    """(expression text, problem) of a spreadsheet value; numbers are written as numbers."""
    if value is None:
        return "", ""
    if isinstance(value, bool):
        return ("true" if value else "false"), ""
    if isinstance(value, int):
        return str(value), ""
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)), ""
    if isinstance(value, (datetime, date, time)):
        return "", "单元格是日期/时间格式，请改成文字"
    text = str(value)
    return (text if text.strip() else ""), ""


def _open(data: bytes) -> Any:
    if not data:
        raise WorkbookError("文件为空")
    if len(data) > MAX_BYTES:
        raise WorkbookError(f"文件过大（{len(data)} 字节，上限 {MAX_BYTES}）")
    buf = io.BytesIO(data)
    if not zipfile.is_zipfile(buf):
        raise WorkbookError("不是有效的 .xlsx 文件（可能是 .xls/CSV 改了扩展名，或文件已损坏）；请在 Excel 中另存为 .xlsx")
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
        tmp.write(data)
        tmp.flush()
        problem = zip_problem(Path(tmp.name), MAX_BYTES * 10)
    if problem:
        raise WorkbookError(problem)
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds for a zip that is not a workbook
        raise WorkbookError(f"无法作为 Excel 工作簿打开（{type(exc).__name__}）") from None


def import_workbook(data: bytes, base: dict[str, str] | None = None) -> ImportResult:
    """Files of the packs in the workbook (over `base`, the rule set the other packs come from)
    and every problem by sheet/row/column. Raises WorkbookError when it is no rules workbook."""
    wb = _open(data)
    try:
        return _import(wb, dict(base or {}))
    finally:
        wb.close()


def _import(wb: Any, base: dict[str, str]) -> ImportResult:
    if META_SHEET not in wb.sheetnames:
        raise WorkbookError(f"不是 zhili 导出的规则工作簿：缺少隐藏的工作表“{META_SHEET}”（请从 zhili 导出后再修改）")
    chunks: dict[str, dict[int, str]] = {}
    sheets: dict[str, tuple[str, str]] = {}
    packs: list[str] = []
    for rec in wb[META_SHEET].iter_rows(values_only=True):
        rec = list(rec) + [None] * 4
        kind = rec[0]
        if kind == "format":
            if rec[1] != FORMAT:
                raise WorkbookError("不是 zhili 导出的规则工作簿（_zhili 工作表格式不符）")
            if int(rec[2] or 0) > FORMAT_VERSION:
                raise WorkbookError("该工作簿来自更新版本的 zhili，请升级后再导入")
            packs = list(json.loads(rec[3] or "[]"))
        elif kind == "file" and isinstance(rec[1], str):
            chunks.setdefault(rec[1], {})[int(rec[2] or 0)] = rec[3] if isinstance(rec[3], str) else ""
        elif kind == "sheet" and isinstance(rec[1], str):
            sheets[rec[1]] = (str(rec[2]), str(rec[3]))
    if not packs:
        raise WorkbookError("工作簿中没有规则包")
    files = {path: "".join(parts[k] for k in sorted(parts)) for path, parts in chunks.items()}
    problems: list[CellProblem] = []
    # which Excel row each grid row came from, per (pack, table)
    origin: dict[tuple[str, str], list[int]] = {}
    headers: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}  # column id → (letter, header)
    sheet_of: dict[tuple[str, str], str] = {}
    graphs: dict[str, tuple[str, dict[str, Any]]] = {}
    for p in packs:
        try:
            graphs[p] = graph_of(files, p)
        except EditError as exc:
            raise WorkbookError(f"隐藏工作表中的规则包“{p}”已损坏：{exc}") from None
    for name, (p, node_id) in sheets.items():
        if p not in graphs:
            continue
        if name not in wb.sheetnames:
            problems.append(CellProblem(name, None, "", "", "工作表不见了（被删除或改名？）：请恢复原名称"))
            continue
        rel, graph = graphs[p]
        node = next((n for n in graph.get("nodes") or [] if isinstance(n, dict) and n.get("id") == node_id), None)
        if node is None:
            raise WorkbookError(f"隐藏工作表中找不到决策表 {node_id}")
        content = node.setdefault("content", {})
        cols = [c for c in (content.get("inputs") or []) + (content.get("outputs") or []) if isinstance(c, dict)]
        rows, where, head = _read_sheet(wb[name], name, cols, problems)
        content["rules"] = keep_stored_shape(rows, content.get("rules") or _base_rows(base, p, node_id))
        origin[(p, node_id)], headers[(p, node_id)], sheet_of[(p, node_id)] = where, head, name
    for extra in wb.sheetnames:
        if extra not in sheets and extra not in (META_SHEET, GUIDE_SHEET):
            problems.append(CellProblem(extra, None, "", "", "不是导出时的工作表，已忽略（新的决策表请在规则图中添加）",
                                        severity="warning"))
    for p, (rel, graph) in graphs.items():
        files[rel] = dump_graph(graph)
    merged = {k: v for k, v in base.items() if k.split("/")[0] not in packs}
    merged.update(files)
    if not any(p.severity == "error" for p in problems):
        problems += _lint(merged, packs, origin, headers, sheet_of)
    return ImportResult(dict(sorted(merged.items())), problems, packs)


def _base_rows(base: dict[str, str], pack: str, node_id: str) -> list[Any]:
    """The rows `base` holds for a table: the stored shape for a workbook exported before the
    hidden sheet kept its rows."""
    try:
        graph = graph_of(base, pack)[1]
    except EditError:
        return []
    node = next((n for n in graph.get("nodes") or [] if isinstance(n, dict) and n.get("id") == node_id), None)
    rules = (node.get("content") or {}).get("rules") if isinstance(node, dict) else None
    return rules if isinstance(rules, list) else []


def _read_sheet(ws: Any, name: str, cols: list[dict[str, Any]], problems: list[CellProblem]
                ) -> tuple[list[dict[str, str]], list[int], dict[str, tuple[str, str]]]:
    by_name: dict[str, str] = {ID_HEADER: "_id", DESC_HEADER: "_description"}
    for c, h in zip(cols, column_headers(cols)):
        by_name[h] = str(c.get("id"))  # headers are unique: each is one column id, never a field
    it = ws.iter_rows(values_only=True)
    header = next(it, None) or ()
    place: dict[int, str] = {}
    head: dict[str, tuple[str, str]] = {}
    for i, h in enumerate(header):
        text = str(h).strip() if h is not None else ""
        if not text:
            continue
        cid = by_name.get(text)
        if cid is None:
            problems.append(CellProblem(name, 1, _letter(i), text, f"表头“{text}”不是这张表的列（可用：{'、'.join(by_name)}）"))
            continue
        if cid in head:
            problems.append(CellProblem(name, 1, _letter(i), text, f"表头“{text}”重复"))
            continue
        place[i], head[cid] = cid, (_letter(i), text)
    for text, cid in by_name.items():
        if cid not in head:
            problems.append(CellProblem(name, 1, "", text, f"缺少列“{text}”：请恢复这一列的表头"))
    rows: list[dict[str, str]] = []
    where: list[int] = []
    for r, values in enumerate(it, 2):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        rec = {cid: "" for cid in ["_id", "_description", *[str(c.get("id")) for c in cols]]}
        for i, v in enumerate(values):
            if i not in place:
                if v not in (None, ""):
                    problems.append(CellProblem(name, r, _letter(i), "", "这一列没有表头，内容不会被导入", severity="warning"))
                continue
            text, problem = _cell_text(v)
            if problem:
                problems.append(CellProblem(name, r, _letter(i), head[place[i]][1], problem))
            rec[place[i]] = text.strip() if place[i] == "_id" else text
        rows.append(rec)
        where.append(r)
    return rows, where, head


def _lint(files: dict[str, str], packs: list[str], origin: dict[tuple[str, str], list[int]],
          headers: dict[tuple[str, str], dict[str, tuple[str, str]]], sheet_of: dict[tuple[str, str], str]
          ) -> list[CellProblem]:
    out: list[CellProblem] = []
    for p in packs:
        for item in lint_files(files, p):
            key = (p, item["table"])
            sheet = sheet_of.get(key, item["file"])
            letter, header = headers.get(key, {}).get(item["column"], ("", item["cell"]))
            rows = [origin[key][i] for i in item["rows"] if key in origin and i < len(origin[key])] or [None]
            for r in rows:
                out.append(CellProblem(sheet, r, letter, header, item["message"], item["severity"]))
    if not any(p.severity == "error" for p in out):
        try:
            load_files(files)  # the whole set: packs outside the workbook, zen-engine's own check
        except RuleCheckError as exc:
            out += [CellProblem(pr.file, None, "", pr.cell, pr.message) for pr in exc.problems]
    return out
