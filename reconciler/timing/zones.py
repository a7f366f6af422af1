"""IANA timezone names -> `ZoneInfo`, with a close-match suggestion for typos.

Used by the bundle validator for `timezone:` and by `fire_times`; the zone data comes from `tzdata`.
"""

from __future__ import annotations

import difflib
import os
import zoneinfo
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from reconciler.timing.spec import TimingError

_EXAMPLE = "Europe/Berlin"


_MACHINE_LOCAL = frozenset({"localtime", "posixrules"})  # files of this machine, not names a server knows


@cache
def _known() -> frozenset[str]:
    return (frozenset(available_timezones()) - _MACHINE_LOCAL) | {"UTC"}


@cache
def load_zone(name: str) -> ZoneInfo:
    """The zone for an IANA name such as `Europe/Berlin` or `UTC`; anything else is a `TimingError`."""
    # UTC, every bundle's default, is always known; another name is looked up alone (`is_known`): listing
    # every zone (`_known`, which opens every file of the tz database) is left for a misspelt name's hint.
    if isinstance(name, str) and (name == "UTC" or is_known(name)):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass  # listed but unreadable: report it like an unknown name
    raise TimingError(_unknown_message(name))


@cache
def is_known(name: str) -> bool:
    """`name in _known()`, without listing every zone: `available_timezones()` opens each of the ~600 files
    of the tz database (0.05-0.1 s), where one name needs the tzdata package's list or one file. A file
    counts as the listing counts it: found by a walk from a TZPATH root (exact case, no `right/` or `posix/`
    at the root, no symbolic link to a folder on the way), a file, starting with `TZif`."""
    if name in _MACHINE_LOCAL or not name:
        return False
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts) or parts[0] in ("right", "posix"):
        return False
    return any(_tz_file(root, parts) for root in zoneinfo.TZPATH) or name in _tzdata_zones()


def _tz_file(root: str, parts: list[str]) -> bool:
    folder = root
    for index, part in enumerate(parts):
        try:
            if part not in os.listdir(folder):  # exact case, as the walk's names are, on any file system
                return False
        except OSError:
            return False
        path = os.path.join(folder, part)
        if index < len(parts) - 1 and (os.path.islink(path) or not os.path.isdir(path)):
            return False
        folder = path
    if os.path.isdir(folder):
        return False
    try:
        with open(folder, "rb") as file:
            return file.read(4) == b"TZif"
    except OSError:
        return False


@cache
def _tzdata_zones() -> frozenset[str]:
    """The zones the tzdata package lists (one file), as `available_timezones()` reads them."""
    from importlib import resources

    try:
        with resources.files("tzdata").joinpath("zones").open("r") as lines:
            return frozenset(line.strip() for line in lines if line.strip())
    except (ImportError, FileNotFoundError):
        return frozenset()


@cache
def is_utc(name: str) -> bool:
    """Is `name` UTC itself under another name (`Etc/UTC`, `Zulu`, `UCT`, `GMT0`, `Etc/GMT+0`, ...): a zone at
    offset 0 at every instant from 1850 to 2100? A zone at 0 today that was not always (`Africa/Abidjan`, with
    its local mean time before 1912) or is not all year (`Europe/London`) is not UTC."""
    try:
        zone = load_zone(name)
    except TimingError:
        return False
    if name == "UTC":  # every bundle's default is UTC by definition: 502 offsets (~5 ms) prove nothing more
        return True
    for year in range(1850, 2101):
        for month in (1, 7):
            if datetime(year, month, 1, tzinfo=zone).utcoffset() != timedelta(0):
                return False
    return True


def _unknown_message(name: object) -> str:
    message = f"unknown timezone '{name}'; use an IANA name such as {_EXAMPLE}"
    if not isinstance(name, str) or not name:
        return message
    key = name.strip().casefold().replace(" ", "_")
    suggestion = _lookup(key, _by_folded()) or _lookup(key, _by_city())
    return f"{message} (did you mean '{suggestion}'?)" if suggestion else message


def _lookup(key: str, names: dict[str, str]) -> str | None:
    if key in names:
        return names[key]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.8)
    return names[close[0]] if close else None


@cache
def _by_folded() -> dict[str, str]:
    return {known.casefold(): known for known in sorted(_known())}


@cache
def _by_city() -> dict[str, str]:
    """`berlin` -> `Europe/Berlin`; canonical region names win over legacy ones (sorted: `America/` first)."""
    cities: dict[str, str] = {}
    for known in sorted(_known()):
        if "/" in known:
            cities.setdefault(known.rsplit("/", 1)[1].casefold(), known)
    return cities
