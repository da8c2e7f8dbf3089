"""统计: what cadres ask about (per domain, per region, over time) and the no-fit backlog.

Charts are inline SVG drawn here, so the page works offline and prints as it looks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ..charts import Bar, bar_chart, line_chart
from ..deps import gate, service
from ..forms import int_param
from ..templating import templates

router = APIRouter()
PERIODS = (7, 30, 90, 365)
TOP_BARS = 15
TOP_LINES = 5
TREND_ROWS = 10_000  # queries read for the per-domain/region trend lines


def trends(records: list[Any], since: str, key: str) -> dict[str, list[tuple[str, float]]]:
    """Per-day counts of the most asked domains (or regions) since `since` ("YYYY-MM-DD", UTC day)."""
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for r in records:
        day = r.created_at.date().isoformat()
        if day < since:
            continue
        labels = r.domains if key == "domain" else [r.province or "未指定"]
        for label in labels:
            per_day[label][day] += 1
            totals[label] += 1
    return {label: sorted(per_day[label].items()) for label, _ in totals.most_common(TOP_LINES)}


def _collect(request: Request, days: int) -> dict[str, Any]:
    store = service(request).store
    stats = store.queries.stats(days=days)
    records = store.queries.recent(TREND_ROWS)
    feedback = store.feedback.summary()
    by_day = stats["by_day"]
    first = date.fromisoformat(stats["since"])
    days_axis = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    return {
        "stats": stats, "feedback": feedback,
        "domain_chart": bar_chart([Bar(r["domain"], r["count"]) for r in stats["by_domain"][:TOP_BARS]],
                                  title="各领域查询次数"),
        "region_chart": bar_chart([Bar(r["province"], r["count"]) for r in stats["by_region"][:TOP_BARS]],
                                  title="各地区查询次数"),
        "day_chart": line_chart({"查询次数": [(r["day"], r["count"]) for r in by_day],
                                 "暂无高度匹配": [(r["day"], r["no_fit"]) for r in by_day]},
                                days_axis, title="每日查询次数", width=800),
        "domain_trend": line_chart(trends(records, stats["since"], "domain"), days_axis,
                                   title="主要领域每日查询"),
        "region_trend": line_chart(trends(records, stats["since"], "region"), days_axis,
                                   title="主要地区每日查询"),
        "backlog": store.queries.no_fit(100),
    }


@router.get("/stats", response_class=HTMLResponse)
async def stats_page(request: Request, days: str = "90") -> Response:
    user = gate(request, "editor")
    if isinstance(user, Response):
        return user
    period = int_param(days, 90)
    period = period if period in PERIODS else 90
    data = await run_in_threadpool(_collect, request, period)
    return templates.TemplateResponse(request, "stats.html", {"days": period, "periods": PERIODS, **data})
