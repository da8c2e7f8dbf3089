"""Small charts as inline SVG, drawn on the server: no JS chart library, works offline and prints."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

LEGEND_PER_ROW = 3
PALETTE = ("#b22222", "#1f5fa8", "#2e7d32", "#a86b00", "#6a4c93", "#00796b")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float


def bar_chart(bars: list[Bar], *, title: str, unit: str = "次", width: int = 420,
              row: int = 24, label_width: int = 112) -> Markup:
    """Horizontal bars, one per label; labels (Chinese) never rotate, so they stay readable."""
    if not bars:
        return Markup('<p class="muted">暂无数据</p>')
    top = max(b.value for b in bars) or 1
    plot = width - label_width - 60
    height = row * len(bars) + 8
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, b in enumerate(bars):
        y = i * row + 4
        w = max(1.0, plot * b.value / top)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row / 2 + 4}" text-anchor="end" class="lbl">{escape(b.label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="2" fill="{PALETTE[0]}"/>'
            f'<text x="{label_width + w + 6:.1f}" y="{y + row / 2 + 4}" class="val">{b.value:g}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(series: dict[str, list[tuple[str, float]]], days: list[str], *, title: str,
               width: int = 480, height: int = 180) -> Markup:
    """One line per series over `days` (every day of the period, so quiet days show as zero)."""
    if not days or not any(points for points in series.values()):
        return Markup('<p class="muted">暂无数据</p>')
    left, right, top_pad = 40, 16, 12
    legend_rows = math.ceil(len(series) / LEGEND_PER_ROW)
    plot_w, plot_h = width - left - right, height - top_pad - 24
    total_h = height + 18 * legend_rows
    top = max((v for points in series.values() for _, v in points), default=1) or 1
    step = plot_w / max(1, len(days) - 1)
    xs = {d: left + i * step for i, d in enumerate(days)}

    def y(v: float) -> float:
        return top_pad + plot_h * (1 - v / top)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {total_h}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" class="axis"/>',
             f'<line x1="{left}" y1="{y(top):.1f}" x2="{width - right}" y2="{y(top):.1f}" class="grid"/>',
             f'<text x="{left - 6}" y="{y(top) + 4:.1f}" text-anchor="end" class="val">{top:g}</text>',
             f'<text x="{left - 6}" y="{y(0) + 4:.1f}" text-anchor="end" class="val">0</text>',
             f'<text x="{left}" y="{y(0) + 16:.1f}" class="val">{escape(days[0])}</text>',
             f'<text x="{width - right}" y="{y(0) + 16:.1f}" text-anchor="end" class="val">{escape(days[-1])}</text>']
    for i, (name, points) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        values = dict(points)
        coords = " ".join(f"{xs[d]:.1f},{y(values.get(d, 0)):.1f}" for d in days)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2" '
                     f'stroke-linejoin="round"/>')
        last = days[-1]
        parts.append(f'<circle cx="{xs[last]:.1f}" cy="{y(values.get(last, 0)):.1f}" r="3" fill="{color}"/>')
        for d in days:  # days with queries: a dot that names its (local) day and count on hover/tap
            if values.get(d):
                parts.append(f'<circle cx="{xs[d]:.1f}" cy="{y(values[d]):.1f}" r="2.5" fill="{color}" '
                             f'data-day="{escape(d)}"><title>{escape(name)} {escape(d)}：{values[d]:g}</title></circle>')
        lx = left + (i % LEGEND_PER_ROW) * ((width - left) // LEGEND_PER_ROW)
        ly = height + 12 + (i // LEGEND_PER_ROW) * 18
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="{ly}" class="lbl">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
