"""Small server-rendered SVG charts: grouped horizontal bars and a cumulative line against a deadline.

No JavaScript, no external library: the SVG is written here, its text escaped, with `role="img"`,
`<title>` and `<desc>` for screen readers (the page shows the same numbers as a table). Colours
come from presentation attributes and CSS classes (the CSP allows no inline styles). Horizontal
bars keep long German labels readable at 375 px.
"""

from __future__ import annotations

import datetime as dt
import itertools
from html import escape

from markupsafe import Markup

from workflows.formatting import format_date, format_eur, format_number, format_vza
from workflows.records.overview import BarChart, TimeChart

COLOURS = ("#1f5f99", "#d9822b", "#2e8540", "#8a1c7c")
_ids = itertools.count(1)


def value_text(value: float, unit: str) -> str:
    if unit == "€":
        return format_eur(value, 0)
    if unit == "VZÄ":
        return f"{format_vza(value)} VZÄ"
    return format_number(value, 0)


def _frame(width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    n = next(_ids)
    size = "chart-narrow" if width < 500 else "chart-wide"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {size}" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="chart-t{n} chart-d{n}" preserveAspectRatio="xMinYMin meet">'
        f'<title id="chart-t{n}">{escape(title)}</title><desc id="chart-d{n}">{escape(desc)}</desc>'
        + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "chart-label") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{cls}">{escape(text)}</text>'


def bar_chart(chart: BarChart, width: int = 640) -> Markup:
    """One block per group: its label above, one bar per series, the value at the bar's end."""
    left, right, bar, gap = 8, 110 if width < 500 else 150, 18, 4
    top = 28 if len(chart.series) > 1 else 8
    body: list[str] = []
    if len(chart.series) > 1:  # legend
        x = left
        for i, name in enumerate(chart.series):
            body.append(f'<rect x="{x}" y="6" width="14" height="14" fill="{COLOURS[i % 4]}"/>')
            body.append(_text(x + 20, 18, name))
            x += 30 + 9 * len(name)
    peak = max([v for _, values in chart.groups for v in values] + [0.0]) or 1.0
    span = width - left - right
    y = top
    for label, values in chart.groups:
        body.append(_text(left, y + 14, label, cls="chart-label chart-group"))
        y += 20
        for i, value in enumerate(values):
            length = max(0.0, value) / peak * span
            body.append(f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="{COLOURS[i % 4]}">'
                        f'<title>{escape(label)}, {escape(chart.series[i])}: {escape(value_text(value, chart.unit))}'
                        f'</title></rect>')
            body.append(_text(left + length + 6, y + bar - 4, value_text(value, chart.unit), cls="chart-value"))
            y += bar + gap
        y += 10
    if not chart.groups:
        body.append(_text(left, y + 14, "Keine Werte."))
        y += 24
    return _frame(width, y + 4, chart.title, chart.description, body)


def time_chart(chart: TimeChart, width: int = 640) -> Markup:
    """Answers received so far as a rising step line, the number expected as a dashed line, the deadline marked."""
    height, left, right, top, bottom = (260 if width >= 500 else 240), 44, 16, 16, 40
    days = [d for d, _ in chart.points] + [d for d in (chart.deadline, chart.start) if d]
    first = min(days) if days else dt.date.today()
    last = max(days) if days else first
    if chart.deadline:
        last = max(last, chart.deadline + dt.timedelta(days=1))
    span_days = max(1, (last - first).days)
    plot_w, plot_h = width - left - right, height - top - bottom
    total = max(chart.total, 1)

    def x(day: dt.date) -> float:
        return left + (day - first).days / span_days * plot_w

    def y(count: float) -> float:
        return top + plot_h - count / total * plot_h

    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" class="chart-axis"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="chart-axis"/>',
            _text(left - 6, y(0) + 4, "0", anchor="end"), _text(left - 6, y(chart.total) + 4, str(chart.total),
                                                                anchor="end"),
            f'<line x1="{left}" y1="{y(chart.total):.1f}" x2="{left + plot_w}" y2="{y(chart.total):.1f}" '
            f'class="chart-target"/>',
            _text(left + plot_w, y(chart.total) - 4, f"erwartet: {chart.total}", anchor="end"),
            _text(left, height - 8, format_date(first)), _text(left + plot_w, height - 8, format_date(last),
                                                               anchor="end")]
    if chart.deadline:
        dx = x(chart.deadline)
        body.append(f'<line x1="{dx:.1f}" y1="{top}" x2="{dx:.1f}" y2="{top + plot_h}" class="chart-deadline"/>')
        body.append(_text(dx - 4, top + 12, f"Frist {format_date(chart.deadline)}", anchor="end",
                          cls="chart-label chart-deadline-label"))
    path = [f"M{x(first):.1f},{y(0):.1f}"]
    for day, count in chart.points:
        path.append(f"H{x(day):.1f}V{y(count):.1f}")
    body.append(f'<path d="{"".join(path)}" fill="none" stroke="{COLOURS[0]}" stroke-width="3"/>')
    for day, count in chart.points:
        body.append(f'<circle cx="{x(day):.1f}" cy="{y(count):.1f}" r="4" fill="{COLOURS[0]}">'
                    f'<title>{format_date(day)}: {count} von {chart.total}</title></circle>')
    return _frame(width, height, chart.title, chart.description, body)


def render(chart: BarChart | TimeChart) -> Markup:
    """A wide and a narrow drawing (CSS shows one: text stays readable on a phone)."""
    draw = time_chart if isinstance(chart, TimeChart) else bar_chart
    return Markup(draw(chart, 640) + draw(chart, 340))  # type: ignore[arg-type]
