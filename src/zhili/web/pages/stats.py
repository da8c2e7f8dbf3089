"""统计: what cadres ask about (per domain, per region, over time) and the no-fit backlog.

Charts are inline SVG drawn here, so the page works offline and prints as it looks. Every day
and time is in the configured time zone (`zhili.localtime`), the same as the daily chart's
buckets. The backlog lists each distinct unanswered question once (`QueryLog.backlog`); an
editor marks it 已补充 / 不处理 (a plain form post: no script needed) and exports it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ... import localtime
from ...store.queries import BACKLOG_LABELS, UNSPECIFIED
from ...usecases.stats import (VIEWS, XLSX, backlog_csv, backlog_items, backlog_xlsx, rerun_link,
                               usage)
from ...usecases.stats import set_backlog_status as mark_backlog
from ..charts import Bar, bar_chart, line_chart
from ..deps import editor_form, gate, service, username
from ..forms import int_param
from ..templating import message_page, templates

router = APIRouter()
PERIODS = (7, 30, 90, 365)
TOP_BARS = 15
TOP_LINES = 5
TREND_ROWS = 10_000  # queries read for the per-domain/region trend lines
BACKLOG_ROWS = 100  # shown on the page; the export has them all

def trends(records: list[Any], since: str, key: str) -> dict[str, list[tuple[str, float]]]:
    """Per-day counts of the most asked domains (or regions) since `since` (a local "YYYY-MM-DD")."""
    zone = localtime.zone()
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for r in records:
        day = localtime.local_date(r.created_at, zone).isoformat()
        if day < since:
            continue
        labels = r.domains if key == "domain" else [r.place]
        for label in labels:
            per_day[label][day] += 1
            totals[label] += 1
    return {label: sorted(per_day[label].items()) for label, _ in totals.most_common(TOP_LINES)}


def _period(days: str | None) -> int:
    period = int_param(days, 90)
    return period if period in PERIODS else 90


def _view(view: str | None) -> str:
    return view if view in VIEWS else "open"


def _collect(request: Request, days: int, view: str) -> dict[str, Any]:
    report = usage(service(request), days, view, BACKLOG_ROWS)
    stats, feedback = report["stats"], report["feedback"]
    records = service(request).store.queries.recent(TREND_ROWS)
    by_day = stats["by_day"]
    first = date.fromisoformat(stats["since"])
    days_axis = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    return {
        "stats": stats, "feedback": feedback, "zone_label": zone_label(stats["timezone"]),
        "domain_chart": bar_chart([Bar(r["domain"], r["count"]) for r in stats["by_domain"][:TOP_BARS]],
                                  title="各领域查询次数"),
        "region_chart": bar_chart([Bar(r["province"], r["count"]) for r in stats["by_region"][:TOP_BARS]],
                                  title="各地区查询次数"),
        "unspecified": next((r["count"] for r in stats["by_region"] if r["province"] == UNSPECIFIED), 0),
        "day_chart": line_chart({"查询次数": [(r["day"], r["count"]) for r in by_day],
                                 "暂无高度匹配": [(r["day"], r["no_fit"]) for r in by_day]},
                                days_axis, title="每日查询次数", width=800),
        "domain_trend": line_chart(trends(records, stats["since"], "domain"), days_axis,
                                   title="主要领域每日查询"),
        "region_trend": line_chart(trends(records, stats["since"], "region"), days_axis,
                                   title="主要地区每日查询"),
        "backlog": report["backlog"], "backlog_counts": report["backlog_counts"],
    }


def zone_label(name: str) -> str:
    return {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "PRC": "北京时间"}.get(name, name)


@router.get("/stats", response_class=HTMLResponse)
async def stats_page(request: Request, days: str = "90", backlog: str = "open") -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    period, view = _period(days), _view(backlog)
    data = await run_in_threadpool(_collect, request, period, view)
    return templates.TemplateResponse(request, "stats.html", {
        "days": period, "periods": PERIODS, "view": view, "views": VIEWS, "labels": BACKLOG_LABELS,
        "rerun": rerun_link, "export_query": urlencode({"days": period, "backlog": view}), **data})


@router.post("/stats/backlog")
async def set_backlog_status(request: Request) -> Response:
    """An editor marks one backlog question 已补充 / 不处理 (or back to 待收集)."""
    got = await editor_form(request)
    if isinstance(got, Response):
        return got
    user, form = got
    key, status = str(form.get("key") or ""), str(form.get("status") or "")
    try:
        await run_in_threadpool(mark_backlog, service(request), key, status, username(user))
    except (ValueError, LookupError) as exc:
        return message_page(request, "未能更新状态", str(exc), 422)
    back = urlencode({"days": _period(str(form.get("days") or "")), "backlog": _view(str(form.get("view") or ""))})
    return RedirectResponse(f"/stats?{back}#backlog", status_code=303)


@router.get("/stats/backlog.{fmt}")
async def export_backlog(request: Request, fmt: str, days: str = "90", backlog: str = "open") -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    if fmt not in ("csv", "xlsx"):
        return message_page(request, "无法导出", "导出格式应为 xlsx 或 csv", 404)
    period, view = _period(days), _view(backlog)
    items = await run_in_threadpool(backlog_items, service(request), period, view)
    base = str(request.base_url).rstrip("/")
    if fmt == "csv":
        data, media = await run_in_threadpool(backlog_csv, items, base), "text/csv; charset=utf-8"
    else:
        data, media = await run_in_threadpool(backlog_xlsx, items, base), XLSX
    name = f"待收集案例_{VIEWS[view]}_近{period}天_{localtime.today().isoformat()}.{fmt}"
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"backlog.{fmt}\"; filename*=UTF-8''{quote(name)}"})
