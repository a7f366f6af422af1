"""Fire times of every schedule in some bundles: the next N for `preview`, all of a window for `calendar`.

Sits between the bundle loader and the renderers; the timing engine does the arithmetic with each
provider's semantics (`semantics.py`). Pure: the caller passes "now".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.forecast.semantics import UTC_NAMES, Semantics, dst_note, semantics_for
from reconciler.timing import Timing, load_zone, next_fire_times
from reconciler.timing.fire_times import PLATFORM_LAST_YEAR

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
WINDOW_LIMIT = 200_000  # fires of one schedule in one window; beyond this the count is cut (and said so)


@dataclass(frozen=True)
class ScheduleRef:
    """Which schedule, where it runs and where it is declared: everything the renderers show about it."""

    bundle: str
    name: str
    agent: str
    provider: str
    target: dict[str, Any]
    state: str
    timing: Timing
    when: dict[str, Any]
    file: str
    line: int
    # The schedule's platform options (overlap policy and the like): what the load forecast reads.
    options: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def of(
        cls,
        bundle_key: str,
        provider: str,
        target: dict[str, Any],
        schedule: DesiredSchedule,
        *,
        name: str | None = None,
        file: str = "",
    ) -> ScheduleRef:
        """A declared (or live, read as declared) schedule; `file` where the schedule names none."""
        return cls(
            bundle_key,
            schedule.name if name is None else name,
            schedule.agent,
            provider,
            target,
            schedule.state,
            schedule.timing,
            schedule.when,
            schedule.file or file,
            schedule.line,
            schedule.options,
        )

    @property
    def label(self) -> str:
        return f"{self.bundle}/{self.name}"

    @property
    def agent_label(self) -> str:
        """Agents are per platform (and per workspace where there is one): the same id elsewhere is another."""
        workspace = self.target.get("workspace")
        return f"{self.provider}:{workspace}/{self.agent}" if workspace else f"{self.provider}:{self.agent}"

    @property
    def timezone(self) -> str:
        return self.timing.timezone

    @property
    def api(self) -> str | None:
        api = self.target.get("api")
        return str(api) if api else None


@dataclass(frozen=True)
class Forecast:
    """The next fires of one schedule (aware UTC datetimes, ascending) and what to say next to them."""

    ref: ScheduleRef
    semantics: Semantics
    fires: tuple[datetime, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class WindowFires:
    """Every fire of one schedule within a window, as POSIX seconds, ascending."""

    ref: ScheduleRef
    semantics: Semantics
    instants: tuple[int, ...]
    truncated: bool  # more than WINDOW_LIMIT fires: only the first ones are counted


def schedules_of(bundles: Iterable[Bundle]) -> list[tuple[ScheduleRef, Semantics]]:
    """Every schedule of the bundles, in bundle then declaration order, with its provider semantics."""
    found = []
    for bundle in bundles:
        for schedule in bundle.schedules:
            found.append((_ref(bundle, schedule), semantics_for(bundle.provider, bundle.target, schedule)))
    return found


def preview(bundles: Iterable[Bundle], after: datetime, count: int) -> list[Forecast]:
    """The next `count` fires strictly after `after` of every schedule."""
    result = []
    for ref, semantics in schedules_of(bundles):
        fires = next_fire_times(
            ref.timing, after, count, provider=semantics.provider, anchor=semantics.anchor
        )
        notes = list(semantics.notes)
        change = _offset_change(ref.timing.timezone, [after, *fires]) if fires else None
        if change is not None:
            notes.append(dst_note(ref.provider, ref.timing.timezone, *change))
        if len(fires) < count:
            notes.append(_why_fewer(ref.timing, after, len(fires), semantics.provider, semantics.anchor))
        result.append(Forecast(ref, semantics, tuple(fires), tuple(notes)))
    return result


def window(
    bundles: Iterable[Bundle], start: datetime, end: datetime, *, include_paused: bool = False
) -> list[WindowFires]:
    """Every fire in [start, end) of every active schedule (paused ones too when asked).

    Schedules with the same timing and semantics (a `for_each` fan-out, say) are computed once.
    """
    cache: dict[tuple[Timing, str, datetime | None], tuple[tuple[int, ...], bool]] = {}
    result = []
    for ref, semantics in schedules_of(bundles):
        if ref.state == "paused" and not include_paused:
            continue
        family = semantics.provider.split("/", 1)[0]
        key = (ref.timing, family, semantics.anchor)
        if key not in cache:
            cache[key] = _window_instants(ref.timing, semantics, start, end)
        instants, truncated = cache[key]
        result.append(WindowFires(ref, semantics, instants, truncated))
    return result


def _window_instants(
    timing: Timing, semantics: Semantics, start: datetime, end: datetime
) -> tuple[tuple[int, ...], bool]:
    # The engine counts strictly after `after` and up to an inclusive `end`: shift both by a microsecond
    # (fires are whole seconds) so that the window is [start, end).
    last = end - timedelta(microseconds=1)
    bounded = replace(timing, end=min(timing.end, last) if timing.end is not None else last)
    fires = next_fire_times(
        bounded,
        start - timedelta(microseconds=1),
        WINDOW_LIMIT + 1,
        provider=semantics.provider,
        anchor=semantics.anchor,
    )
    truncated = len(fires) > WINDOW_LIMIT
    return tuple((fire - EPOCH) // SECOND for fire in fires[:WINDOW_LIMIT]), truncated


def _ref(bundle: Bundle, schedule: DesiredSchedule) -> ScheduleRef:
    return ScheduleRef.of(bundle.key, bundle.provider, bundle.target, schedule, file=bundle.file)


def _offset_change(zone_name: str, fires: list[datetime]) -> tuple[datetime, datetime] | None:
    """The first two consecutive instants (the start, then the fires) between which the zone's UTC offset
    changes, if any."""
    if zone_name in UTC_NAMES or len(fires) < 2:
        return None
    zone = load_zone(zone_name)
    previous = fires[0]
    offset = previous.astimezone(zone).utcoffset()
    for fire in fires[1:]:
        current = fire.astimezone(zone).utcoffset()
        if current != offset:
            return previous, fire
        previous = fire
    return None


def _why_fewer(
    timing: Timing, after: datetime, found: int, provider: str, anchor: datetime | None = None
) -> str:
    year = PLATFORM_LAST_YEAR.get(provider.split("/", 1)[0])
    if (
        year is not None
        and next_fire_times(timing, after, found + 1, provider=provider, anchor=anchor, platform_end=False)[
            found:
        ]
    ):
        return f"{provider.split('/', 1)[0]} runs on Temporal, whose schedules end with {year}: no fire after that"
    if timing.at is not None:
        return "a one-off: nothing after it" if found else "a one-off in the past: it will not fire"
    if timing.end is not None and (found or timing.end <= after):
        return f"ends {timing.end.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}: no fire after that"
    return "no further fire within about 5 years of the previous one"
