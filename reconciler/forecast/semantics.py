"""Per-provider fire-time semantics for `preview` and `calendar`: what to pass to the timing engine, and
where a computation from the bundle alone can differ from what the platform will do (said next to the
figures, never hidden). Pure; sources: each platform's API documentation (docs/providers.md) and reconciler/timing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.providers.plugin import forecast_family
from reconciler.timing import format_duration, load_zone, parse_cron
from reconciler.timing.dst import Change, offset_changes
from reconciler.timing.families import SERVER_WALK_FAMILIES
from reconciler.timing.temporal_walk import go_date, weekday_moves_back
from reconciler.timing.wallclock import to_instant
from reconciler.timing.zones import is_utc

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Z"})


@dataclass(frozen=True)
class Semantics:
    """How one schedule is forecast: the engine's provider key and anchor, and the caveats."""

    provider: str  # for `next_fire_times`: the family, with `/api` when the target names one
    anchor: datetime | None  # where intervals count from, when the platform does not use the epoch
    exact: bool  # False: the phase depends on something the bundle cannot know (times shown as "~")
    notes: tuple[str, ...]


def provider_key(provider: str, target: dict[str, Any]) -> str:
    """The timing engine's provider key: the family whose fire-time rules apply (a plugin names the built-in
    family its platform follows), with `/api` when the target names a revision."""
    family = forecast_family(provider)
    api = target.get("api")
    return f"{family}/{api}" if api else family


def semantics_for(provider: str, target: dict[str, Any], schedule: DesiredSchedule) -> Semantics:
    """The engine's arguments and the documented differences for one schedule of a bundle."""
    key = provider_key(provider, target)
    timing = schedule.timing
    notes: list[str] = []
    anchor: datetime | None = None
    exact = True
    if schedule.state == "paused":
        notes.append("paused: it does not fire until resumed; these are the times its rule gives")
    jitter = schedule.options.get("jitter") if provider == "temporal" else None
    if isinstance(jitter, str) and jitter:
        # Temporal draws each fire's delay itself (random, up to the jitter): no forecast can know it.
        notes.append(
            f"jitter {jitter}: Temporal starts each run up to {jitter} after the time shown (a random delay "
            "it draws per fire); these are the earliest times"
        )
    if timing.every is not None:
        every = format_duration(timing.every)
        if provider == "tbd-agents":
            # The server never passes start_at to Celery Beat: it counts from registration (§5). `start` (required
            # there) stands in for it: a fixed instant, so the figure does not change with when it is computed.
            anchor = timing.start
            exact = False
            since = _iso(anchor) if anchor is not None else "the Unix epoch"
            notes.append(
                f"tbd-agents counts 'every {every}' from when apply registers the schedule, not from 'start': "
                f"shown as if registered at {since}; the spacing is exact, the phase is not"
            )
        elif provider == "orq":
            # orq's docs: `@every 6h` fires "every 6 hours after creation". Creation time is unknown here; the
            # epoch keeps the figure the same whenever it is computed (a CI check must not flap).
            exact = False
            notes.append(
                f"orq counts '@every {every}' from when the schedule is created (its docs: \"after creation\"): "
                f"shown from the Unix epoch{_plus(timing.offset)}; the spacing is exact, the phase is not"
            )
        elif provider == "cadenya" and not is_utc(timing.timezone):
            notes.append(
                f"cadenya intervals 'fire on wall-clock cadence anchored in this zone': read as "
                f"1970-01-01T00:00{_plus(timing.offset)} + n × {every} on the {timing.timezone} clock "
                "(as the sandbox does); not confirmed against the platform"
            )
    # agentex runs cron on Temporal (always AND) and orq on robfig/cron's rule: `validate` refuses every cron
    # they fire on other days. Oz does not say which engine it runs; `validate` refuses the forms the common
    # engines read differently (a stepped `*/n` day field), the rest is said here.
    for text in timing.cron:
        if provider == "oz" and parse_cron(text).day_or:
            notes.append(
                f"'{text}' restricts both day-of-month and day-of-week: standard cron (shown) fires when "
                "either matches, as does Go's robfig/cron; oz does not document which engine it runs"
            )
    return Semantics(key, anchor, exact, tuple(notes))


def dst_note(provider: str, zone: str, first: datetime, last: datetime) -> str:
    """Said when the listed times straddle a change of the zone's UTC offset: which rule the times follow.

    temporal and agentex (Temporal schedules): what Temporal's server does, which on these days is not what its
    documentation says, spelled out for each change. cadenya: the documented rule, assumed (its engine is not
    documented). The others run in UTC only, so never get here.
    """
    span = f"{zone} changes its UTC offset between {_iso(first)} and {_iso(last)}"
    if provider.split("/", 1)[0] in SERVER_WALK_FAMILIES:
        found = [_server_behaviour(zone, change) for change in offset_changes(zone, first, last)]
        return (
            f"{span}: times shown as Temporal's server fires them, which on such a day is not always what "
            f"Temporal's documentation says: {'; '.join(found)}"
        )
    rule = "Temporal's documented rule" + (
        ", which preview assumes for cadenya: its engine is not documented" if provider == "cadenya" else ""
    )
    return (
        f"{span}: a wall time skipped by the change does not fire, a repeated one fires once per occurrence "
        f"({rule})"
    )


def _server_behaviour(zone_name: str, change: Change) -> str:
    """What the server's walk (reconciler.timing.temporal_walk) does around one change, in a sentence."""
    zone = load_zone(zone_name)
    day = change.wall_start.date()
    ordinal = day.toordinal()
    window = f"{change.wall_start:%H:%M}-{change.wall_end:%H:%M}"
    if change.kind == "overlap":
        middle = int((change.wall_start - datetime.combine(day, time())).total_seconds()) + change.shift // 2
        later = go_date(zone, ordinal, middle) == to_instant(change.instant) + change.shift // 2
        walked = [
            hour
            for hour in range(24)
            if go_date(zone, ordinal, (hour + 1) * 3600) - go_date(zone, ordinal, hour * 3600) > 3600
        ]
        again = (
            f", and walks {walked[0]:02d}:00-{walked[0]:02d}:59 a second time one hour later: a time of that "
            "hour that is not itself repeated also fires an hour later"
            if walked and later
            else ""
        )
        once = "once, at its second occurrence" if later else "at both occurrences"
        return f"on {day}, {window} happens twice: the server fires a time in it {once}{again}"
    start = int((change.wall_start - datetime.combine(day, time())).total_seconds())
    moved = go_date(zone, ordinal, start) - to_instant(change.instant)  # how far Go moves a skipped time
    if moved >= 0 and start % 3600 + change.shift < 3600:
        fate = (
            f"a time in it fires {format_duration(change.shift)} later, still in the same hour, "
            "by the clock (the instant it would have had without the change)"
        )
    else:
        fate = "a time in it does not fire"
    text = f"on {day}, {window} does not exist: {fate}"
    if weekday_moves_back(zone, ordinal):
        names = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
        today, before = names[ordinal % 7], names[(ordinal - 1) % 7]
        text += (
            f"; its midnight is skipped, so the server takes {day} for a {before}: a rule for {today}s skips "
            f"that day, one for {before}s fires on it"
        )
    return text


def _plus(offset: int) -> str:
    return f" + {format_duration(offset)}" if offset else ""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
