"""Charts drawn on the server: accessible SVG with a table of the same figures.

Every chart is a pure function of plain data (numbers, dates, strings) returning a `Chart`:
its `svg` (Markup, ready for a template), and the `columns` and `rows` of a table that says
the same thing, for screen-reader users and anyone who wants the numbers. Draw both with

    {% from "components/charts.html" import chart %}
    {{ chart(profile) }}

What every chart does, so pages need not think about it:

- `<svg role="img" aria-labelledby=...>` with a `<title>` and a `<desc>` (a sentence or two
  summing up the figures); no script, no inline style (the Content-Security-Policy allows
  neither), only presentation attributes, so it draws the same in a browser and a PDF.
- Colours from the GOV.UK Frontend palette, never the only cue: series differ by pattern,
  line dash and marker shape too, values are written on bars, and the need levels are named.
- Element ids are prefixed with `id` (by default made from the title), so two charts on a
  page never share one.

Charts:
    needs_profile_chart(domains, current, previous, title)  13 domains on 0-10, levels shaded
    trajectory_chart(points, per_domain, title)              total needs over time, by provider
    scatter_chart(points, x_label, y_label, title, r)
    bar_chart(categories, series, title)                     grouped horizontal bars
    lorenz_chart(points, title)                              cumulative shares, with Gini
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from markupsafe import Markup, escape

# GOV.UK Frontend 6 palette (settings/_colours-palette--internal.scss).
BLACK = "#0b0c0c"
DARK_GREY = "#484949"
MID_GREY = "#cecece"
LIGHT_GREY = "#f3f3f3"
WHITE = "#ffffff"
BLUE = "#1d70b8"
DARK_BLUE = "#0f385c"
GREEN = "#0f7a52"
TEAL = "#158187"
PURPLE = "#54319f"
MAGENTA = "#ca357c"
RED = "#ca3535"
ORANGE = "#f47738"
ORANGE_DARK = "#b7592a"
BROWN = "#99704a"

# Series: a colour, a fill pattern, a line dash and a marker shape each, so a reader who
# cannot tell the colours apart can still tell the series apart.
SERIES_COLOURS = (BLUE, ORANGE_DARK, GREEN, PURPLE, MAGENTA, TEAL, BROWN, DARK_GREY)
PATTERNS = ("solid", "diagonal", "dots", "cross", "horizontal", "vertical", "diagonal-back", "grid")
DASHES = ("", "8 4", "2 3", "10 3 2 3", "4 4", "12 4", "1 5", "6 2 2 2")
MARKERS = ("circle", "square", "triangle", "diamond", "circle-open", "square-open", "triangle-open", "cross")

# Need levels (shared/design/NEEDS.md): 0 none, 1-3 minor, 4-6 moderate, 7-10 severe and complex.
# On the 0-10 axis a score's bar ends inside its band: minor (0, 3], moderate (3, 6], severe (6, 10].
LEVEL_BANDS = (
    ("Minor", "1 to 3", 0, 3, "#e7f1ed"),  # between green tint-80 and tint-95
    ("Moderate", "4 to 6", 3, 6, "#fff8cc"),  # yellow tint-80
    ("Severe and complex", "7 to 10", 6, 10, "#f4d7d7"),  # red tint-80
)
MAX_SCORE = 10

FONT = "arial, sans-serif"


@dataclass(frozen=True)
class Chart:
    """A drawn chart and the table that says the same thing."""

    title: str
    description: str
    svg: Markup
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # How many leading cells of each row name it (drawn as row headers).
    row_headers: int = 1
    # Notes shown under the table (what a symbol means, a figure left out).
    notes: tuple[str, ...] = field(default=())

    def __html__(self) -> str:
        return str(self.svg)


def level_name(score: int) -> str:
    if score <= 0:
        return "None"
    if score <= 3:
        return "Minor"
    if score <= 6:
        return "Moderate"
    return "Severe and complex"


# --------------------------------------------------------------------------- the needs profile


def needs_profile_chart(domains: Sequence[tuple[str, str]], current: Mapping[str, int],
                        previous: Mapping[str, int] | None = None, title: str = "Needs profile",
                        *, id: str | None = None, current_label: str = "This assessment",
                        previous_label: str = "Previous assessment") -> Chart:
    """One horizontal bar a domain, 0-10, over shaded need-level bands; the previous
    assessment's score a black diamond on the same row."""
    prefix = _prefix(id, title)
    label_w, plot_w, right = 270, 420, 40
    top, row_h, bar_h = 62, 30, 16
    width = label_w + plot_w + right
    height = top + row_h * len(domains) + 72

    def x(score: float) -> float:
        return label_w + plot_w * max(0.0, min(score, MAX_SCORE)) / MAX_SCORE

    parts: list[str] = []
    # Level bands, named across the top so colour is not the only cue.
    for name, scores, lo, hi, fill in LEVEL_BANDS:
        parts.append(_rect(x(lo), top - 8, x(hi) - x(lo), row_h * len(domains) + 8, fill, cls="level-band"))
        cx = (x(lo) + x(hi)) / 2
        parts.append(_text(cx, top - 30, name if name != "Severe and complex" else "Severe", anchor="middle",
                           size=13, weight="bold"))
        parts.append(_text(cx, top - 15, scores, anchor="middle", size=12, fill=DARK_GREY))
    # Grid and axis.
    axis_y = top + row_h * len(domains)
    for tick in range(MAX_SCORE + 1):
        parts.append(_line(x(tick), top - 8, x(tick), axis_y, DARK_GREY if tick in (0, 3, 6) else MID_GREY, 1))
        parts.append(_text(x(tick), axis_y + 16, str(tick), anchor="middle", size=12))
    parts.append(_line(label_w, axis_y, label_w + plot_w, axis_y, BLACK, 1))
    parts.append(_text(label_w + plot_w / 2, axis_y + 34, "Score (0 = no evidence of need)", anchor="middle",
                       size=12, fill=DARK_GREY))

    rows: list[tuple[str, ...]] = []
    for i, (key, label) in enumerate(domains):
        cy = top + row_h * i + row_h / 2
        score = current.get(key)
        parts.append(_text(label_w - 10, cy + 5, label, anchor="end", size=14))
        if score is not None:
            w = x(score) - x(0)
            parts.append(f'<rect class="bar" data-domain="{escape(key)}" data-score="{int(score)}" '
                         f'x="{_n(x(0))}" y="{_n(cy - bar_h / 2)}" width="{_n(w)}" height="{bar_h}" '
                         f'fill="{BLUE}"/>')
            parts.append(_text(x(score) + 5, cy + 5, str(score), size=13, weight="bold"))
        before = previous.get(key) if previous else None
        if before is not None:
            parts.append(_marker("diamond", x(before), cy, 7, BLACK, cls="previous",
                                 data={"domain": key, "score": int(before)}))
        change = "" if before is None or score is None else _signed(score - before)
        rows.append((label, "" if score is None else str(score), "" if score is None else level_name(score),
                     *(("" if before is None else str(before), change) if previous is not None else ())))

    # Legend.
    ly = height - 6
    parts.append(_rect(label_w, ly - 11, 22, 12, BLUE))
    parts.append(_text(label_w + 28, ly, current_label, size=13))
    if previous is not None:
        lx = label_w + 40 + _text_width(current_label, 13)
        parts.append(_marker("diamond", lx + 8, ly - 5, 7, BLACK))
        parts.append(_text(lx + 20, ly, previous_label, size=13))

    total = sum(v for v in current.values() if v is not None)
    severe = sum(1 for v in current.values() if v is not None and v >= 7)
    action = sum(1 for v in current.values() if v is not None and v >= 4)
    description = (f"{current_label}: total {total} out of {MAX_SCORE * len(domains)}; "
                   f"{_count(severe, 'domain')} severe and complex; {_count(action, 'domain')} needing action "
                   "(moderate or severe).")
    if previous:
        before_total = sum(v for v in previous.values() if v is not None)
        description += f" {previous_label}: total {before_total} ({_signed(total - before_total)})."
    columns = ("Domain", "Score", "Level")
    if previous is not None:
        columns += (previous_label, "Change")
    return Chart(title, description, _svg(prefix, width, height, title, description, parts), columns, tuple(rows))


# --------------------------------------------------------------------------- needs over time


def trajectory_chart(points: Sequence[tuple[date, int, str | None]],
                     per_domain: Mapping[str, Sequence[tuple[date, int]]] | None = None,
                     title: str = "Needs over time", *, id: str | None = None,
                     domain_labels: Mapping[str, str] | None = None, max_total: int | None = None,
                     no_provider: str = "No provider recorded") -> Chart:
    """Total needs at each assessment, joined by lines. The line into a point is drawn in the
    style of that point's provider (the provider caring for the child when that assessment
    was made), so the change over each placement is seen in its provider's colour.
    `per_domain` adds a small chart a domain under the total, and a column each to the table."""
    prefix = _prefix(id, title)
    points = sorted(points, key=lambda p: p[0])
    providers: list[str] = []
    for _, _, provider in points:
        name = provider or no_provider
        if name not in providers:
            providers.append(name)
    style = {name: i % len(SERIES_COLOURS) for i, name in enumerate(providers)}

    left, plot_w, right = 56, 620, 24
    top, plot_h = 20, 240
    width = left + plot_w + right
    legend_rows = math.ceil(len(providers) / 2) if providers else 0
    main_h = top + plot_h + 44 + legend_rows * 22
    cells: list[tuple[str, str]] = []
    if per_domain:
        labels = domain_labels or {}
        cells = [(key, labels.get(key, key.replace("_", " ").capitalize())) for key in per_domain]
    cols, cell_w, cell_h = 3, (plot_w + left) / 3, 92
    height = main_h + (math.ceil(len(cells) / cols) * cell_h + 36 if cells else 0)

    dates = [p[0] for p in points] + [d for series in (per_domain or {}).values() for d, _ in series]
    first, last = (min(dates), max(dates)) if dates else (date.today(), date.today())
    span = max((last - first).days, 1)
    top_value = max_total or _nice_ceiling(max([p[1] for p in points] + [10]))

    def x(day: date, x0: float = left, w: float = plot_w) -> float:
        if first == last:
            return x0 + w / 2
        return x0 + w * (day - first).days / span

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    parts: list[str] = []
    for tick in _ticks(top_value):
        parts.append(_line(left, y(tick), left + plot_w, y(tick), MID_GREY if tick else BLACK, 1))
        parts.append(_text(left - 8, y(tick) + 4, _fmt(tick), anchor="end", size=12))
    parts.append(_text(14, top + plot_h / 2, "Total needs score", anchor="middle", size=12, fill=DARK_GREY,
                       rotate=True))
    for day in _date_ticks(first, last):
        parts.append(_line(x(day), top + plot_h, x(day), top + plot_h + 5, BLACK, 1))
        parts.append(_text(x(day), top + plot_h + 20, _date_label(day, first, last), anchor="middle", size=12))

    for before, after in pairwise(points):
        s = style[after[2] or no_provider]
        parts.append(f'<line class="segment" x1="{_n(x(before[0]))}" y1="{_n(y(before[1]))}" '
                     f'x2="{_n(x(after[0]))}" y2="{_n(y(after[1]))}" stroke="{SERIES_COLOURS[s]}" stroke-width="3"'
                     f'{_dash(DASHES[s])} stroke-linecap="round"/>')
    for day, total, provider in points:
        s = style[provider or no_provider]
        parts.append(_marker(MARKERS[s], x(day), y(total), 6, SERIES_COLOURS[s], cls="point",
                             data={"total": total, "date": day.isoformat()}))

    ly = top + plot_h + 44
    for i, name in enumerate(providers):
        s = style[name]
        lx, yy = left + (i % 2) * (plot_w / 2), ly + (i // 2) * 22
        parts.append(_line(lx, yy - 4, lx + 34, yy - 4, SERIES_COLOURS[s], 3, DASHES[s]))
        parts.append(_marker(MARKERS[s], lx + 17, yy - 4, 5, SERIES_COLOURS[s]))
        parts.append(_text(lx + 42, yy, _truncate(name, 42), size=13))

    # Small multiples: one 0-10 chart a domain.
    if cells:
        parts.append(_text(0, main_h + 14, "Each domain (0 to 10)", size=13, weight="bold"))
        for i, (key, label) in enumerate(cells):
            cx0 = (i % cols) * cell_w
            cy0 = main_h + 28 + (i // cols) * cell_h
            px0, pw, ph = cx0 + 22, cell_w - 34, 50
            py0 = cy0 + 22
            parts.append(_text(cx0, cy0 + 12, _truncate(label, 34), size=12))
            for name, _, lo, hi, fill in LEVEL_BANDS:
                parts.append(_rect(px0, py0 + ph - ph * hi / MAX_SCORE, pw, ph * (hi - lo) / MAX_SCORE, fill))
            parts.append(_line(px0, py0 + ph, px0 + pw, py0 + ph, BLACK, 1))
            parts.append(_text(px0 - 4, py0 + 4, "10", anchor="end", size=10))
            parts.append(_text(px0 - 4, py0 + ph + 3, "0", anchor="end", size=10))
            series = sorted(per_domain[key], key=lambda p: p[0])
            coords = [(x(d, px0, pw), py0 + ph - ph * max(0, min(v, MAX_SCORE)) / MAX_SCORE) for d, v in series]
            if len(coords) > 1:
                parts.append(f'<polyline class="domain-line" points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in coords)}"'
                             f' fill="none" stroke="{DARK_BLUE}" stroke-width="2"/>')
            for a, b in coords:
                parts.append(_marker("circle", a, b, 2.5, DARK_BLUE, cls="domain-point"))

    rows = []
    by_date = {key: dict(series) for key, series in (per_domain or {}).items()}
    for day, total, provider in points:
        rows.append((_long_date(day), str(total), provider or no_provider,
                     *(str(by_date[key].get(day, "")) for key, _ in cells)))
    if points:
        first_p, last_p = points[0], points[-1]
        description = (f"{_count(len(points), 'assessment')} from {_long_date(first_p[0])} to "
                       f"{_long_date(last_p[0])}. Total needs went from {first_p[1]} to {last_p[1]} "
                       f"({_signed(last_p[1] - first_p[1])}).")
        if providers:
            description += f" Providers: {', '.join(providers)}."
    else:
        description = "No assessments yet."
    columns = ("Assessment date", "Total needs", "Provider", *(label for _, label in cells))
    return Chart(title, description, _svg(prefix, width, height, title, description, parts), columns, tuple(rows))


# --------------------------------------------------------------------------- insight charts


def scatter_chart(points: Sequence[tuple[float, float, str]], x_label: str, y_label: str, title: str,
                  r: float | None = None, *, id: str | None = None,
                  x_format: Callable[[float], str] | None = None,
                  y_format: Callable[[float], str] | None = None) -> Chart:
    """One marker a point; `r` (a correlation) is written on the chart and in the description."""
    prefix = _prefix(id, title)
    fx, fy = x_format or _fmt, y_format or _fmt
    left, plot_w, right, top, plot_h = 72, 580, 24, 24, 300
    width, height = left + plot_w + right, top + plot_h + 56
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_lo, x_hi = _nice_range(xs)
    y_lo, y_hi = _nice_range(ys)

    def x(v: float) -> float:
        return left + plot_w * (v - x_lo) / (x_hi - x_lo)

    def y(v: float) -> float:
        return top + plot_h - plot_h * (v - y_lo) / (y_hi - y_lo)

    parts = _axes(left, top, plot_w, plot_h, _ticks(y_hi, y_lo), y, fy, _ticks(x_hi, x_lo), x, fx)
    parts.append(_text(left + plot_w / 2, height - 6, x_label, anchor="middle", size=13, fill=DARK_GREY))
    parts.append(_text(16, top + plot_h / 2, y_label, anchor="middle", size=13, fill=DARK_GREY, rotate=True))
    for px, py, label in points:
        parts.append(_marker("circle-open", x(px), y(py), 5, BLUE, cls="point", tooltip=label,
                             data={"x": _fmt(px), "y": _fmt(py)}))
    if r is not None:
        parts.append(_text(left + plot_w - 6, top + 16, f"r = {r:.2f}", anchor="end", size=13, weight="bold"))
    description = f"{_count(len(points), 'point')}: {y_label} against {x_label}."
    if r is not None:
        description += f" Correlation r = {r:.2f} ({_strength(r)})."
    rows = tuple((label, fx(px), fy(py)) for px, py, label in points)
    return Chart(title, description, _svg(prefix, width, height, title, description, parts),
                 ("", x_label, y_label), rows)


def bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]] | Mapping[str, Sequence[float | None]],
              title: str = "Bar chart", *, id: str | None = None, value_label: str = "",
              value_format: Callable[[float], str] | None = None) -> Chart:
    """Grouped horizontal bars: a group a category, a bar a series (colour and pattern each),
    the value written at each bar's end. A missing value (None) is drawn as no bar and
    written as a dash (for averages hidden over too few children)."""
    prefix = _prefix(id, title)
    fmt = value_format or _fmt
    named = list(series.items()) if isinstance(series, Mapping) else list(series)
    n = max(len(named), 1)
    bar_h, gap = 18, 14
    label_w, plot_w, right = 220, 440, 90
    legend_h = 26 if len(named) > 1 else 0
    top = 10 + legend_h
    group_h = n * bar_h + gap
    width = label_w + plot_w + right
    height = top + group_h * len(categories) + 40
    values = [v for _, vs in named for v in vs if v is not None]
    lo, hi = _nice_range(values + [0])

    def x(v: float) -> float:
        return label_w + plot_w * (v - lo) / (hi - lo)

    parts: list[str] = [_pattern_defs(prefix, len(named))]
    axis_y = top + group_h * len(categories)
    for tick in _ticks(hi, lo):
        parts.append(_line(x(tick), top, x(tick), axis_y, MID_GREY if tick else BLACK, 1))
        parts.append(_text(x(tick), axis_y + 16, fmt(tick), anchor="middle", size=12))
    if value_label:
        parts.append(_text(label_w + plot_w / 2, height - 4, value_label, anchor="middle", size=13, fill=DARK_GREY))
    for c, category in enumerate(categories):
        gy = top + c * group_h + gap / 2
        parts.append(_text(label_w - 10, gy + n * bar_h / 2 + 5, _truncate(category, 34), anchor="end", size=13))
        for s, (name, vs) in enumerate(named):
            v = vs[c] if c < len(vs) else None
            by = gy + s * bar_h
            if v is None:
                parts.append(_text(x(0) + 4, by + bar_h - 4, "–", size=12))
                continue
            x0, x1 = sorted((x(0), x(v)))
            parts.append(f'<rect class="bar" data-series="{s}" data-value="{escape(_fmt(v))}" x="{_n(x0)}" '
                         f'y="{_n(by + 1)}" width="{_n(x1 - x0)}" height="{bar_h - 2}" '
                         f'fill="{_fill(prefix, s)}" stroke="{SERIES_COLOURS[s % len(SERIES_COLOURS)]}" '
                         'stroke-width="1"/>')
            parts.append(_text(x1 + 4 if v >= 0 else x0 - 4, by + bar_h - 4, fmt(v), size=12,
                               anchor="start" if v >= 0 else "end"))
    if len(named) > 1:
        lx = label_w
        for s, (name, _) in enumerate(named):
            parts.append(_rect(lx, 6, 22, 14, _fill(prefix, s), stroke=SERIES_COLOURS[s % len(SERIES_COLOURS)]))
            parts.append(_text(lx + 28, 18, name, size=13))
            lx += 44 + _text_width(name, 13)
    description = f"{_count(len(categories), 'category', 'categories')}"
    if named:
        description += f"; {', '.join(name for name, _ in named)}."
        if len(named) == 1 and values:
            best = max(range(len(categories)), key=lambda i: -math.inf if named[0][1][i] is None else named[0][1][i])
            description += f" Highest: {categories[best]} ({fmt(named[0][1][best])})."
    rows = tuple((category, *("–" if c >= len(vs) or vs[c] is None else fmt(vs[c]) for _, vs in named))
                 for c, category in enumerate(categories))
    return Chart(title, description, _svg(prefix, width, height, title, description, parts),
                 ("", *(name for name, _ in named)), rows)


def lorenz_chart(points: Sequence[tuple[float, float]], title: str = "Lorenz curve", *, id: str | None = None,
                 x_label: str = "Share of children", y_label: str = "Share of the total") -> Chart:
    """A Lorenz curve: points are (cumulative share of population, cumulative share of the
    quantity), each 0-1, in order. (0, 0) and (1, 1) are added if missing; the Gini
    coefficient (twice the area between the curve and the line of equality) is written."""
    prefix = _prefix(id, title)
    pts = sorted((max(0.0, min(1.0, float(a))), max(0.0, min(1.0, float(b)))) for a, b in points)
    if not pts or pts[0] != (0.0, 0.0):
        pts.insert(0, (0.0, 0.0))
    if pts[-1] != (1.0, 1.0):
        pts.append((1.0, 1.0))
    gini = 1 - sum((x1 - x0) * (y1 + y0) for (x0, y0), (x1, y1) in pairwise(pts))
    left, size, right, top = 64, 320, 24, 20
    width, height = left + size + right + 180, top + size + 56

    def x(v: float) -> float:
        return left + size * v

    def y(v: float) -> float:
        return top + size - size * v

    ticks = [0, 0.25, 0.5, 0.75, 1]
    parts = _axes(left, top, size, size, ticks, y, _percent, ticks, x, _percent)
    parts.append(_text(left + size / 2, height - 6, x_label, anchor="middle", size=13, fill=DARK_GREY))
    parts.append(_text(14, top + size / 2, y_label, anchor="middle", size=13, fill=DARK_GREY, rotate=True))
    curve = " ".join(f"{_n(x(a))},{_n(y(b))}" for a, b in pts)
    parts.append(f'<polygon class="inequality" points="{curve} {_n(x(1))},{_n(y(1))} {_n(x(0))},{_n(y(0))}" '
                 f'fill="{"#d2e2f1"}"/>')
    parts.append(_line(x(0), y(0), x(1), y(1), DARK_GREY, 2, "6 4"))
    parts.append(f'<polyline class="curve" points="{curve}" fill="none" stroke="{BLUE}" stroke-width="3"/>')
    for a, b in pts:
        parts.append(_marker("circle", x(a), y(b), 3, BLUE, cls="point"))
    lx = left + size + 24
    parts.append(_line(lx, top + 20, lx + 30, top + 20, BLUE, 3))
    parts.append(_text(lx + 38, top + 24, "Actual", size=13))
    parts.append(_line(lx, top + 44, lx + 30, top + 44, DARK_GREY, 2, "6 4"))
    parts.append(_text(lx + 38, top + 48, "Equal shares", size=13))
    parts.append(_text(lx, top + 80, f"Gini = {gini:.2f}", size=14, weight="bold"))
    description = (f"{y_label} against {x_label}, cumulative. Gini coefficient {gini:.2f} "
                   "(0 is equal shares, 1 is all in one).")
    rows = tuple((_percent(a), _percent(b)) for a, b in pts)
    return Chart(title, description, _svg(prefix, width, height, title, description, parts),
                 (x_label, y_label), rows, notes=(f"Gini coefficient: {gini:.2f}",))


# --------------------------------------------------------------------------- drawing helpers


def _svg(prefix: str, width: float, height: float, title: str, description: str, parts: Sequence[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart__svg" id="{prefix}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-family="{FONT}" focusable="false">'
        f'<title id="{prefix}-title">{escape(title)}</title><desc id="{prefix}-desc">{escape(description)}</desc>'
        + "".join(parts) + "</svg>")


def _prefix(id: str | None, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (id or title).lower()).strip("-") or "chart"
    return slug if slug.startswith("chart") else f"chart-{slug}"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _rect(x: float, y: float, w: float, h: float, fill: str, *, cls: str = "", stroke: str = "") -> str:
    extra = (f' class="{cls}"' if cls else "") + (f' stroke="{stroke}" stroke-width="1"' if stroke else "")
    return f'<rect{extra} x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(max(h, 0))}" fill="{fill}"/>'


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float, dash: str = "") -> str:
    return (f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
            f'stroke-width="{_n(width)}"{_dash(dash)}/>')


def _dash(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 14, fill: str = BLACK,
          weight: str = "", rotate: bool = False) -> str:
    extra = f' font-weight="{weight}"' if weight else ""
    if rotate:
        extra += f' transform="rotate(-90 {_n(x)} {_n(y)})"'
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{extra}>'
            f"{escape(text)}</text>")


def _marker(shape: str, cx: float, cy: float, r: float, colour: str, *, cls: str = "", tooltip: str = "",
            data: Mapping[str, object] | None = None) -> str:
    attrs = (f' class="{cls}"' if cls else "") + "".join(
        f' data-{k}="{escape(str(v))}"' for k, v in (data or {}).items())
    hollow = shape.endswith("-open")
    base = shape.removesuffix("-open")
    paint = f'fill="{WHITE}" stroke="{colour}" stroke-width="2"' if hollow else \
        f'fill="{colour}" stroke="{WHITE}" stroke-width="1"'
    inner = f"<title>{escape(tooltip)}</title>" if tooltip else ""
    if base == "circle":
        return f'<circle{attrs} cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" {paint}>{inner}</circle>'
    if base == "square":
        return (f'<rect{attrs} x="{_n(cx - r)}" y="{_n(cy - r)}" width="{_n(2 * r)}" height="{_n(2 * r)}" '
                f'{paint}>{inner}</rect>')
    if base == "triangle":
        pts = [(cx, cy - r * 1.2), (cx + r * 1.1, cy + r * 0.8), (cx - r * 1.1, cy + r * 0.8)]
    elif base == "diamond":
        pts = [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)]
    else:  # cross
        d = r * 0.35
        pts = [(cx - d, cy - r), (cx + d, cy - r), (cx + d, cy - d), (cx + r, cy - d), (cx + r, cy + d),
               (cx + d, cy + d), (cx + d, cy + r), (cx - d, cy + r), (cx - d, cy + d), (cx - r, cy + d),
               (cx - r, cy - d), (cx - d, cy - d)]
    return (f'<polygon{attrs} points="{" ".join(f"{_n(a)},{_n(b)}" for a, b in pts)}" {paint}>'
            f"{inner}</polygon>")


def _pattern_defs(prefix: str, count: int) -> str:
    defs = []
    for s in range(count):
        kind, colour = PATTERNS[s % len(PATTERNS)], SERIES_COLOURS[s % len(SERIES_COLOURS)]
        if kind == "solid":
            continue
        marks = {
            "diagonal": f'<path d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2" stroke="{colour}" stroke-width="2"/>',
            "diagonal-back": f'<path d="M-1,7 l2,2 M0,0 l8,8 M7,-1 l2,2" stroke="{colour}" stroke-width="2"/>',
            "dots": f'<circle cx="4" cy="4" r="2" fill="{colour}"/>',
            "cross": f'<path d="M0,0 l8,8 M8,0 l-8,8" stroke="{colour}" stroke-width="1.5"/>',
            "horizontal": f'<path d="M0,4 h8" stroke="{colour}" stroke-width="2.5"/>',
            "vertical": f'<path d="M4,0 v8" stroke="{colour}" stroke-width="2.5"/>',
            "grid": f'<path d="M0,4 h8 M4,0 v8" stroke="{colour}" stroke-width="1.5"/>',
        }[kind]
        defs.append(f'<pattern id="{prefix}-p{s}" width="8" height="8" patternUnits="userSpaceOnUse">'
                    f'<rect width="8" height="8" fill="{WHITE}"/>{marks}</pattern>')
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _fill(prefix: str, s: int) -> str:
    if PATTERNS[s % len(PATTERNS)] == "solid":
        return SERIES_COLOURS[s % len(SERIES_COLOURS)]
    return f"url(#{prefix}-p{s})"


def _axes(left: float, top: float, w: float, h: float, y_ticks: Sequence[float], y: Callable[[float], float],
          fy: Callable[[float], str], x_ticks: Sequence[float], x: Callable[[float], float],
          fx: Callable[[float], str]) -> list[str]:
    parts = []
    for tick in y_ticks:
        parts.append(_line(left, y(tick), left + w, y(tick), MID_GREY, 1))
        parts.append(_text(left - 8, y(tick) + 4, fy(tick), anchor="end", size=12))
    for tick in x_ticks:
        parts.append(_line(x(tick), top, x(tick), top + h, MID_GREY, 1))
        parts.append(_text(x(tick), top + h + 18, fx(tick), anchor="middle", size=12))
    parts.append(_line(left, top + h, left + w, top + h, BLACK, 1))
    parts.append(_line(left, top, left, top + h, BLACK, 1))
    return parts


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / target if span > 0 else 1
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _nice_ceiling(value: float) -> float:
    step = _nice_step(value)
    return max(step, math.ceil(value / step) * step)


def _nice_range(values: Sequence[float]) -> tuple[float, float]:
    """An axis range that holds every value and starts at 0 when all values are positive."""
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    lo = min(lo, 0.0) if lo >= 0 or hi <= 0 else lo
    hi = max(hi, 0.0)
    if hi == lo:
        hi = lo + 1
    step = _nice_step(hi - lo)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


def _ticks(hi: float, lo: float = 0.0) -> list[float]:
    step = _nice_step(hi - lo)
    count = round((hi - lo) / step)
    return [lo + i * step for i in range(count + 1)]


def _date_ticks(first: date, last: date) -> list[date]:
    """The first of January (or of a quarter, over a short span) between the two dates."""
    if first == last:
        return [first]
    if (last - first).days > 2 * 365:
        return [date(year, 1, 1) for year in range(first.year + (first > date(first.year, 1, 1)), last.year + 1)] \
            or [first, last]
    ticks, year, month = [], first.year, ((first.month - 1) // 3) * 3 + 1
    while date(year, month, 1) <= last:
        if date(year, month, 1) >= first:
            ticks.append(date(year, month, 1))
        month += 3
        if month > 12:
            year, month = year + 1, 1
    return ticks or [first, last]


def _date_label(day: date, first: date, last: date) -> str:
    if (last - first).days > 2 * 365 and day.month == 1 and day.day == 1:
        return str(day.year)
    return day.strftime("%b %Y")


def _long_date(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def _fmt(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _signed(value: float) -> str:
    if value == 0:
        return "no change"
    return f"+{_fmt(value)}" if value > 0 else f"−{_fmt(-value)}"


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def _strength(r: float) -> str:
    a = abs(r)
    word = "very weak" if a < 0.2 else "weak" if a < 0.4 else "moderate" if a < 0.6 else "strong" \
        if a < 0.8 else "very strong"
    return f"{word}, {'positive' if r > 0 else 'negative' if r < 0 else 'none'}"


def _text_width(text: str, size: int) -> float:
    return len(text) * size * 0.55


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
