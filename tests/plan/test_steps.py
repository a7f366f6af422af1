"""The step for one live schedule, one rule at a time: create, noop, update, pause/resume, secrets compared by
digest, and archived schedules restored."""

from __future__ import annotations

from reconciler.bundle.sensitive import REDACTED, Sensitive
from tests.plan.factories import bundle, desired, reported
from tests.plan.planning import changed, plan, steps

# ---- create, noop, update -----------------------------------------------------------------------------------


def test_a_new_schedule_is_created_with_every_field_as_its_after_value() -> None:
    result = plan(bundle(desired("weekday-briefing")), [])
    [action] = result.actions
    assert (action.kind, action.name, action.agent, action.remote_id) == (
        "create",
        "weekday-briefing",
        "agent_x",
        None,
    )
    assert changed(action) == {
        "agent": (None, "agent_x"),
        "state": (None, "active"),
        "when.cron": (None, "0 9 * * 1-5"),
        "when.timezone": (None, "Europe/Berlin"),
        "input.message": (None, "Run weekday-briefing"),
        "labels.team": (None, "support"),
    }
    assert action.desired is not None and action.desired.name == "weekday-briefing"
    assert result.has_changes


def test_an_unchanged_schedule_is_a_noop() -> None:
    schedule = desired("a")
    result = plan(bundle(schedule), [reported(schedule, "sch_1")])
    assert steps(result) == [("noop", "a", "sch_1")]
    assert not result.has_changes
    assert result.summary == {
        "create": 0,
        "update": 0,
        "pause": 0,
        "resume": 0,
        "archive": 0,
        "delete": 0,
        "adopt": 0,
        "rename": 0,
        "noop": 1,
    }


def test_server_defaults_and_spelling_do_not_show_as_changes() -> None:
    schedule = desired("a", when={"every": "90m", "timezone": "UTC"}, labels={}, options={})
    live = reported(
        schedule,
        "sch_1",
        when={"every": "1h30m", "offset": "0s"},  # UTC left out, a default offset, another spelling
        labels={},
        options={"retries": None, "notes": ""},
        input={"message": "Run a", "data": {}},
    )
    assert steps(plan(bundle(schedule), [live])) == [("noop", "a", "sch_1")]


def test_a_field_change_is_an_update_with_dotted_paths() -> None:
    schedule = desired("a", labels={"team": "support", "tier": "1"})
    live = reported(desired("a", when={"cron": "0 8 * * 1-5", "timezone": "Europe/Berlin"}), "sch_1")
    [action] = plan(bundle(schedule), [live]).actions
    assert action.kind == "update"
    assert changed(action) == {"when.cron": ("0 8 * * 1-5", "0 9 * * 1-5"), "labels.tier": (None, "1")}


def test_a_state_change_alone_is_a_pause_or_resume() -> None:
    paused, active = desired("a", state="paused"), desired("a")
    [pause] = plan(bundle(paused), [reported(active, "sch_1")]).actions
    [resume] = plan(bundle(active), [reported(paused, "sch_1")]).actions
    assert (pause.kind, changed(pause)) == ("pause", {"state": ("active", "paused")})
    assert (resume.kind, changed(resume)) == ("resume", {"state": ("paused", "active")})


def test_a_state_change_with_other_changes_is_one_update_reporting_state() -> None:
    schedule = desired("a", state="paused", input={"message": "new"})
    [action] = plan(bundle(schedule), [reported(desired("a"), "sch_1")]).actions
    assert action.kind == "update"
    assert changed(action) == {"state": ("active", "paused"), "input.message": ("Run a", "new")}


def test_true_and_one_are_different_values() -> None:
    schedule = desired("a", options={"retry": True})
    [action] = plan(bundle(schedule), [reported(schedule, "sch_1", options={"retry": 1})]).actions
    assert (action.kind, changed(action)) == ("update", {"options.retry": (1, True)})


def test_label_keys_with_dots_are_quoted_in_paths() -> None:
    schedule = desired("a", labels={"app.kubernetes.io/name": "x"})
    [action] = plan(bundle(schedule), [reported(desired("a", labels={}), "sch_1")]).actions
    assert changed(action) == {'labels."app.kubernetes.io/name"': (None, "x")}


# ---- secrets ------------------------------------------------------------------------------------------------


def test_a_changed_secret_is_an_update_that_never_holds_the_value() -> None:
    schedule = desired("a", input={"message": "m", "secrets": {"token": Sensitive("new-token")}})
    old = desired("a", input={"message": "m", "secrets": {"token": Sensitive("old-token")}})
    [action] = plan(bundle(schedule), [reported(old, "sch_1")]).actions
    [change] = action.changes
    assert (action.kind, change.path, change.before, change.after, change.sensitive) == (
        "update",
        "input.secrets.token",
        REDACTED,
        REDACTED,
        True,
    )


def test_an_unchanged_secret_is_a_noop_and_the_digest_key_matters() -> None:
    schedule = desired("a", input={"secrets": {"token": Sensitive("t")}})
    live = reported(schedule, "sch_1", digest_key=b"team-key")
    assert steps(plan(bundle(schedule), [live], digest_key=b"team-key")) == [("noop", "a", "sch_1")]
    assert steps(plan(bundle(schedule), [live]))[0][0] == "update"


def test_a_value_moved_into_a_secret_masks_both_sides() -> None:
    schedule = desired("a", input={"message": Sensitive("hello")})
    [action] = plan(
        bundle(schedule), [reported(desired("a", input={"message": "hello-old"}), "sch_1")]
    ).actions
    assert changed(action) == {"input.message": (REDACTED, REDACTED)}


# ---- restore archived ---------------------------------------------------------------------------------------


def test_an_archived_schedule_back_in_the_bundle_is_resumed() -> None:
    schedule = desired("a", input={"message": "new"})
    [action] = plan(bundle(schedule), [reported(desired("a"), "sch_1", state="archived")]).actions
    assert (action.kind, action.remote_id, action.reason) == ("resume", "sch_1", "restore archived")
    assert changed(action) == {"state": ("archived", "active"), "input.message": ("Run a", "new")}


def test_an_archived_schedule_back_in_the_bundle_as_paused_is_restored_paused_never_resumed() -> None:
    schedule = desired("a", state="paused")
    result = plan(bundle(schedule), [reported(desired("a"), "sch_1", state="archived")])
    [action] = result.actions
    assert (action.kind, action.remote_id, action.reason) == ("pause", "sch_1", "restore archived")
    assert changed(action) == {"state": ("archived", "paused")}
    assert result.summary["resume"] == 0


def test_an_archived_schedule_is_recreated_where_the_provider_cannot_unarchive() -> None:
    schedule = desired("a")
    result = plan(
        bundle(schedule), [reported(schedule, "sch_1", state="archived")], restore_archived="create"
    )
    [action] = result.actions
    assert (action.kind, action.remote_id, action.reason) == ("create", None, "restore archived")
