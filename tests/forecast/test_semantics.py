"""Per-provider semantics: the engine's provider key and anchor, and the caveats shown next to times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from reconciler.forecast.semantics import provider_key, semantics_for
from reconciler.timing import Timing
from tests.forecast.helpers import schedule

START = datetime(2026, 12, 1, tzinfo=UTC)


def test_provider_key_carries_the_api() -> None:
    assert provider_key("agentex", {"api": "run-schedules"}) == "agentex/run-schedules"
    assert provider_key("cadenya", {"workspace": "ws"}) == "cadenya"


def test_tbd_agents_interval_is_anchored_at_start_and_marked_approximate() -> None:
    result = semantics_for("tbd-agents", {}, schedule("s", Timing(every=7200, start=START)))
    assert result.anchor == START
    assert not result.exact
    assert "from when apply registers the schedule" in result.notes[0]
    assert "2026-12-01T00:00:00Z" in result.notes[0]


def test_orq_every_phase_is_unknown_but_its_cron_is_exact() -> None:
    every = semantics_for("orq", {}, schedule("s", Timing(every=3600)))
    assert not every.exact and "orq counts '@every 1h' from when the schedule is created" in every.notes[0]
    cron = semantics_for("orq", {}, schedule("s", Timing(cron=("0 9 * * *",))))
    assert cron.exact and cron.notes == ()


def test_cadenya_wall_clock_interval_is_noted_outside_utc_only() -> None:
    berlin = semantics_for("cadenya", {}, schedule("s", Timing(every=3600, timezone="Europe/Berlin")))
    assert berlin.exact and "on the Europe/Berlin clock" in berlin.notes[0]
    assert semantics_for("cadenya", {}, schedule("s", Timing(every=3600))).notes == ()


def test_both_day_fields_restricted_is_noted_where_the_platform_may_differ() -> None:
    timing = Timing(cron=("0 9 1 * 1",))
    assert (
        "oz does not document which engine it runs" in semantics_for("oz", {}, schedule("s", timing)).notes[0]
    )
    # orq's scheduler follows robfig/cron, which ORs two restricted day fields as the bundle means
    assert semantics_for("orq", {}, schedule("s", timing)).notes == ()
    assert (
        semantics_for("cadenya", {}, schedule("s", timing)).notes == ()
    )  # translated exactly: two calendars
    assert (
        semantics_for("oz", {}, schedule("s", Timing(cron=("0 9 */2 * 1",)))).notes == ()
    )  # `*`: AND anyway


def test_paused_is_said() -> None:
    result = semantics_for("oz", {}, schedule("s", Timing(cron=("0 9 * * *",)), state="paused"))
    assert result.notes == ("paused: it does not fire until resumed; these are the times its rule gives",)
    assert result.exact


def test_a_temporal_jitter_is_said_beside_the_times() -> None:
    plain = schedule("s", Timing(cron=("0 9 * * *",)))
    jittered = replace(plain, options={"jitter": "5m"})
    notes = semantics_for("temporal", {"taskQueue": "q"}, jittered).notes
    assert any("up to 5m after the time shown" in note for note in notes)
    assert not semantics_for("temporal", {"taskQueue": "q"}, plain).notes
