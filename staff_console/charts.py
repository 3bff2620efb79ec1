"""Bar charts as server-rendered SVG (no chart library, no script, no inline
style: the CSP stays strict). Markup is built with markupsafe so every label
is escaped. Each chart has a title and a text alternative, and the page
shows the same figures in a table for screen readers and copying."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
BAR_GAP = 6


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return step
    return value


def column_chart(title: str, points: Sequence[tuple[str, float]], height: int = 200) -> Markup:
    """Vertical bars, one per label (days), with the top value marked."""
    top = _nice_max(max((v for _, v in points), default=0))
    left, bottom, right, head = 36, 40, 8, 16
    plot_w, plot_h = WIDTH - left - right, height - bottom - head
    n = max(len(points), 1)
    bar_w = max((plot_w - BAR_GAP * (n - 1)) / n, 2)
    desc = ", ".join(f"{label}: {value:g}" for label, value in points)
    parts: list[str] = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="t-{id(points)}">',
        f'<title id="t-{id(points)}">{escape(title)}: {escape(desc)}</title>',
        f'<line class="axis" x1="{left}" y1="{head + plot_h}" x2="{WIDTH - right}" y2="{head + plot_h}"/>',
        f'<text class="tick" x="{left - 4}" y="{head + 4}" text-anchor="end">{top:g}</text>',
        f'<text class="tick" x="{left - 4}" y="{head + plot_h}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(points):
        h = plot_h * (value / top) if top else 0
        x = left + i * (bar_w + BAR_GAP)
        y = head + plot_h - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}"/>'
        )
        if value:
            parts.append(
                f'<text class="value" x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{value:g}</text>'
            )
        if n <= 16:
            parts.append(
                f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{head + plot_h + 14}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(title: str, points: Sequence[tuple[str, float]], unit: str = "") -> Markup:
    """Horizontal bars with their labels (topics, outcomes)."""
    row, label_w, right = 24, 170, 60
    height = max(len(points), 1) * row + 8
    top = max((v for _, v in points), default=0) or 1
    plot_w = WIDTH - label_w - right
    desc = ", ".join(f"{label}: {value:g}{unit}" for label, value in points) or "no data"
    parts: list[str] = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="t-{id(points)}">',
        f'<title id="t-{id(points)}">{escape(title)}: {escape(desc)}</title>',
    ]
    for i, (label, value) in enumerate(points):
        y = 4 + i * row
        w = plot_w * value / top
        parts.append(
            f'<text class="label" x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}"/>'
        )
        parts.append(
            f'<text class="value" x="{label_w + w + 4:.1f}" y="{y + 15}">{value:g}{escape(unit)}</text>'
        )
    if not points:
        parts.append(f'<text class="label" x="{label_w}" y="18">No data yet</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
