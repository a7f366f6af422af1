"""`calendar --html FILE`: one self-contained HTML page, an SVG heatmap and the collision report as
tables. No script, no external asset (a Content-Security-Policy forbids them); well-formed XML too, so
tests can parse it. Pure: returns the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from reconciler.forecast.collisions import TOP_GROUPS
from reconciler.forecast.heatmap import legend
from reconciler.forecast.loadgrid import LoadGrid
from reconciler.forecast.moments import at_second, iso_utc, local_text, offset_text
from reconciler.forecast.text import describe
from reconciler.forecast.view import CalendarView
from reconciler.forecast.webgrid import Series, Value, heatmap_svg, legend_svg
from reconciler.forecast.webload import load_views, views_style
from reconciler.timing import format_duration

# ColorBrewer YlOrRd, 8 classes: light for few fires, dark red for the busiest hour.
PALETTE = ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026")

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
    view: CalendarView,
    *,
    fail_on: int | None = None,
    title: str = "reconciler calendar",
    load: LoadGrid | None = None,
) -> str:
    """The page; with `load` (the Costs document's model of the same grid; by default the view's own), the
    heatmap has three views to switch between: fires, runs in progress, cost per currency (`webload`)."""
    if load is None and view.load is not None:
        load = view.load.grid
    zone = view.zone
    peak = view.report.peak_minute
    most = len(peak.schedules) if peak else 0
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"/>',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>",
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        f"<title>{_e(title)}</title><style>{STYLE}{'' if load is None else views_style(load)}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">{_e(local_text(view.start, zone))} → {_e(local_text(view.end, zone))} ({_e(zone)}) · '
        f"{len(view.fires)} schedule(s) · {view.grid.total:,} fire(s) · at most {most} schedule(s) in one minute</p>",
        *(_fires_only(view) if load is None else load_views(view, load, fires_series(view), fires_legend)),
        *_report(view, fail_on),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def fires_series(view: CalendarView) -> Series:
    grid = view.grid

    def tip(row: int, hour: int, count: Value) -> str:
        return f"{_hours(grid.days[row], hour)} {view.zone}: {count:,} fire(s)"

    return Series("heatmap", "fires per hour", grid.counts, PALETTE, lambda n: _short(int(n)), tip)


def fires_legend(series: Series) -> str:
    peak = int(series.peak)
    keys = [(0, "0")] + [(v, f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}") for v, lo, hi in legend(peak)]
    return legend_svg(series, keys)


def _hours(day: date, hour: int) -> str:
    return f"{day:%a %Y-%m-%d} {hour:02d}:00–{(hour + 1) % 24:02d}:00"


def _fires_only(view: CalendarView) -> list[str]:
    series = fires_series(view)
    return [heatmap_svg(view.grid, series), fires_legend(series)]


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
            [[_hours(h.day, h.hour), f"{h.fires:,}"] for h in report.busiest_hours],
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
    if view.load is not None:
        parts.append("<h2>Schedules whose runs overlap themselves</h2>")
        parts.append(
            _table(
                ["schedule", "closest fires", "duration.p95", "on overlap"],
                [
                    [
                        labels[o.schedule],
                        f"{format_duration(o.shortest_gap)} apart",
                        format_duration(o.p95),
                        f"skips: {o.predicted_skips:,} predicted skip(s) in the window"
                        if o.skip_policy
                        else "runs side by side",
                    ]
                    for o in view.load.overlaps
                ],
                wrap=(0,),
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
