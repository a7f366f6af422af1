"""One day-by-hour heatmap as SVG, and its legend, for any series of the calendar's grid: fires, runs in
progress, cost. `web` and `webload` lay them out. Pure: returns the text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from reconciler.forecast.heatmap import LEVELS, Grid

EMPTY = "#eef0f3"
CELL_W, CELL_H, GAP = 30, 22, 2
LABEL_W, TOTAL_W, HEAD_H = 112, 70, 26

Value = int | Decimal


@dataclass(frozen=True)
class Series:
    """What one heatmap shows: a value per cell of `grid`, how to write it, and its colours."""

    svg_id: str
    label: str  # the aria label and the legend's caption, e.g. "fires per hour"
    cells: Sequence[Sequence[Value]]  # [day][hour], the rows of `Grid.days`
    palette: tuple[str, ...]  # LEVELS colours, light to dark
    short: Callable[[Value], str]  # a cell's text
    tip: Callable[[int, int, Value], str]  # (row, hour, value) -> the cell's tooltip
    total_head: str = "total"
    row_total: Callable[[Sequence[Value]], Value] = sum

    @property
    def peak(self) -> Value:
        return max((max(row) for row in self.cells), default=0)


def shade(value: Value, peak: Value) -> int:
    """0 for nothing, else 1..LEVELS in proportion to the highest cell."""
    if value <= 0 or peak <= 0:
        return 0
    return max(1, min(LEVELS, math.ceil(Decimal(value) * LEVELS / Decimal(peak))))


def heatmap_svg(grid: Grid, series: Series) -> str:
    peak = series.peak
    width = LABEL_W + 24 * (CELL_W + GAP) + TOTAL_W
    height = HEAD_H + len(grid.days) * (CELL_H + GAP) + 4
    total_x = LABEL_W + 24 * (CELL_W + GAP) + 8
    out = [
        f'<svg id="{_e(series.svg_id)}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(series.label)}, {_e(grid.zone)}">'
    ]
    for hour in range(24):
        x = LABEL_W + hour * (CELL_W + GAP) + CELL_W / 2
        out.append(
            f'<text x="{x:g}" y="{HEAD_H - 9}" font-size="11" text-anchor="middle" fill="#59636e">'
            f"{hour:02d}</text>"
        )
    out.append(
        f'<text x="{total_x}" y="{HEAD_H - 9}" font-size="11" fill="#59636e">{series.total_head}</text>'
    )
    for row, (day, values, reached) in enumerate(zip(grid.days, series.cells, grid.in_window, strict=True)):
        y = HEAD_H + row * (CELL_H + GAP)
        out.append(f'<text x="0" y="{y + 15}" font-size="12">{day:%a %Y-%m-%d}</text>')
        for hour, (value, inside) in enumerate(zip(values, reached, strict=True)):
            if not inside and not value:
                continue
            x = LABEL_W + hour * (CELL_W + GAP)
            level = shade(value, peak)
            fill = series.palette[level - 1] if level else EMPTY
            out.append(
                f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" rx="3" fill="{fill}">'
                f"<title>{_e(series.tip(row, hour, value))}</title></rect>"
            )
            if value:
                ink = "#ffffff" if level >= 6 else "#1f2328"
                out.append(
                    f'<text x="{x + CELL_W / 2:g}" y="{y + 15}" font-size="10" text-anchor="middle" '
                    f'fill="{ink}">{_e(series.short(value))}</text>'
                )
        total = series.short(series.row_total(values)) if any(values) else "0"
        out.append(f'<text x="{total_x}" y="{y + 15}" font-size="12">{_e(total)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def legend_svg(series: Series, keys: Sequence[tuple[int, str]]) -> str:
    """`keys`: (level, text) for each level shown, ascending; level 0 is the empty cell."""
    items = [(EMPTY if level == 0 else series.palette[level - 1], text) for level, text in keys]
    caption = 8 + 7 * len(series.label)
    step = 96
    width = caption + step * len(items) + 360
    out = [
        f'<svg id="{_e(series.svg_id)}-legend" xmlns="http://www.w3.org/2000/svg" width="{width}" height="30" '
        f'viewBox="0 0 {width} 30" role="img" aria-label="Legend: {_e(series.label)}">',
        f'<text x="0" y="19" font-size="12" fill="#59636e">{_e(series.label)}:</text>',
    ]
    for i, (fill, text) in enumerate(items):
        x = caption + i * step
        out.append(
            f'<rect x="{x}" y="6" width="18" height="18" rx="3" fill="{fill}"/>'
            f'<text x="{x + 24}" y="19" font-size="12">{_e(text)}</text>'
        )
    out.append(
        f'<text x="{caption + step * len(items) + 10}" y="19" font-size="12" fill="#59636e">'
        "no cell: outside the window, or an hour DST skips</text>"
    )
    out.append("</svg>")
    return "\n".join(out)


def _e(text: str) -> str:
    return escape(text, quote=True)
