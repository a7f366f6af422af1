"""Normalisation: one canonical shape from both sides, so an applied bundle plans as no change."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.live import LiveSchedule
from reconciler.plan.normalise import canonical, canonical_json, comparable, comparable_live, normalise
from reconciler.plan.planner import plan_bundle
from reconciler.timing.spec import Timing
from tests.plan.factories import KEY, NOW, bundle, desired, reported

# ---- examples -----------------------------------------------------------------------------------------------


def test_both_sides_give_the_same_shape() -> None:
    token = Sensitive("s3cret")
    schedule = desired("a", input={"message": "m", "secrets": {"token": token}}, labels={})
    live = LiveSchedule(
        remote_id="sch_1",
        agent="agent_x",
        name="a",
        owner=KEY,
        state="active",
        when={"timezone": "Europe/Berlin", "cron": ["0  9 * * 1-5"]},
        input={"secrets": {"token": token.digest()}, "message": "m", "data": {}},
        labels={},
        options={"extra": None},
    )
    assert (
        comparable(schedule)
        == comparable_live(live)
        == {
            "agent": "agent_x",
            "state": "active",
            "when": {"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
            "input": {"message": "m", "secrets": {"token": token.digest()}},
        }
    )


def test_empty_values_are_dropped_but_zero_and_false_are_kept() -> None:
    assert canonical({"a": None, "b": "", "c": {}, "d": [], "e": 0, "f": False, "g": {"h": {}}}) == {
        "e": 0,
        "f": False,
    }
    assert canonical({"list": [None, "", {}, ("x",)]}) == {"list": [None, "", {}, ["x"]]}  # positions matter


def test_timing_spellings_that_mean_the_same_fire_times() -> None:
    def when(value: dict[str, Any]) -> Any:
        return normalise({"when": value}).get("when")

    assert when({"cron": "0 9 * * *", "timezone": "Etc/UTC"}) == {"cron": "0 9 * * *"}
    assert when({"every": 5400, "offset": "0m"}) == {"every": "1h30m"}
    assert when({"every": "90m", "offset": "15m"}) == {"every": "1h30m", "offset": "15m"}
    assert when({"every": "soon"}) == {"every": "soon"}  # not ours to judge: it shows as a difference
    assert when({"cron": ["0 9 * * *", "0 17 * * *"]}) == {"cron": ["0 9 * * *", "0 17 * * *"]}


def test_protect_counts_only_when_true() -> None:
    assert "protect" not in normalise({"protect": False})
    assert normalise({"protect": True})["protect"] is True


def test_canonical_json_is_sorted_compact_and_digests_secrets() -> None:
    assert canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'
    secret = Sensitive("x")
    assert canonical_json({"s": secret}, b"k") == f'{{"s":"{secret.digest(b"k")}"}}'


# ---- properties ---------------------------------------------------------------------------------------------

_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False, width=16)
    | st.sampled_from(["", " ", "x", "0 9 * * *", "UTC", "90m", "0s"])
)
_json = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c", ""]), inner, max_size=3)
    ),
    max_leaves=8,
)
# Schedules from a bundle: no floats, so that equal canonical JSON is exactly "no change" (1 and 1.0 are not).
_plain_leaf = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["", "x", "EMEA"])
_plain_json = st.recursive(
    _plain_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", ""]), inner, max_size=3)
    ),
    max_leaves=6,
)
_when_keys = st.sampled_from(["cron", "timezone", "every", "offset", "at", "start", "calendars"])
_messy_when = st.dictionaries(
    _when_keys,
    _json | st.sampled_from(["Etc/UTC", "GMT", "Europe/Berlin", " 0  9 * * * "]) | st.integers(0, 90_000),
    max_size=4,
)
_shapes = st.fixed_dictionaries(
    {},
    optional={
        "agent": st.sampled_from(["agent_a", ""]),
        "state": st.sampled_from(["active", "paused", "archived"]),
        "when": _messy_when | _json,
        "input": _json,
        "labels": st.dictionaries(st.sampled_from(["team", "tier"]), st.sampled_from(["", "x"])),
        "options": _json,
        "protect": st.booleans(),
    },
)


@given(_shapes)
def test_normalising_twice_is_normalising_once(shape: dict[str, Any]) -> None:
    once = normalise(shape)
    assert normalise(once) == once
    assert canonical(once) == once


_names = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True)
_zones = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"])
_crons = st.sampled_from(["0 9 * * 1-5", "*/15 * * * *", "0 0 1 * *"])
_durations = st.sampled_from([("1h30m", 5400), ("6h", 21600), ("15m", 900), ("1d", 86400)])
_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_secret = st.builds(Sensitive, st.text(min_size=1, max_size=12))


@st.composite
def _whens(draw: st.DrawFn) -> dict[str, Any]:
    zone = draw(_zones)
    form = draw(st.sampled_from(["cron", "crons", "every"]))
    if form == "cron":
        when: dict[str, Any] = {"cron": draw(_crons)}
    elif form == "crons":
        when = {"cron": draw(st.lists(_crons, min_size=2, max_size=3))}
    else:
        when = {"every": draw(_durations)[0]}
        if draw(st.booleans()):
            when["offset"] = "15m"
    when["timezone"] = zone
    if draw(st.booleans()):
        when["start"] = "2026-12-01T00:00:00Z"
    return when


@st.composite
def _schedules(draw: st.DrawFn) -> DesiredSchedule:
    data = draw(st.dictionaries(st.sampled_from(["region", "n", "flags", "empty"]), _plain_json, max_size=3))
    inputs: dict[str, Any] = {}
    if draw(st.booleans()):
        inputs["message"] = draw(_text | _secret)
    if data:
        inputs["data"] = data
    secrets = draw(st.dictionaries(st.sampled_from(["token", "key"]), _secret, max_size=2))
    if secrets:
        inputs["secrets"] = secrets
    return DesiredSchedule(
        name=draw(_names),
        agent=draw(st.sampled_from(["agent_a", "agent_b"])),
        state=draw(st.sampled_from(["active", "paused"])),
        when=draw(_whens()),
        timing=Timing(),
        input=inputs,
        labels=draw(
            st.dictionaries(st.sampled_from(["team", "tier", "app.io/x"]), st.text(min_size=1, max_size=5))
        ),
        options=draw(st.dictionaries(st.sampled_from(["retries", "notes"]), _plain_json, max_size=2)),
        protect=draw(st.booleans()),
    )


@st.composite
def _as_a_provider_reports(draw: st.DrawFn, schedule: DesiredSchedule) -> LiveSchedule:
    """What a provider could report after applying `schedule`: its own key order, spellings and defaults."""
    live = reported(schedule, draw(st.sampled_from(["sch_1", "42"])))
    when = dict(live.when)
    if when.get("timezone") == "UTC":
        choice = draw(st.sampled_from(["drop", "Etc/UTC", "keep"]))
        if choice == "drop":
            del when["timezone"]
        elif choice == "Etc/UTC":
            when["timezone"] = "Etc/UTC"
    if isinstance(when.get("cron"), str) and draw(st.booleans()):
        when["cron"] = [when["cron"]]
    if "every" in when and draw(st.booleans()):
        when["every"] = {"1h30m": "90m", "6h": "360m", "15m": "900s", "1d": "24h"}[when["every"]]
    if "offset" not in when and "every" in when and draw(st.booleans()):
        when["offset"] = "0s"
    inputs = dict(live.input)
    for key in ("data", "message"):
        if key not in inputs and draw(st.booleans()):
            inputs[key] = {} if key == "data" else ""
    options = dict(live.options)
    if draw(st.booleans()):
        options["server_default"] = None
    return replace(live, when=when, input=inputs, options=options)


@given(st.data())
@settings(max_examples=200)
def test_a_freshly_applied_schedule_plans_as_no_change(data: st.DataObject) -> None:
    schedule = data.draw(_schedules())
    live = data.draw(_as_a_provider_reports(schedule))
    assert comparable_live(live) == comparable(schedule)
    result = plan_bundle(bundle(schedule), [live], now=NOW)
    assert [(a.kind, a.changes) for a in result.actions] == [("noop", ())]


@given(_schedules(), _schedules())
def test_a_plan_is_noop_exactly_when_the_canonical_forms_agree(
    first: DesiredSchedule, second: DesiredSchedule
) -> None:
    second = replace(second, name=first.name, agent=first.agent)
    [action] = plan_bundle(bundle(first), [reported(second, "sch_1")], now=NOW).actions
    same = canonical_json(comparable(first)) == canonical_json(comparable(second))
    assert (action.kind == "noop") == same
    assert bool(action.changes) == (not same)
