"""`calendar --suggest-spread`: new minutes for colliding schedules, each within its allowed window, that
lower the busiest minute. Pure: the calendar's fires in, moves out (docs/timing.md#suggesting-a-spread).

What may move, and how far:
- a cron whose minute field is numbers (`0`, `0,30`), a calendar whose minutes are single values, an
  `every` (through its offset): up to `window` minutes either way (`--window`; none given: they stay).
  Cron and calendar minutes stay in their hour, like `spread` (hashed.minute_shift): the hours and days stay
  exactly as written, and one cron can always say the result.
- a cron whose minute field is `H` or `H(a-b)`: anywhere in that range. The hash chose one minute; a
  suggestion writes a concrete minute instead, and only when that lowers the load.
- everything else stays where it is and is counted: `spread` (the bound is a request for the hash's
  choice), `at`, ranges and steps in the minute field (`*/15`), `H/n`.

The objective, lexicographic: (most schedules in one minute overall, most schedules in one minute of the
busiest agent, the sum of squares of the schedules per minute overall, the same per agent). A move is taken
only when it strictly lowers that tuple, so the peak never rises. Greedy passes over the colliding movable
schedules in file order, each to its best shift (on ties: stay, else the smallest move, earlier first),
until a pass moves nothing: the same input gives the same moves.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from reconciler.forecast.fires import WindowFires, _window_instants
from reconciler.providers.capabilities import capabilities_for
from reconciler.timing import Calendar, Range, Timing, TimingError, format_duration, parse_cron
from reconciler.timing.every_cron import every_as_cron

MAX_PASSES = 50  # each pass strictly lowers the objective; this only bounds pathological inputs
_NUMBERS = re.compile(r"[0-9]+(,[0-9]+)*")
_H_MINUTE = re.compile(r"H(?:\((?P<low>[0-9]+)-(?P<high>[0-9]+)\))?")


@dataclass(frozen=True)
class Window:
    shifts: tuple[int, ...]  # minutes the schedule may move by, 0 first, then by preference
    why: str  # what allows it: "±30m (--window)", "H(0-29)"


@dataclass(frozen=True)
class Move:
    schedule: int  # index into the calendar's fires
    shift: int  # minutes, signed
    timing: Timing  # the schedule's timing once moved
    field: str  # what changes in `when`: cron, offset, calendars
    old: str  # the value as the forecast reads it (canonical), before and after
    new: str
    why: str  # the window it stayed in
    minutes: frozenset[int] = frozenset()  # its fire minutes once moved (POSIX seconds)


@dataclass(frozen=True)
class Peaks:
    overall: int  # most distinct schedules firing in one minute (what `calendar` reports)
    agent: str  # the busiest agent ("" when nothing fires)
    agent_peak: int  # most of its schedules firing in one minute


@dataclass(frozen=True)
class Suggestion:
    before: Peaks
    after: Peaks
    moves: tuple[Move, ...]  # in file order
    fixed: tuple[int, ...]  # colliding schedules with no window (indices into the fires)


def suggest(
    fires: Sequence[WindowFires],
    written: Mapping[str, Mapping[str, str]],
    start: datetime,
    end: datetime,
    window: int | None,
) -> Suggestion:
    """Moves for the colliding schedules of `fires` (the calendar's, for [start, end)). `written` maps a
    schedule's label to what the bundle wrote where `H`/`spread` chose (DesiredSchedule.written); `window`
    is `--window` in minutes."""
    sets = [_minutes(item.instants) for item in fires]
    agents = [item.ref.agent_label for item in fires]
    before = _peaks(sets, agents)
    overall: Counter[int] = Counter(m for s in sets for m in s)
    colliding = [i for i, s in enumerate(sets) if any(overall[m] > 1 for m in s)]
    windows = {i: _window(fires[i], written.get(fires[i].ref.label, {}), window) for i in colliding}
    fixed = tuple(i for i in colliding if windows[i] is None)
    options: dict[int, list[tuple[int, Timing, frozenset[int]]]] = {}
    cache: dict[tuple[Timing, str, datetime | None], frozenset[int]] = {}
    # A for_each fan-out or a crowd of `0 9 * * *` shares its timing: its choices are computed once.
    shared: dict[tuple[object, ...], list[tuple[int, Timing, frozenset[int]]]] = {}
    for i, allowed in windows.items():
        if allowed is None:
            continue
        item = fires[i]
        family = (item.ref.timing, item.semantics.provider, item.semantics.anchor)
        same = (*family, item.ref.provider, item.ref.api, allowed.shifts)
        if same not in shared:
            choices = []
            for shift in allowed.shifts:
                timing = _shifted(item.ref.timing, shift) if shift else item.ref.timing
                if timing is None or not _expressible(item, timing):
                    continue
                key = (timing, *family[1:])
                if key not in cache:
                    cache[key] = _minutes(_window_instants(timing, item.semantics, start, end)[0])
                choices.append((shift, timing, cache[key]))
            shared[same] = choices
        options[i] = shared[same]
    chosen = _greedy(sets, agents, options)
    moves = []
    after_sets = list(sets)
    for i, (shift, timing, minutes) in sorted(chosen.items()):
        allowed = windows[i]
        assert allowed is not None
        field, old = _shown(fires[i].ref.timing)
        moves.append(Move(i, shift, timing, field, old, _shown(timing)[1], allowed.why, minutes))
        after_sets[i] = minutes
    return Suggestion(before, _peaks(after_sets, agents), tuple(moves), fixed)


def peaks_with(fires: Sequence[WindowFires], moves: Sequence[Move]) -> Peaks:
    """The peaks once only these moves are made (those written, when some cannot be)."""
    sets = [_minutes(item.instants) for item in fires]
    for move in moves:
        sets[move.schedule] = move.minutes
    return _peaks(sets, [item.ref.agent_label for item in fires])


def _greedy(
    sets: list[frozenset[int]],
    agents: list[str],
    options: Mapping[int, list[tuple[int, Timing, frozenset[int]]]],
) -> dict[int, tuple[int, Timing, frozenset[int]]]:
    """Every schedule that moves: index -> (shift, timing, fire minutes); see the module's objective."""
    overall: Counter[int] = Counter()
    per_agent: dict[str, Counter[int]] = {a: Counter() for a in agents}
    for s, agent in zip(sets, agents, strict=True):
        overall.update(s)
        per_agent[agent].update(s)
    current = list(sets)
    chosen: dict[int, tuple[int, Timing, frozenset[int]]] = {}
    for _ in range(MAX_PASSES):
        moved = False
        for i in sorted(options):
            mine, own = current[i], per_agent[agents[i]]
            if all(overall[m] <= 1 for m in mine):
                continue  # no longer collides: leave it be
            overall.subtract(mine)
            own.subtract(mine)
            base = _Base(
                overall,
                own,
                max(overall.values(), default=0),
                max(own.values(), default=0),
                max((max(c.values(), default=0) for a, c in per_agent.items() if a != agents[i]), default=0),
            )
            best, best_cost = None, base.cost(mine)
            for shift, timing, s in options[i]:
                if (c := base.cost(s)) < best_cost:
                    best, best_cost = (shift, timing, s), c
            if best is not None:
                shift, timing, mine = best
                current[i] = mine
                if shift:
                    chosen[i] = (shift, timing, mine)
                else:
                    chosen.pop(i, None)
                moved = True
            overall.update(mine)
            own.update(mine)
        if not moved:
            break
    return chosen


@dataclass(frozen=True)
class _Base:
    """The load without the schedule being placed: what each of its placements would make of the objective."""

    overall: Counter[int]
    own: Counter[int]  # its agent's
    peak: int
    own_peak: int
    others_peak: int  # the busiest other agent's

    def cost(self, minutes: frozenset[int]) -> tuple[int, int, int, int]:
        top = own_top = squares = own_squares = 0  # one loop: this runs for every candidate of every pass
        for minute in minutes:
            here, own = self.overall[minute], self.own[minute]
            top, own_top = max(top, here + 1), max(own_top, own + 1)
            squares += 2 * here + 1
            own_squares += 2 * own + 1
        return (max(self.peak, top), max(self.others_peak, self.own_peak, own_top), squares, own_squares)


def _minutes(instants: Sequence[int]) -> frozenset[int]:
    return frozenset(instant - instant % 60 for instant in instants)


def _peaks(sets: Sequence[frozenset[int]], agents: Sequence[str]) -> Peaks:
    overall: Counter[int] = Counter(m for s in sets for m in s)
    per_agent: dict[str, Counter[int]] = {}
    for s, agent in zip(sets, agents, strict=True):
        per_agent.setdefault(agent, Counter()).update(s)
    busiest = sorted(
        ((max(c.values(), default=0), a) for a, c in per_agent.items()), key=lambda p: (-p[0], p[1])
    )
    peak, agent = busiest[0] if busiest else (0, "")
    return Peaks(max(overall.values(), default=0), agent, peak)


def _window(item: WindowFires, written: Mapping[str, str], minutes: int | None) -> Window | None:
    timing = item.ref.timing
    if any("spread" in text for text in written.values()) or timing.at is not None:
        return None
    if timing.cron:
        return _cron_window(timing.cron, written.get("when.cron"), minutes)
    if timing.every is not None:
        if minutes is None:
            return None
        caps = capabilities_for(item.ref.provider, item.ref.api)
        if not caps.every_offset and not caps.every_as_cron:
            return None
        shifts = [d for d in range(-minutes, minutes + 1) if 0 <= timing.offset + 60 * d < timing.every]
        return Window(_by_preference(shifts), f"±{minutes}m (--window)")
    if timing.calendars and minutes is not None:
        values = [r.start for c in timing.calendars for r in c.minute]
        if not values or any(r.end > r.start or r.step != 1 for c in timing.calendars for r in c.minute):
            return None
        return _within_hour(min(values), max(values), minutes)
    return None


def _cron_window(crons: tuple[str, ...], hashed: str | None, minutes: int | None) -> Window | None:
    if hashed is not None:
        fields = hashed.split()
        if len(crons) != 1 or len(fields) not in (5, 6):
            return None
        match = _H_MINUTE.fullmatch(fields[len(fields) - 5])
        if match is None:
            return _plain_window(fields[len(fields) - 5], crons, minutes)
        low, high = (int(match["low"]), int(match["high"])) if match["low"] else (0, 59)
        (current,) = parse_cron(crons[0]).minutes
        shifts = range(low - current, high - current + 1)
        return Window(_by_preference(list(shifts)), match[0] if match["low"] else "H(0-59)")
    split = [text.split() for text in crons]
    if any(len(f) not in (5, 6) for f in split):
        return None
    return _plain_window(",".join(f[len(f) - 5] for f in split), crons, minutes)


def _plain_window(term: str, crons: tuple[str, ...], minutes: int | None) -> Window | None:
    if minutes is None or not _NUMBERS.fullmatch(term):
        return None
    values = [m for text in crons for m in parse_cron(text).minutes]
    return _within_hour(min(values), max(values), minutes)


def _within_hour(low: int, high: int, minutes: int) -> Window:
    shifts = list(range(max(-minutes, -low), min(minutes, 59 - high) + 1))
    return Window(_by_preference(shifts), f"±{minutes}m (--window), within the hour")


def _by_preference(shifts: list[int]) -> tuple[int, ...]:
    return tuple(sorted(shifts, key=lambda d: (abs(d), d)))


def _shifted(timing: Timing, shift: int) -> Timing | None:
    """The timing `shift` minutes later (earlier when negative); None when it cannot say that."""
    try:
        if timing.cron:
            return replace(timing, cron=tuple(canonical_shift(text, shift) for text in timing.cron))
        if timing.every is not None:
            return replace(timing, offset=timing.offset + 60 * shift)
        return replace(timing, calendars=tuple(_shift_calendar(c, shift) for c in timing.calendars))
    except TimingError:
        return None


def shift_cron_minutes(text: str, shift: int, minutes: frozenset[int] | None = None) -> str:
    """`text` with its minute field replaced by its minutes `shift` later (the minutes are given when the
    text names them with `H`); every other field stays as written."""
    fields = text.split()
    index = len(fields) - 5
    values = minutes if minutes is not None else parse_cron(" ".join(fields)).minutes
    moved = sorted(m + shift for m in values)
    if not all(0 <= m <= 59 for m in moved):
        raise TimingError(f"minutes {moved} leave the hour")
    fields[index] = ",".join(str(m) for m in moved)
    return " ".join(fields)


def canonical_shift(text: str, shift: int) -> str:
    return parse_cron(shift_cron_minutes(text, shift)).canonical


def _shift_calendar(calendar: Calendar, shift: int) -> Calendar:
    moved = tuple(Range(r.start + shift) for r in calendar.minute)
    if not all(0 <= r.start <= 59 for r in moved):
        raise TimingError("a minute leaves the hour")
    return replace(calendar, minute=moved)


def _expressible(item: WindowFires, timing: Timing) -> bool:
    """Can the schedule's platform hold the moved timing exactly? (Some take only certain cron shapes, such
    as minute 0; a cron-only platform says an `every` as one cron, and the offset must fit that.)"""
    caps = capabilities_for(item.ref.provider, item.ref.api)
    if timing.cron:
        six = [text if len(text.split()) == 6 else f"0 {text}" for text in timing.cron]
        return caps.cron_pattern is None or all(re.match(caps.cron_pattern, text) for text in six)
    if timing.every is None or not caps.every_as_cron:
        return True
    try:
        every_as_cron(timing.every, timing.offset)
    except TimingError:
        return False
    return True


def _shown(timing: Timing) -> tuple[str, str]:
    if timing.cron:
        return "cron", "; ".join(timing.cron)
    if timing.every is not None:
        return "offset", format_duration(timing.offset)
    minutes = ",".join(str(r.start) for c in timing.calendars for r in c.minute)
    return "calendars", f"minute {minutes}"
