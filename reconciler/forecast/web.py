"""`calendar --html FILE`: one self-contained HTML page, an SVG heatmap and the collision report as
tables. No script, no external asset (a Content-Security-Policy forbids them); well-formed XML too, so
tests can parse it. Pure: returns the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from reconciler.forecast.collisions import TOP_GROUPS
from reconciler.forecast.heatmap import legend, level
from reconciler.forecast.moments import at_second, iso_utc, local_text, offset_text
from reconciler.forecast.text import describe
from reconciler.forecast.view import CalendarView

# ColorBrewer YlOrRd, 8 classes: light for few fires, dark red for the busiest hour.
PALETTE = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026")
EMPTY = "#eef0f3"
CELL_W, CELL_H, GAP = 30, 22, 2
LABEL_W, TOTAL_W, HEAD_H = 112, 70, 26

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1f2328;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.sub{color:#59636e;margin:0 0 16px}
table{border-collapse:collapse;margin:4px 0}td,th{padding:3px 10px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
td,th{white-space:nowrap}td.w{white-space:normal}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.note{color:#59636e}.verdict{font-weight:600}.bad{color:#b10026}.ok{color:#1a7f37}
code{background:#f6f8fa;padding:1px 4px;border-radius:4px}
"""


def calendar_html(
    view: CalendarView, *, fail_on: int | None = None, title: str = "reconciler calendar"
) -> str:
    zone = view.zone
    peak = view.report.peak_minute
    most = len(peak.schedules) if peak else 0
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"/>',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>",
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">{_e(local_text(view.start, zone))} → {_e(local_text(view.end, zone))} ({_e(zone)}) · '
        f"{len(view.fires)} schedule(s) · {view.grid.total:,} fire(s) · at most {most} schedule(s) in one minute</p>",
        _heatmap_svg(view),
        _legend_svg(view.grid.peak),
        *_report(view, fail_on),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _heatmap_svg(view: CalendarView) -> str:
    grid = view.grid
    peak = grid.peak
    width = LABEL_W + 24 * (CELL_W + GAP) + TOTAL_W
    height = HEAD_H + len(grid.days) * (CELL_H + GAP) + 4
    out = [
        f'<svg id="heatmap" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Fires per hour, {_e(view.zone)}">'
    ]
    for hour in range(24):
        x = LABEL_W + hour * (CELL_W + GAP) + CELL_W / 2
        out.append(
            f'<text x="{x:g}" y="{HEAD_H - 9}" font-size="11" text-anchor="middle" fill="#59636e">'
            f"{hour:02d}</text>"
        )
    out.append(
        f'<text x="{LABEL_W + 24 * (CELL_W + GAP) + 8}" y="{HEAD_H - 9}" font-size="11" '
        'fill="#59636e">total</text>'
    )
    for row, (day, counts, reached) in enumerate(zip(grid.days, grid.counts, grid.in_window, strict=True)):
        y = HEAD_H + row * (CELL_H + GAP)
        out.append(f'<text x="0" y="{y + 15}" font-size="12">{day:%a %Y-%m-%d}</text>')
        for hour, (count, inside) in enumerate(zip(counts, reached, strict=True)):
            if not inside and count == 0:
                continue
            x = LABEL_W + hour * (CELL_W + GAP)
            value = level(count, peak)
            fill = PALETTE[value - 1] if value else EMPTY
            tip = f"{day:%a %Y-%m-%d} {hour:02d}:00–{(hour + 1) % 24:02d}:00 {view.zone}: {count:,} fire(s)"
            out.append(
                f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" rx="3" fill="{fill}">'
                f"<title>{_e(tip)}</title></rect>"
            )
            if count:
                ink = "#ffffff" if value >= 6 else "#1f2328"
                out.append(
                    f'<text x="{x + CELL_W / 2:g}" y="{y + 15}" font-size="10" text-anchor="middle" '
                    f'fill="{ink}">{_short(count)}</text>'
                )
        out.append(
            f'<text x="{LABEL_W + 24 * (CELL_W + GAP) + 8}" y="{y + 15}" font-size="12">'
            f"{sum(counts):,}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _legend_svg(peak: int) -> str:
    keys = [(EMPTY, "0")] + [
        (PALETTE[v - 1], f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}") for v, lo, hi in legend(peak)
    ]
    step = 84
    width = 110 + step * len(keys) + 360
    out = [
        f'<svg id="legend" xmlns="http://www.w3.org/2000/svg" width="{width}" height="30" '
        f'viewBox="0 0 {width} 30" role="img" aria-label="Legend">',
        '<text x="0" y="19" font-size="12" fill="#59636e">fires per hour:</text>',
    ]
    for i, (fill, text) in enumerate(keys):
        x = 110 + i * step
        out.append(
            f'<rect x="{x}" y="6" width="18" height="18" rx="3" fill="{fill}"/>'
            f'<text x="{x + 24}" y="19" font-size="12">{_e(text)}</text>'
        )
    out.append(
        f'<text x="{110 + step * len(keys) + 10}" y="19" font-size="12" fill="#59636e">'
        "no cell: outside the window, or an hour DST skips</text>"
    )
    out.append("</svg>")
    return "\n".join(out)


def _report(view: CalendarView, fail_on: int | None) -> list[str]:
    report, zone = view.report, view.zone
    labels = [item.ref.label for item in view.fires]
    parts = []
    peak = report.peak_minute
    if peak is not None:
        most = len(peak.schedules)
        verdict = ""
        if fail_on is not None:
            bad = most > fail_on
            verdict = (
                f' <span class="{"bad" if bad else "ok"}">— {"more than" if bad else "within"} '
                f"<code>--fail-on-collision {fail_on}</code></span>"
            )
        parts.append(
            f'<p class="verdict">Most schedules in one minute: {most} '
            f"({_e(local_text(at_second(peak.minute), zone))} {_e(zone)}){verdict}</p>"
        )
    parts.append(f"<h2>Busiest minutes ({_e(zone)})</h2>")
    parts.append(
        _table(
            ["minute", "schedules", "fires", "which"],
            [
                [
                    local_text(at_second(m.minute), zone),
                    str(len(m.schedules)),
                    f"{m.fires:,}",
                    _names(m.schedules, labels),
                ]
                for m in report.busiest_minutes
            ],
            numeric=(1, 2),
            wrap=(3,),
        )
    )
    parts.append(f"<h2>Busiest hours ({_e(zone)})</h2>")
    parts.append(
        _table(
            ["hour", "fires"],
            [
                [f"{h.day:%a %Y-%m-%d} {h.hour:02d}:00–{(h.hour + 1) % 24:02d}:00", f"{h.fires:,}"]
                for h in report.busiest_hours
            ],
            numeric=(1,),
        )
    )
    parts.append("<h2>Schedules that fire at the same instant</h2>")
    parts.append(
        _table(
            ["schedules", "times", f"first ({zone})"],
            [
                [
                    ", ".join(labels[i] for i in t.schedules),
                    f"{t.times:,}",
                    local_text(at_second(t.first), zone),
                ]
                for t in report.together[:TOP_GROUPS]
            ],
            numeric=(1,),
            wrap=(0,),
        )
    )
    if report.together_groups > TOP_GROUPS:
        parts.append(
            f'<p class="note">… {report.together_groups - TOP_GROUPS} more group(s); '
            "<code>--format json</code> lists them all</p>"
        )
    parts.append(f"<h2>Fires per agent per day ({_e(zone)})</h2>")
    days = view.grid.days
    parts.append(
        _table(
            ["agent", *(f"{d:%a %d}" for d in days), "total"],
            [[a.agent, *(f"{n:,}" for n in a.per_day), f"{a.total:,}"] for a in report.agents],
            numeric=tuple(range(1, len(days) + 2)),
        )
    )
    if report.budget is not None:
        parts.append(f"<h2>Over the budget of {report.budget:,} fire(s) a day</h2>")
        parts.append(
            _table(
                ["schedule", "most in one day", "day"],
                [[labels[o.schedule], f"{o.most:,}", f"{o.day:%a %Y-%m-%d}"] for o in report.over_budget],
                numeric=(1,),
            )
        )
    parts.append("<h2>Schedules</h2>")
    rows = []
    for item, per_day in zip(view.fires, view.grid.per_schedule_day, strict=True):
        ref = item.ref
        provider = f"{ref.provider}/{ref.api}" if ref.api else ref.provider
        rows.append(
            [
                ref.label,
                provider,
                ref.agent,
                describe(ref.timing),
                ref.timezone,
                f"{len(item.instants):,}",
                f"{max(per_day, default=0):,}",
                "" if item.semantics.exact else "~ phase set by the platform",
            ]
        )
    parts.append(
        _table(
            ["schedule", "provider", "agent", "rule", "timezone", "fires", "most a day", ""],
            rows,
            numeric=(5, 6),
            wrap=(3, 7),
        )
    )
    notes = [
        f"{c.zone} changes from UTC{offset_text(c.before)} to UTC{offset_text(c.after)} at {iso_utc(at_second(c.instant))}: "
        "a wall time skipped by the change does not fire, a repeated one fires once per occurrence"
        for c in view.changes
    ]
    notes += [f"{label}: {note}" for label, note in view.notes]
    if view.paused:
        notes.append(f"left out, paused: {', '.join(view.paused)}")
    if notes:
        parts.append("<h2>Notes</h2>")
        parts.append("<ul>" + "".join(f'<li class="note">{_e(n)}</li>' for n in notes) + "</ul>")
    return parts


def _table(
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: tuple[int, ...] = (),
    wrap: tuple[int, ...] = (),
) -> str:
    """A table; `numeric` columns align right, `wrap` columns (lists of names) may wrap, others do not."""
    if not rows:
        return '<p class="note">none</p>'
    out = ["<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for row in rows:
        cells = "".join(
            f'<td class="{"n" if i in numeric else "w" if i in wrap else "t"}">{_e(c)}</td>'
            for i, c in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _names(indices: Sequence[int], labels: Sequence[str], shown: int = 6) -> str:
    text = ", ".join(labels[i] for i in indices[:shown])
    return text + (f", … (+{len(indices) - shown})" if len(indices) > shown else "")


def _short(count: int) -> str:
    return (
        f"{count / 1000:.0f}k" if count >= 10_000 else f"{count / 1000:.1f}k" if count >= 1000 else str(count)
    )


def _e(text: str) -> str:
    return escape(text, quote=True)
