"""Server-rendered SVG charts that stay readable without colour (BITV 2.0 / WCAG 2.1 AA).

Series differ by dash pattern, marker shape and a text label at the line's end; the two bars
of a pair differ by fill (solid vs. hatched). Colours differ too, but only as a bonus.
Backlog counts and shares are never negative, so negative values are clamped at 0.
The svg carries no width or height: it fills its container, the page may cap it with CSS.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

INK = "#1a1a1a"
GRID = "#d0d0d0"
# Every colour has at least 7:1 contrast against white.
COLOURS = ("#1a1a1a", "#0b4f8a", "#8a3b00", "#4b2a7a", "#1d5e2c", "#7a1f3d")
DASHES = ("none", "10 5", "3 4", "10 4 2 4", "18 5", "2 2")
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down", "plus")
NO_DATA = "Keine Daten"
FONT_SIZE = 12
CHAR_WIDTH = 7.0  # rough average glyph width at 12 px; only used to leave room for labels
MARKER_LIMIT = 40  # beyond this many points, a marker on each would blur the line into a band
LEFT, BOTTOM, ROW = 64.0, 30.0, 20.0

_PLUS = (
    "-.4 -1.3 .4 -1.3 .4 -.4 1.3 -.4 1.3 .4 .4 .4 .4 1.3 -.4 1.3 -.4 .4 -1.3 .4 -1.3 -.4 -.4 -.4"
)
_POLYGONS = {
    "triangle": "0 -1.25 1.1 .9 -1.1 .9",
    "diamond": "0 -1.3 1.3 0 0 1.3 -1.3 0",
    "triangle-down": "0 1.25 1.1 -.9 -1.1 -.9",
    "plus": _PLUS,
}

Points = Sequence[tuple[date, float | None]]


@dataclass(frozen=True)
class Series:
    label: str
    points: Points


@dataclass(frozen=True)
class _Plot:
    left: float
    top: float
    right: float
    bottom: float
    y_max: float

    def y(self, value: float) -> float:
        return self.bottom - (self.bottom - self.top) * value / self.y_max


def format_number(value: float) -> str:
    """German digits, at most two decimals: 12500 -> "12.500", 2.5 -> "2,5"."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.translate(str.maketrans(",.", ".,"))


def format_percent(share: float) -> str:
    """A share 0..1 as German percent: 0.4 -> "40 %"."""
    return f"{format_number(round(share * 100, 1))} %"


def nice_axis(highest: float) -> tuple[float, float]:
    """Axis maximum and tick step of 1, 2, 2.5 or 5 × 10^n, giving 4 to 6 ticks with 0."""
    if not highest > 0:  # also catches NaN; an empty range still needs a visible axis
        return 1.0, 0.2
    # One decade below the value every step gives more than 5 intervals; go up from there.
    exponent = math.floor(math.log10(highest)) - 1
    while True:
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * 10.0**exponent
            intervals = math.ceil(highest / step - 1e-9)
            if intervals <= 5:
                return round(intervals * step, 12), step
        exponent += 1


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _el(tag: str, content: str | None = None, /, **attrs: str | float) -> str:
    """An element; `cls` becomes class and underscores hyphens (stroke_width: stroke-width)."""
    parts = "".join(
        f" {'class' if key == 'cls' else key.replace('_', '-')}="
        + quoteattr(value if isinstance(value, str) else _num(value))
        for key, value in attrs.items()
    )
    return f"<{tag}{parts}/>" if content is None else f"<{tag}{parts}>{content}</{tag}>"


def _text(x: float, y: float, content: str, cls: str, **attrs: str | float) -> str:
    attrs = {"text_anchor": "start", "fill": INK, **attrs}
    return _el("text", escape(content), x=x, y=y, cls=cls, font_size=FONT_SIZE, **attrs)


def _chart_id(*content: object) -> str:
    # A hash, not a counter: the same chart renders the same bytes in every request.
    return "chart-" + hashlib.sha256(repr(content).encode()).hexdigest()[:12]


def _clean(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return max(0.0, float(value))


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: list[str]) -> Markup:
    # The id is hex from _chart_id, safe to write into the tag unescaped.
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
    svg += f' aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart"'
    svg += ' font-family="sans-serif">' + _el("title", escape(title), id=f"{chart_id}-title")
    svg += _el("desc", escape(desc), id=f"{chart_id}-desc")
    return Markup(svg + "".join(body) + "</svg>")


def _no_data(chart_id: str, title: str, width: int, height: int) -> Markup:
    message = _text(width / 2, height / 2, NO_DATA, "no-data", text_anchor="middle")
    return _svg(chart_id, title, f"{NO_DATA}.", width, height, [message])


def _legend_positions(widths: Sequence[float], width: int) -> list[tuple[float, float]]:
    """Left edge and baseline of each legend entry; rows wrap so nothing leaves the picture."""
    positions: list[tuple[float, float]] = []
    x, y = 8.0, 18.0
    for item in widths:
        if x + item > width - 8 and x > 8:
            x, y = 8.0, y + ROW
        positions.append((x, y))
        x += item + 20
    return positions


def _marker(shape: str, x: float, y: float, colour: str, size: float = 4.0) -> str:
    look: dict[str, str | float] = {"cls": f"marker marker-{shape}", "fill": colour}
    if shape == "circle":
        return _el("circle", cx=x, cy=y, r=size, **look)
    if shape == "square":
        return _el("rect", x=x - size, y=y - size, width=2 * size, height=2 * size, **look)
    offsets = [float(n) * size for n in _POLYGONS[shape].split()]
    corners = " ".join(
        f"{_num(x + dx)},{_num(y + dy)}" for dx, dy in zip(offsets[::2], offsets[1::2], strict=True)
    )
    return _el("polygon", points=corners, **look)


def _y_axis(plot: _Plot, step: float, fmt: Callable[[float], str]) -> list[str]:
    out: list[str] = []
    for i in range(round(plot.y_max / step) + 1):
        y = plot.y(i * step)
        stroke = GRID if i else INK  # the zero line doubles as the x axis
        out.append(_el("line", cls="grid", x1=plot.left, x2=plot.right, y1=y, y2=y, stroke=stroke))
        out.append(_text(plot.left - 6, y + 4, fmt(i * step), "tick-y", text_anchor="end"))
    return out


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _date_ticks(first: date, last: date) -> list[tuple[date, str]]:
    span = (last - first).days
    if span > 120:  # day labels would come too thick to tell apart; show months
        month = first if first.day == 1 else _next_month(first)
        months: list[date] = []
        while month <= last:
            months.append(month)
            month = _next_month(month)
        return [(m, f"{m:%m/%Y}") for m in months[:: math.ceil(len(months) / 6)]]
    days = [first + timedelta(days=n) for n in range(0, span + 1, max(1, math.ceil(span / 5)))]
    return [(d, f"{d:%d.%m.}") for d in days]


def _segments(points: Points) -> list[list[tuple[date, float]]]:
    """Runs of consecutive values; a None ends a run so no line is drawn across a gap."""
    runs: list[list[tuple[date, float]]] = [[]]
    for day, value in points:
        if value is None:
            runs.append([])
        else:
            runs[-1].append((day, value))
    return [run for run in runs if run]


def _spread(ys: Sequence[float], gap: float) -> list[float]:
    """Pushes end labels apart vertically so lines ending close together stay legible."""
    out, previous = list(ys), -math.inf
    for i in sorted(range(len(ys)), key=lambda i: ys[i]):
        out[i] = previous = max(ys[i], previous + gap)
    return out


def _series_marks(
    runs: list[list[tuple[date, float]]],
    to_xy: Callable[[date, float], tuple[float, float]],
    shape: str,
    stroke: dict[str, str],
) -> str:
    """One path per run, plus markers: every k-th, always isolated points and the last one."""
    total = sum(len(run) for run in runs)
    every = 1 if total <= MARKER_LIMIT else math.ceil(total / (MARKER_LIMIT / 2))
    parts, count = [], 0
    for run in runs:
        coords = [to_xy(day, value) for day, value in run]
        if len(coords) > 1:
            d = "M" + " L".join(f"{_num(x)},{_num(y)}" for x, y in coords)
            parts.append(_el("path", cls="series-line", d=d, fill="none", **stroke))
        for j, (x, y) in enumerate(coords):
            if count % every == 0 or len(coords) == 1 or (run is runs[-1] and j == len(run) - 1):
                parts.append(_marker(shape, x, y, stroke["stroke"]))
            count += 1
    return "".join(parts)


def line_chart(
    *,
    title: str,
    series: Sequence[Series],
    y_label: str,
    marker: tuple[date, str] | None = None,
    percent: bool = False,
    width: int = 720,
    height: int = 280,
) -> Markup:
    """Lines over days; a run of a single day shows as its marker only."""
    chart_id = _chart_id("line", title, y_label, marker, percent, width, height, series)
    cleaned = [sorted(((d, _clean(v)) for d, v in s.points), key=lambda p: p[0]) for s in series]
    values = [v for points in cleaned for _, v in points if v is not None]
    if not values:
        return _no_data(chart_id, title, width, height)
    fmt = format_percent if percent else format_number

    legend = _legend_positions([48 + len(s.label) * CHAR_WIDTH for s in series], width)
    label_room = min(max(len(s.label) for s in series) * CHAR_WIDTH + 16, width / 3)
    y_max, step = nice_axis(max(values))
    top = legend[-1][1] + ROW + 18
    plot = _Plot(LEFT, top, width - label_room, height - BOTTOM, y_max)
    days = [d for points in cleaned for d, _ in points] + ([marker[0]] if marker else [])
    first, span = min(days), (max(days) - min(days)).days

    def x_of(day: date) -> float:
        if span == 0:
            return (plot.left + plot.right) / 2
        return plot.left + (plot.right - plot.left) * (day - first).days / span

    body = [*_y_axis(plot, step, fmt), _text(8, top - 10, y_label, "y-label")]
    for day, text in _date_ticks(first, max(days)):
        x = x_of(day)
        body.append(_el("line", x1=x, x2=x, y1=plot.bottom, y2=plot.bottom + 5, stroke=INK))
        body.append(_text(x, plot.bottom + 18, text, "tick-x", text_anchor="middle"))
    if marker:
        x = x_of(marker[0])
        rule = {"x1": x, "x2": x, "y1": plot.top, "y2": plot.bottom}
        body.append(_el("line", cls="marker-rule", stroke=INK, stroke_dasharray="4 4", **rule))
        # A white halo keeps the label readable where it crosses a line.
        halo: dict[str, str | float] = {
            "stroke": "#ffffff",
            "stroke_width": 4,
            "paint_order": "stroke",
        }
        body.append(_text(x + 4, plot.top + 12, marker[1], "marker-label", **halo))

    ends: list[tuple[float, float, str, str]] = []
    for i, (item, points) in enumerate(zip(series, cleaned, strict=True)):
        colour, shape = COLOURS[i % 6], MARKERS[i % 6]
        stroke = {"stroke": colour, "stroke_width": "2.5", "stroke_dasharray": DASHES[i % 6]}
        lx, ly = legend[i]
        sample = _el("line", x1=lx, x2=lx + 40, y1=ly - 4, y2=ly - 4, **stroke)
        sample += _marker(shape, lx + 20, ly - 4, colour)
        sample += _text(lx + 48, ly, item.label, "legend-label")
        body.append(_el("g", sample, cls="legend-entry"))

        runs = _segments(points)
        marks = _series_marks(runs, lambda d, v: (x_of(d), plot.y(v)), shape, stroke)
        body.append(_el("g", marks, cls="series", data_label=item.label))
        if runs:
            end_day, end_value = runs[-1][-1]
            ends.append((x_of(end_day), plot.y(end_value), item.label, colour))

    for (x, _, label, colour), y in zip(ends, _spread([e[1] for e in ends], 14), strict=True):
        body.append(_text(x + 8, y + 4, label, "end-label", fill=colour))
    return _svg(chart_id, title, _line_desc(series, cleaned, fmt), width, height, body)


def _line_desc(
    series: Sequence[Series], cleaned: Sequence[Points], fmt: Callable[[float], str]
) -> str:
    sentences = []
    for item, points in zip(series, cleaned, strict=True):
        valued = [(d, v) for d, v in points if v is not None]
        ends = valued[:1] + valued[1:][-1:]
        said = ", ".join(f"{fmt(v)} am {d:%d.%m.%Y}" for d, v in ends) or "keine Werte"
        sentences.append(f"{item.label}: {said}.")
    return " ".join(sentences)


def paired_bars(
    *,
    title: str,
    groups: Sequence[tuple[str, float | None, float | None]],
    first_label: str = "Basislinie",
    second_label: str = "Heute",
    percent: bool = False,
    width: int = 720,
    height: int = 280,
) -> Markup:
    """Two bars per group: the first solid, the second hatched; a missing value shows "–"."""
    chart_id = _chart_id("bars", title, first_label, second_label, percent, width, height, groups)
    cleaned = [(label, _clean(a), _clean(b)) for label, a, b in groups]
    values = [v for _, a, b in cleaned for v in (a, b) if v is not None]
    if not values:
        return _no_data(chart_id, title, width, height)
    fmt = format_percent if percent else format_number
    hatch = f"{chart_id}-hatch"
    fills = (COLOURS[1], f"url(#{hatch})")

    labels = (first_label, second_label)
    legend = _legend_positions([22 + len(label) * CHAR_WIDTH for label in labels], width)
    y_max, step = nice_axis(max(values))
    plot = _Plot(LEFT, legend[-1][1] + ROW + 12, width - 16.0, height - BOTTOM, y_max)
    lines = _el("rect", width=6, height=6, fill="#ffffff")
    lines += _el("line", x1=0, y1=0, x2=0, y2=6, stroke=INK, stroke_width=2.5)
    pattern = _el(
        "pattern", lines, id=hatch, patternUnits="userSpaceOnUse", width=6, height=6,
        patternTransform="rotate(45)",
    )  # fmt: skip
    body = [_el("defs", pattern), *_y_axis(plot, step, fmt)]
    for (lx, ly), label, fill in zip(legend, labels, fills, strict=True):
        swatch = _el("rect", x=lx, y=ly - 12, width=14, height=14, fill=fill, stroke=INK)
        body.append(
            _el("g", swatch + _text(lx + 22, ly, label, "legend-label"), cls="legend-entry")
        )

    slot = (plot.right - plot.left) / len(cleaned)
    bar_width = min(slot * 0.36, 56.0)
    for i, (label, *pair) in enumerate(cleaned):
        centre = plot.left + slot * (i + 0.5)
        for j, value in enumerate(pair):
            x = centre - bar_width - 2 if j == 0 else centre + 2
            y = plot.y(value or 0.0)
            if value is None:
                body.append(_text(x + bar_width / 2, y - 4, "–", "value", text_anchor="middle"))
                continue
            cls = ("bar bar-first", "bar bar-second")[j]
            box = {"x": x, "y": y, "width": bar_width, "height": plot.bottom - y}
            body.append(_el("rect", cls=cls, fill=fills[j], stroke=INK, stroke_width=1.5, **box))
            body.append(_text(x + bar_width / 2, y - 4, fmt(value), "value", text_anchor="middle"))
        body.append(_text(centre, plot.bottom + 18, label, "group-label", text_anchor="middle"))

    def said(value: float | None) -> str:
        return "keine Angabe" if value is None else fmt(value)

    pairs = "; ".join(f"{label} {said(a)} und {said(b)}" for label, a, b in cleaned)
    desc = f"{first_label} und {second_label} je Gruppe: {pairs}."
    return _svg(chart_id, title, desc, width, height, body)
