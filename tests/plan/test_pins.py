"""The pins of a saved plan (reconciler/plan/pins.py): what they record, and when a fresh plan differs."""

from __future__ import annotations

import json

from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.model import Plan
from reconciler.plan.pins import pin_differences, pins_json
from reconciler.plan.planner import plan_bundle
from tests.plan import factories

KEY = b"team-key"
SECRET = "canary-pins-unit-77a1"


def plan_of(message: object, **input_: object) -> Plan:
    wanted = factories.desired("s", input={"message": message, **input_})
    return Plan((plan_bundle(factories.bundle(wanted), [], now=factories.NOW),))


def test_only_secret_bearing_values_are_pinned_and_never_in_clear() -> None:
    plan = plan_of(Sensitive(f"Brief {SECRET}"), data={"d": Sensitive(SECRET), "plain": "p"})
    pins = pins_json(plan, KEY)
    [entry] = pins["bundles"][factories.KEY]
    assert [f["path"] for f in entry["fields"]] == [["input", "data", "d"], ["input", "message"]]
    assert SECRET not in json.dumps(pins)
    assert pin_differences(json.loads(json.dumps(pins)), plan, KEY) == []


def test_a_different_value_under_the_same_path_is_a_difference() -> None:
    saved = pins_json(plan_of(Sensitive(f"Reviewed {SECRET}")), KEY)
    [line] = pin_differences(saved, plan_of(Sensitive(f"UNREVIEWED {SECRET}")), KEY)
    assert "create s (agent_x)" in line and "input.message (values not shown)" in line
    assert SECRET not in line


def test_a_value_that_stops_or_starts_being_secret_is_a_difference() -> None:
    saved = pins_json(plan_of(Sensitive(SECRET)), KEY)
    assert pin_differences(saved, plan_of(SECRET), KEY)
    assert pin_differences(pins_json(plan_of(SECRET), KEY), plan_of(Sensitive(SECRET)), KEY)


def test_a_file_without_pins_applies_only_when_nothing_secret_is_written() -> None:
    assert pin_differences(None, plan_of("plain"), KEY) == []
    [line] = pin_differences(None, plan_of(Sensitive(SECRET)), KEY)
    assert "make the plan again" in line


def test_malformed_pins_never_match() -> None:
    plan = plan_of(Sensitive(SECRET))
    for saved in ({"key_check": pins_json(plan, KEY)["key_check"], "bundles": {factories.KEY: "x"}}, {}):
        assert pin_differences(saved, plan, KEY)


def test_another_key_is_named() -> None:
    saved = pins_json(plan_of(Sensitive(SECRET)), KEY)
    [line] = pin_differences(saved, plan_of(Sensitive(SECRET)), b"other")
    assert "RECONCILER_DIGEST_KEY" in line


def test_the_live_fingerprint_lets_no_one_test_a_guess_of_a_secret_without_the_key() -> None:
    """Platforms return a secret written into a message in clear, and the plan's live fingerprint covers the
    live schedules: unkeyed, anyone holding the plan file and the bundle could check guesses of the secret."""
    wanted = factories.desired("s", input={"message": Sensitive(f"Brief {SECRET}")})
    live = factories.reported(wanted, "r1", input={"message": f"Brief {SECRET}"})
    guess = factories.reported(wanted, "r1", input={"message": "Brief canary-guess"})

    def fingerprint(key: bytes, item: object) -> str:
        return plan_bundle(
            factories.bundle(wanted), [item], digest_key=key, now=factories.NOW
        ).live_fingerprint

    assert fingerprint(KEY, live) != fingerprint(b"other", live)  # keyed: without the key, nothing to compare
    assert (
        fingerprint(KEY, live) == fingerprint(KEY, live) != fingerprint(KEY, guess)
    )  # still follows the live


def test_another_key_is_named_even_without_secrets() -> None:
    """The live fingerprint is keyed, so another key makes any saved plan stale: say why."""
    [line] = pin_differences(pins_json(plan_of("plain"), KEY), plan_of("plain"), b"other")
    assert "RECONCILER_DIGEST_KEY" in line
