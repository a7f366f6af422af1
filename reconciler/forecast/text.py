"""Terminal renderings of `preview` and `calendar`: fire-time lists, the Unicode-block heatmap with its
legend, the collision report. Pure strings; colour (ANSI 256) only when the caller asks for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from reconciler.bundle.money import Money
from reconciler.forecast.fires import Forecast, ScheduleRef
from reconciler.forecast.heatmap import legend, level
from reconciler.forecast.moments import at_second, iso_utc, local_text, offset_text
from reconciler.forecast.semantics import UTC_NAMES
from reconciler.timing import Timing, format_duration, load_zone

if TYPE_CHECKING:  # `calendar` builds the view; `preview` never loads its collision and load engines
    from reconciler.forecast.view import CalendarView

BLOCKS = "▁▂▃▄▅▆▇█"  # levels 1..8
EMPTY = "··"  # in the window, no fire
OUTSIDE = "  "  # not in the window (or an hour the zone skips)
# A yellow-to-dark-red ramp (ColorBrewer YlOrRd, as the HTML report) in the xterm 256-colour cube.
RAMP = (229, 222, 221, 215, 209, 203, 160, 124)
NAMES_SHOWN = 4
AGENTS_SHOWN = 20


def describe(timing: Timing) -> str:
    """The rule in a few words: `cron 0 9 * * 1-5`, `every 6h offset 15m`, `2 calendars`, `at ...`."""
    if timing.cron:
        text = "cron " + " | ".join(timing.cron)
    elif timing.every is not None:
        text = f"every {format_duration(timing.every)}"
        if timing.offset:
            text += f" offset {format_duration(timing.offset)}"
    elif timing.at is not None:
        text = f"at {iso_utc(timing.at)}"
    else:
        count = len(timing.calendars)
        text = f"{count} calendar{'s' if count != 1 else ''}"
    if timing.start is not None:
        text += f" from {iso_utc(timing.start)}"
    if timing.end is not None:
        text += f" until {iso_utc(timing.end)}"
    return text


def heading(ref: ScheduleRef) -> str:
    provider = f"{ref.provider}/{ref.api}" if ref.api else ref.provider
    parts = [provider, f"agent {ref.agent}", describe(ref.timing), ref.timezone]
    if ref.state == "paused":
        parts.append("paused")
    return f"{ref.label}  ({' · '.join(parts)})"


# --- preview --------------------------------------------------------------------------------------------


def preview_text(forecasts: Sequence[Forecast], after: datetime, count: int) -> str:
    lines = [f"Next {count} fire(s) after {iso_utc(after)}, per schedule: its own timezone, then UTC."]
    approximate = False
    for forecast in forecasts:
        lines.append("")
        lines.append(heading(forecast.ref))
        zone_name = forecast.ref.timezone
        zone = load_zone(zone_name)
        mark = " " if forecast.semantics.exact else "~"
        approximate = approximate or not forecast.semantics.exact
        for fire in forecast.fires:
            utc = fire.astimezone(UTC)
            if zone_name in UTC_NAMES:
                lines.append(f" {mark} {utc:%a %Y-%m-%d %H:%M:%S} UTC")
            else:
                local = fire.astimezone(zone)
                lines.append(
                    f" {mark} {local:%a %Y-%m-%d %H:%M:%S} {_offset(local)} {local.tzname() or '':<5}"
                    f"  =  {utc:%Y-%m-%d %H:%M:%S} UTC"
                )
        for note in forecast.notes:
            lines.append(f"   note: {note}")
    if approximate:
        lines.append("")
        lines.append("~ the platform decides the phase of these times (see the notes): the spacing is exact.")
    if not forecasts:
        lines.append("No schedules.")
    return "\n".join(lines)


def _offset(moment: datetime) -> str:
    return offset_text(int((moment.utcoffset() or timedelta(0)).total_seconds()))


# --- calendar -------------------------------------------------------------------------------------------


def calendar_text(view: CalendarView, *, color: bool = False, fail_on: int | None = None) -> str:
    lines = heatmap_lines(view, color=color)
    lines.append("")
    if view.load is not None:
        lines.extend(load_lines(view, color=color))
        lines.append("")
    lines.extend(report_lines(view, fail_on=fail_on))
    return "\n".join(lines)


def heatmap_lines(view: CalendarView, *, color: bool = False) -> list[str]:
    grid = view.grid
    peak = grid.peak
    lines = [
        f"Fires per hour, {local_text(view.start, view.zone)} → {local_text(view.end, view.zone)} ({view.zone}) · "
        f"{len(view.fires)} schedule(s) · {grid.total:,} fire(s)"
    ]
    lines.append(" " * 12 + "".join(f"{hour:02d}  " for hour in range(0, 24, 2)).rstrip() + "    total")
    for day, counts, reached in zip(grid.days, grid.counts, grid.in_window, strict=True):
        cells = "".join(_cell(n, peak, inside, color) for n, inside in zip(counts, reached, strict=True))
        lines.append(f"{day:%a %m-%d}   {cells}  {sum(counts):>7,}")
    keys = [f"{_paint(EMPTY, 0, color)} 0"]
    for value, low, high in legend(peak):
        span = f"{low:,}" if low == high else f"{low:,}–{high:,}"
        keys.append(f"{_paint(BLOCKS[value - 1] * 2, value, color)} {span}")
    lines.append(
        f"legend, fires per hour: {'  '.join(keys)}   (blank: outside the window, or an hour DST skips)"
    )
    return lines


def load_lines(view: CalendarView, *, color: bool = False) -> list[str]:
    """Next to the fires (with a Costs document): the most runs in progress per hour, the cost, and the
    schedules whose runs overlap themselves with the fires a skip-type overlap policy drops."""
    assert view.load is not None
    load, grid, zone = view.load.grid, view.grid, view.zone
    labels = [item.ref.label for item in view.fires]
    peak = load.peak_concurrent
    when = (
        f"; at most {peak:,} at once, first {local_text(at_second(load.peak_at), zone)}"
        if load.peak_at
        else ""
    )
    lines = [
        f"Concurrent runs per hour ({zone}), each run lasting its agent's duration.typical: "
        f"{load.timed_schedules} of {len(view.fires)} schedule(s) have a duration{when}"
    ]
    lines.append(" " * 12 + "".join(f"{hour:02d}  " for hour in range(0, 24, 2)).rstrip() + "     most")
    for day, counts, reached in zip(grid.days, load.concurrent, grid.in_window, strict=True):
        cells = "".join(_cell(n, peak, inside, color) for n, inside in zip(counts, reached, strict=True))
        lines.append(f"{day:%a %m-%d}   {cells}  {max(counts):>7,}")
    for currency in load.currencies:
        total = sum((sum(row, Decimal(0)) for row in load.cost[currency]), Decimal(0))
        lines.append(
            f"Cost of the runs in the window: {Money(total, currency)} "
            f"(costliest hour {Money(load.peak_cost(currency), currency)})"
        )
    unpriced = sum(map(sum, load.unpriced))
    if unpriced:
        lines.append(f"  {unpriced:,} run(s) of agents without a perRun are not in the cost")
    lines.append("Schedules whose runs overlap themselves (duration.p95 longer than the gap between fires)")
    for overlap in view.load.overlaps:
        item = view.fires[overlap.schedule]
        skips = (
            f"; {item.ref.provider} skips a fire while the previous run runs: "
            f"{overlap.predicted_skips:,} predicted skip(s) in the window"
            if overlap.skip_policy
            else f"; {item.ref.provider} starts them side by side"
        )
        lines.append(
            f"  {labels[overlap.schedule]}: fires {format_duration(overlap.shortest_gap)} apart, "
            f"p95 {format_duration(overlap.p95)}{skips}"
        )
    if not view.load.overlaps:
        lines.append("  none")
    return lines


def _cell(count: int, peak: int, inside: bool, color: bool) -> str:
    if not inside and count == 0:
        return OUTSIDE
    value = level(count, peak)
    return _paint(BLOCKS[value - 1] * 2 if value else EMPTY, value, color)


def _paint(text: str, value: int, color: bool) -> str:
    if not color:
        return text
    if value == 0:
        return f"\x1b[2m{text}\x1b[0m"
    return f"\x1b[38;5;{RAMP[value - 1]}m{text}\x1b[0m"


def report_lines(view: CalendarView, *, fail_on: int | None = None) -> list[str]:
    from reconciler.forecast.collisions import TOP_GROUPS  # here: `preview` never loads the collision report

    report, zone, labels = view.report, view.zone, [item.ref.label for item in view.fires]
    lines = [f"Busiest minutes ({zone})"]
    for load in report.busiest_minutes:
        lines.append(
            f"  {local_text(at_second(load.minute), zone)}  {len(load.schedules):>4} schedule(s), "
            f"{load.fires:>5,} fire(s)  {_names(load.schedules, labels)}"
        )
    if not report.busiest_minutes:
        lines.append("  no fires in the window")
    lines.append(f"Busiest hours ({zone})")
    for hour in report.busiest_hours:
        lines.append(
            f"  {hour.day:%a %Y-%m-%d} {hour.hour:02d}:00–{(hour.hour + 1) % 24:02d}:00  "
            f"{hour.fires:>6,} fire(s)"
        )
    if not report.busiest_hours:
        lines.append("  no fires in the window")
    lines.append("Schedules that fire at the same instant")
    for group in report.together[:TOP_GROUPS]:
        lines.append(
            f"  {len(group.schedules)} schedules, {group.times:,} time(s), first "
            f"{local_text(at_second(group.first), zone)}: {_names(group.schedules, labels)}"
        )
    hidden = report.together_groups - min(report.together_groups, TOP_GROUPS)
    if hidden:
        lines.append(f"  … {hidden} more group(s) (--format json lists them all)")
    if not report.together:
        lines.append("  none")
    lines.extend(_agent_table(view))
    if report.budget is not None:
        lines.append(f"Over the budget of {report.budget:,} fire(s) a day ({zone} days)")
        for over in report.over_budget:
            lines.append(f"  {labels[over.schedule]}: {over.most:,} on {over.day:%a %Y-%m-%d}")
        if not report.over_budget:
            lines.append("  none")
    notes = view.notes
    if notes or view.paused or view.changes:
        lines.append("Notes")
        for change in view.changes:
            lines.append(
                f"  {change.zone} changes from UTC{offset_text(change.before)} to UTC{offset_text(change.after)} at "
                f"{iso_utc(at_second(change.instant))}: a wall time skipped by the change does not fire, "
                "a repeated one fires once per occurrence"
            )
        for label, note in notes:
            lines.append(f"  {label}: {note}")
        if view.paused:
            lines.append(f"  left out, paused: {', '.join(view.paused)} (--include-paused counts them)")
    peak = report.peak_minute
    if peak is None:
        lines.append("No schedule fires in the window.")
    else:
        verdict = ""
        if fail_on is not None:
            verdict = (
                f": more than --fail-on-collision {fail_on}"
                if len(peak.schedules) > fail_on
                else f": within --fail-on-collision {fail_on}"
            )
        lines.append(
            f"Most schedules in one minute: {len(peak.schedules)} "
            f"({local_text(at_second(peak.minute), zone)} {zone}){verdict}."
        )
    return lines


def _agent_table(view: CalendarView) -> list[str]:
    agents = view.report.agents
    lines = [f"Fires per agent per day ({view.zone})"]
    if not agents:
        return [*lines, "  none"]
    width = max(len(a.agent) for a in agents[:AGENTS_SHOWN])
    days = view.grid.days
    lines.append("  " + "agent".ljust(width) + "".join(f"  {d:%a %d}" for d in days) + "    total")
    for agent in agents[:AGENTS_SHOWN]:
        lines.append(
            "  "
            + agent.agent.ljust(width)
            + "".join(f"  {n:>6,}" for n in agent.per_day)
            + f"  {agent.total:>7,}"
        )
    if len(agents) > AGENTS_SHOWN:
        lines.append(f"  … {len(agents) - AGENTS_SHOWN} more agent(s) (--format json lists them all)")
    return lines


def _names(indices: Sequence[int], labels: Sequence[str]) -> str:
    shown = ", ".join(labels[i] for i in indices[:NAMES_SHOWN])
    return shown + (f", … (+{len(indices) - NAMES_SHOWN})" if len(indices) > NAMES_SHOWN else "")
