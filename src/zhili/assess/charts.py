"""Radar chart of the dimensions and a sparkline of the total, as inline SVG strings.

Drawn on the server like the statistics charts: no script, works offline, prints as shown.
Labels are escaped here; the pages mark the string safe.
"""

from __future__ import annotations

import math
from html import escape

RED = "#b22222"
BLUE = "#1f5fa8"


def radar(dimensions: list[tuple[str, float, float | None]], *, title: str, size: int = 360) -> str:
    """One axis per dimension (score 0–100); the post's required profile dashed when given."""
    n = len(dimensions)
    if n < 3:
        return ""
    cx = cy = size / 2
    radius = size / 2 - 70
    pad = 0

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * max(0.0, min(100.0, value)) / 100
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    parts = [f'<svg class="chart radar" viewBox="0 0 {size} {size + pad}" width="{size}" height="{size}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for ring in (20, 40, 60, 80, 100):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon points="{pts}" fill="none" stroke="#ddd" stroke-width="1"/>')
    for i, (name, score, _) in enumerate(dimensions):
        x, y = point(i, 100)
        parts.append(f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#ccc"/>')
        lx, ly = point(i, 122)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        parts.append(f'<text x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}" class="lbl">{escape(name)}</text>'
                     f'<text x="{lx:.1f}" y="{ly + 18:.1f}" text-anchor="{anchor}" class="val">{score:g}</text>')
    required = [r for _, _, r in dimensions]
    if all(r is not None for r in required):
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, r or 0) for i, r in enumerate(required)))
        parts.append(f'<polygon points="{pts}" fill="none" stroke="{BLUE}" stroke-width="1.5" stroke-dasharray="5 3" '
                     f'data-series="required"><title>岗位要求</title></polygon>')
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, s) for i, (_, s, _) in enumerate(dimensions)))
    parts.append(f'<polygon points="{pts}" fill="{RED}" fill-opacity="0.18" stroke="{RED}" stroke-width="2" '
                 f'data-series="score"/>')
    for i, (name, s, _) in enumerate(dimensions):
        x, y = point(i, s)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{RED}"><title>{escape(name)}：{s:g}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def sparkline(points: list[tuple[str, float]], *, title: str, width: int = 120, height: int = 28) -> str:
    """The total over periods; the last point marked. One period: a dot."""
    if not points:
        return ""
    values = [v for _, v in points]
    lo, hi = min(values + [60.0]), max(values + [100.0])
    span = (hi - lo) or 1
    step = (width - 8) / max(1, len(points) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return 4 + i * step, 4 + (height - 8) * (1 - (v - lo) / span)

    coords = [xy(i, v) for i, v in enumerate(values)]
    label = "，".join(f"{p} {v:g}" for p, v in points)
    parts = [f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}：{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
             f"<title>{escape(title)}：{escape(label)}</title>"]
    if len(coords) > 1:
        parts.append('<polyline points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
                     + f'" fill="none" stroke="{BLUE}" stroke-width="1.5"/>')
    x, y = coords[-1]
    falling = len(values) > 1 and values[-1] < values[-2]
    parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{RED if falling else BLUE}"/></svg>')
    return "".join(parts)
