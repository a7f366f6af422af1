"""load_zone: IANA names only, with a suggestion for near misses."""

from __future__ import annotations

import pytest

from reconciler.timing import TimingError, load_zone


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT-5"])
def test_known_names(name: str) -> None:
    assert load_zone(name).key == name


def test_exact_message_without_a_close_match() -> None:
    with pytest.raises(TimingError) as info:
        load_zone("Mars/Olympus")
    assert str(info.value) == "unknown timezone 'Mars/Olympus'; use an IANA name such as Europe/Berlin"


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("Europe/Berlinn", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("America/New_Yrok", "America/New_York"),
        ("utc", "UTC"),
    ],
)
def test_close_matches_are_suggested(name: str, suggestion: str) -> None:
    with pytest.raises(TimingError) as info:
        load_zone(name)
    assert str(info.value) == (
        f"unknown timezone '{name}'; use an IANA name such as Europe/Berlin (did you mean '{suggestion}'?)"
    )


@pytest.mark.parametrize("name", ["", "../etc/passwd", "/usr/share/zoneinfo/UTC", "localtime", "Europe"])
def test_paths_and_non_zones_are_rejected(name: str) -> None:
    with pytest.raises(TimingError, match="unknown timezone"):
        load_zone(name)
