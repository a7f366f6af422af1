"""A bundle's timezone is looked up alone: `validate` and `preview` of a bundle in `Europe/Berlin` do not list
every zone of the tz database (`zoneinfo.available_timezones()` opens each of its ~600 files, 0.05-0.1 s of
start-up). The lookup must accept exactly the names the listing holds; the listing still words a typo's hint.

(Here, beside the start-up checks of tests/cli/test_lazy_verbs.py, because start-up is why it exists.)"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.timing import zones
from reconciler.timing.spec import TimingError


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    cached = (zones.load_zone, zones.is_known, zones._known, zones._by_folded, zones._by_city)
    for function in cached:
        function.cache_clear()
    yield
    for function in cached:
        function.cache_clear()


def names_to_try() -> set[str]:
    """Every zone listed, every file and folder under the zone roots (links followed), and near misses."""
    names = set(zones._known())
    for root in zoneinfo.TZPATH:
        for folder, folders, files in os.walk(root, followlinks=True):
            names.update(os.path.relpath(os.path.join(folder, name), root) for name in folders + files)
    near_misses = ("", "europe/berlin", "EUROPE/BERLIN", "Europe//Berlin", "./UTC", "../zoneinfo/UTC", "/UTC")
    names.update(near_misses)
    names.update(
        ("Europe/", "right/UTC", "posix/UTC", "posixrules", "localtime", "Europe", "UTC ", "Nowhere/X")
    )
    return names


def test_a_name_is_known_exactly_when_the_listing_holds_it(fresh_caches: None) -> None:
    listed = zones._known()
    wrong = sorted(name for name in names_to_try() if zones.is_known(name) != (name in listed))
    assert wrong == []


def test_a_zone_loads_without_the_listing_and_a_typo_still_gets_its_hint(
    fresh_caches: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    listings: list[str] = []
    real = zones.available_timezones

    def listing() -> set[str]:
        listings.append("listed")
        return real()

    monkeypatch.setattr(zones, "available_timezones", listing)
    assert zones.load_zone("Europe/Berlin").key == "Europe/Berlin"
    assert zones.load_zone("America/Argentina/Buenos_Aires").key == "America/Argentina/Buenos_Aires"
    assert listings == []
    with pytest.raises(TimingError, match="Europe/Berlin"):
        zones.load_zone("Europe/Berln")
    assert listings == ["listed"]


def test_a_bundle_in_a_zone_validates_and_previews(tmp_path: Path) -> None:
    from tests.cli.test_lazy_verbs import INTERVALS, loaded_by

    bundle = tmp_path / "berlin.yaml"
    bundle.write_text(INTERVALS.replace('{every: "1h"}', '{cron: "0 9 * * *", timezone: "Europe/Berlin"}'))
    for verb in ("validate", "preview"):
        assert loaded_by([verb, str(bundle)], []) == (0, [])
