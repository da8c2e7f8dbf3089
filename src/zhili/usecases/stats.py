"""Usage statistics and the no-fit backlog (待收集): what the 统计 page, `GET /api/v1/stats` and
the backlog exports show — read once here, drawn by each layer its own way."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .. import localtime
from ..cases.stats import library_stats
from ..cases.tabular import escape
from ..store.queries import MAX_BACKLOG, BacklogItem

if TYPE_CHECKING:
    from ..service import Service

RERUN_CHARS = 500  # of the masked text in a re-run link (a URL must stay short)
VIEWS = {"open": "待收集", "added": "已补充", "dropped": "不处理", "all": "全部"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_HEADER = ("问题（已脱敏）", "提问次数", "最近提问", "首次提问", "领域", "地区", "层级", "状态",
                 "标记人", "标记时间", "重新检索")


def rerun_link(text: str) -> str:
    """The search page for this (masked) question: `/?q=…`."""
    return "/?" + urlencode({"q": text[:RERUN_CHARS]})


def usage(service: "Service", days: int, view: str = "open", rows: int = 100) -> dict[str, Any]:
    """Queries by domain, region and day (in the configured time zone), feedback totals and the
    deduplicated backlog (`view`: open / added / dropped / all)."""
    store = service.store
    return {"stats": store.queries.stats(days=days), "feedback": store.feedback.summary(),
            "backlog": store.queries.backlog(days, None if view == "all" else view, rows),
            "backlog_counts": store.queries.backlog_counts(days)}


def library(service: "Service") -> dict[str, Any]:
    """How the published library is spread over domains, regions and levels."""
    return library_stats(service.store.cases.published())


def backlog_items(service: "Service", days: int, view: str) -> list[BacklogItem]:
    """Every backlog question of the period in that view (for an export)."""
    return service.store.queries.backlog(days, None if view == "all" else view, MAX_BACKLOG)


def set_backlog_status(service: "Service", key: str, status: str, user: str | None) -> None:
    """An editor marks one backlog question 已补充 / 不处理 (or back to 待收集)."""
    service.store.queries.set_backlog_status(key, status, user)


def export_rows(items: list[BacklogItem], base_url: str) -> list[list[Any]]:
    """One row per backlog question; text cells escaped so a spreadsheet never runs them."""
    rows = []
    for it in items:
        rows.append([
            escape(it.text), it.count, localtime.format_time(it.last_at), localtime.format_time(it.first_at),
            escape("、".join(it.domains)), escape(it.place), escape(it.level), it.status_label,
            escape(it.status_by or ""), localtime.format_time(it.status_at), base_url + rerun_link(it.text)])
    return rows


def backlog_csv(items: list[BacklogItem], base_url: str) -> bytes:
    """UTF-8 with a BOM (Excel on Windows reads Chinese correctly only with it), CRLF rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    writer.writerows(export_rows(items, base_url))
    return out.getvalue().encode("utf-8-sig")


def backlog_xlsx(items: list[BacklogItem], base_url: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("待收集案例")
    for letter, width in zip("ABCDEFGHIJK", (60, 10, 18, 18, 24, 10, 10, 10, 12, 18, 40)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = [WriteOnlyCell(ws, value=h) for h in EXPORT_HEADER]
    for c in header:
        c.font = bold
    ws.append(header)
    for row in export_rows(items, base_url):
        cells: list[Any] = []
        for v in row:
            if isinstance(v, str) and v:  # an explicit string cell: never a formula
                c = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", v)[:32_000])
                c.data_type = "s"
                cells.append(c)
            else:
                cells.append(None if v == "" else v)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
