"""`H` and `spread`: the hash is pinned (a change would move every hashed schedule's minute) and every form
stays inside its field."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.timing.cron import parse_cron
from reconciler.timing.hashed import expand_hashed, hash_choice, minute_shift, spread_offset
from reconciler.timing.spec import TimingError

# Computed once with the documented function and never to be changed: if this table fails, users' schedules
# would move to other minutes on upgrade.
PINNED = [
    ("team/briefing", "H H H H H", "55 16 27 3 0"),
    ("support-digests/weekday-briefing", "H H H H H", "24 13 9 11 6"),
    ("a/b", "H H H H H", "23 0 8 5 5"),
    ("ünïcode/名前", "H H H H H", "6 22 7 12 5"),
    ("team/briefing", "H 9 * * mon-fri", "55 9 * * mon-fri"),
    ("team/briefing", "H/15 * * * *", "10,25,40,55 * * * *"),
    ("team/briefing", "H(0-29) 2 * * *", "25 2 * * *"),
]
PINNED_SPREAD = [("team/briefing", 6 * 3600, 156 * 60), ("a/b", 6 * 3600, 41 * 60), ("a/b", 45, 41)]

identities = st.text(min_size=1, max_size=40).map(lambda name: f"bundle/{name}")
# (field index in a 5-field cron, the field's bounds for H(a-b), the range a bare H draws from)
FIELDS = [(0, (0, 59), (0, 59)), (1, (0, 23), (0, 23)), (2, (1, 31), (1, 28)), (3, (1, 12), (1, 12))]
FIELDS += [(4, (0, 7), (0, 6))]


@pytest.mark.parametrize(("identity", "written", "concrete"), PINNED)
def test_the_hash_is_pinned(identity: str, written: str, concrete: str) -> None:
    assert expand_hashed(written, identity) == concrete


@pytest.mark.parametrize(("identity", "window", "offset"), PINNED_SPREAD)
def test_the_spread_is_pinned(identity: str, window: int, offset: int) -> None:
    assert spread_offset(identity, window) == offset


@given(identities, st.integers(1, 10_000))
def test_the_hash_is_the_documented_function(identity: str, size: int) -> None:
    """docs/bundle-format.md: SHA-256 of `<bundleKey>/<name>#<salt>`, first 8 bytes big-endian, mod size."""
    digest = hashlib.sha256(f"{identity}#minute".encode()).digest()
    assert hash_choice(identity, "minute", size) == int.from_bytes(digest[:8], "big") % size


def _cron(index: int, term: str) -> str:
    fields = ["0", "0", "*", "*", "*"]
    fields[index] = term
    return " ".join(fields)


@pytest.mark.parametrize(("index", "bounds", "hashed"), FIELDS)
@given(identity=identities)
def test_a_bare_h_is_one_value_of_its_fields_range(
    index: int, bounds: tuple[int, int], hashed: tuple[int, int], identity: str
) -> None:
    value = expand_hashed(_cron(index, "H"), identity).split()[index]
    assert hashed[0] <= int(value) <= hashed[1]
    parse_cron(expand_hashed(_cron(index, "H"), identity))


@pytest.mark.parametrize(("index", "bounds", "hashed"), FIELDS)
@given(identity=identities, data=st.data())
def test_a_range_and_a_step_stay_inside(
    index: int, bounds: tuple[int, int], hashed: tuple[int, int], identity: str, data: st.DataObject
) -> None:
    low = data.draw(st.integers(*bounds))
    high = data.draw(st.integers(low, bounds[1]))
    step = data.draw(st.integers(1, high - low + 1))
    ranged = expand_hashed(_cron(index, f"H({low}-{high})"), identity).split()[index]
    assert low <= int(ranged) <= high
    stepped = [
        int(v)
        for v in expand_hashed(_cron(index, f"H({low}-{high})/{step}"), identity).split()[index].split(",")
    ]
    assert low <= stepped[0] < low + step and stepped[-1] <= high and stepped[-1] + step > high
    assert all(b - a == step for a, b in itertools.pairwise(stepped))
    if step > hashed[1] - hashed[0] + 1:  # a bare H/n steps through the H range (1-28 in day-of-month)
        with pytest.raises(TimingError, match="larger than the range"):
            expand_hashed(_cron(index, f"H/{step}"), identity)
        return
    bare = [int(v) for v in expand_hashed(_cron(index, f"H/{step}"), identity).split()[index].split(",")]
    assert bare[0] < hashed[0] + step and all(hashed[0] <= v <= hashed[1] for v in bare)


@given(identities, st.integers(1, 7 * 86400))
def test_a_spread_stays_in_its_window_in_whole_minutes(identity: str, window: int) -> None:
    offset = spread_offset(identity, window)
    assert 0 <= offset < window
    if window >= 60:
        assert offset % 60 == 0


@given(identities)
def test_changing_nothing_never_changes_the_minute(identity: str) -> None:
    assert expand_hashed("H H * * *", identity) == expand_hashed("H H * * *", identity)


def test_a_cron_without_h_is_left_as_written() -> None:
    assert expand_hashed("0 9 * * thu", "a/b") == "0 9 * * thu"
    assert expand_hashed("@daily", "a/b") == "@daily"


@pytest.mark.parametrize(
    ("written", "why"),
    [
        ("H(50-70) * * * *", "within 0-59"),
        ("H/0 * * * *", "at least 1"),
        ("H/61 * * * *", "larger than the range"),
        ("H(30-10) * * * *", "before it starts"),
        ("Hx * * * *", "H(a-b)/n"),
        ("0 0 H(0-31) * *", "within 1-31"),
    ],
)
def test_a_bad_h_is_refused_saying_why(written: str, why: str) -> None:
    with pytest.raises(TimingError, match=why.replace("(", r"\(").replace(")", r"\)")):
        expand_hashed(written, "a/b")


minute_sets = st.lists(st.frozensets(st.integers(0, 59), min_size=1), min_size=1, max_size=3)


@given(identities, minute_sets)
def test_spread_true_moves_every_minute_by_one_shift_within_the_hour(
    identity: str, sets: list[frozenset[int]]
) -> None:
    delta = minute_shift(sets, None, identity)
    assert all(0 <= m + delta <= 59 for minutes in sets for m in minutes)


@given(identities, minute_sets, st.integers(1, 60))
def test_a_spread_duration_moves_later_within_the_window_or_is_refused(
    identity: str, sets: list[frozenset[int]], window: int
) -> None:
    highest = max(max(minutes) for minutes in sets)
    if highest + window > 60:
        with pytest.raises(TimingError, match=f"at most {60 - highest}m here"):
            minute_shift(sets, window * 60, identity)
        return
    delta = minute_shift(sets, window * 60, identity)
    assert 0 <= delta < window and highest + delta <= 59


def test_a_spread_on_a_cron_is_whole_minutes() -> None:
    with pytest.raises(TimingError, match="whole number of minutes"):
        minute_shift([frozenset({0})], 90, "a/b")
