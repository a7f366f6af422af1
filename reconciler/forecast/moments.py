"""`--from` values: an ISO 8601 instant or date, or `now`, read in a given zone when it has no offset.

Used by the `preview` and `calendar` verbs; pure (the caller passes "now").
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from reconciler.timing import load_zone


def parse_moment(text: str, zone_name: str, now: datetime) -> datetime:
    """An aware datetime for `text`; a ValueError says what is accepted."""
    cleaned = text.strip()
    if cleaned.lower() == "now":
        return now
    zone = load_zone(zone_name)
    try:
        if len(cleaned) == 10:
            moment = datetime.combine(date.fromisoformat(cleaned), time(), zone)
        else:
            moment = datetime.fromisoformat(cleaned.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"'{text}' is not an ISO 8601 date or time (e.g. 2026-03-02, 2026-03-02T09:00:00Z, "
            f"2026-03-02T09:00+01:00) nor 'now'"
        ) from None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    return _within_bounds(moment, text)


FIRST, LAST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)


def _within_bounds(moment: datetime, text: str) -> datetime:
    """The instants a bundle can name (1970 to 2100, as `validate` bounds start, end and at): nothing fires
    outside them, and a date at the edge of the calendar would overflow once read in UTC."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not FIRST <= utc <= LAST:
        raise ValueError(f"'{text}' must lie between {iso_utc(FIRST)} and {iso_utc(LAST)}")
    return moment


def start_of_day(moment: datetime, zone_name: str) -> datetime:
    """Midnight (or the first instant, where midnight is skipped) of `moment`'s day in the zone."""
    zone = load_zone(zone_name)
    day = moment.astimezone(zone).date()
    midnight = datetime.combine(day, time(), zone)
    # A zone whose clocks jump at midnight has no 00:00 that day: normalise through UTC to the real instant.
    return midnight.astimezone(UTC).astimezone(zone)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_text(moment: datetime, zone_name: str) -> str:
    """`Mon 2026-03-02 09:00` on the zone's clock."""
    return f"{moment.astimezone(load_zone(zone_name)):%a %Y-%m-%d %H:%M}"


def at_second(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def offset_text(seconds: int) -> str:
    """A UTC offset in seconds as `+05:30` / `-03:00`."""
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
