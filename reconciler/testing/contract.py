"""The conformance contract: what every provider promises (issue 20), as pytest tests a provider's repository
gets by subclassing `PlatformContract` (and giving it a `platform` fixture) or by `contract_for(platform)`.

Every scenario drives the real CLI against the platform's server: the first scenario and the crash
scenarios in `python -m reconciler` subprocesses, the rest through the same `main` in the test's process
(reconciler.testing.cli says why). It asserts through the Platform's independent inventory as well as
through the CLI's output: each schedule exactly once, firing as declared, nothing foreign touched. A scenario
is skipped only where the Platform's `cannot` names it, with the reason the provider documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from reconciler.testing.harness import Harness, touched
from reconciler.testing.platform import Platform, PlatformServer
from reconciler.testing.platform import Variant as V
from reconciler.testing.proxy import Faults, KillPoint, Mode

FAULT_RATE = 0.3
FAULT_ATTEMPTS = 12  # applies allowed to converge under faults (each one makes progress)


def needs(kit: Harness, scenario: str, *, by_hand: bool = False, foreign: bool = False) -> None:
    """Skip where the provider documents it cannot (or the Platform has no hook the scenario needs)."""
    reason = kit.platform.cannot.get(scenario)
    if reason:
        pytest.skip(f"{kit.platform.id} cannot ({scenario}): {reason}")
    if by_hand and not kit.platform.can_change_by_hand():
        pytest.skip(f"{kit.platform.id} defines no edit_by_hand hook")
    if foreign and not kit.platform.can_make_foreign():
        pytest.skip(f"{kit.platform.id} defines no create_by_hand hook")


def converge_under(kit: Harness, path: str, faults: Faults) -> list[int | None]:
    """Apply through a faulty proxy until an apply exits 0; the exit codes, for the failure message."""
    codes: list[int | None] = []
    with kit.proxy(faults) as proxy:
        for _ in range(FAULT_ATTEMPTS):
            codes.append(kit.cli("apply", "--auto-approve", path, proxy=proxy).code)
            if codes[-1] == 0:
                assert faults.injected, "no request failed on the way: the scenario proved nothing"
                return codes
    raise AssertionError(f"apply never exited 0 under faults: {codes}; injected {faults.injected}")


class PlatformContract:
    """Subclass with a class-scoped `platform` fixture returning your Platform (or params over several)."""

    @pytest.fixture(scope="class")
    @classmethod
    def platform(cls) -> Platform:
        raise NotImplementedError("give the subclass a class-scoped `platform` fixture")

    @pytest.fixture(scope="class")
    @classmethod
    def platform_server(cls, platform: Platform) -> Iterator[PlatformServer]:
        """Started once per class (per platform); override to hand in a server your session already runs."""
        with platform.serve() as server:
            yield server

    @pytest.fixture
    def kit(
        self, platform: Platform, platform_server: PlatformServer, tmp_path_factory: pytest.TempPathFactory
    ) -> Harness:
        platform_server.reset()
        return Harness(platform, platform_server, tmp_path_factory.mktemp(platform.id))

    # -- apply, no-op, update ---------------------------------------------------------------------------
    def test_apply_creates_each_schedule_once_and_a_second_plan_has_no_changes(self, kit: Harness) -> None:
        needs(kit, "apply")
        kit.in_process = False  # every platform's first scenario runs the entry point itself, step by step
        path = kit.write([V("a", 0), V("b", 1)])
        first = kit.cli("plan", "--detailed-exitcode", path)
        assert first.code == 2, first.out + first.err
        assert kit.changes(path) == [("create", "a"), ("create", "b")]
        kit.apply(path)
        assert kit.firing() == {"a": True, "b": True}
        kit.assert_no_changes(path)

    def test_an_edit_is_one_update_of_the_same_schedule(self, kit: Harness) -> None:
        needs(kit, "update")
        path = kit.write([V("a", 0), V("b", 1)])
        kit.apply(path)
        before = kit.owned()
        kit.write([V("a", 0, version=2), V("b", 1)])
        assert kit.changes(path) == [("update", "a")]
        plan = kit.plan_json(path)
        (update,) = [a for b in plan["bundles"] for a in b["actions"] if a["action"] == "update"]
        paths = {c["path"].split(".")[0] for c in update["changes"]}
        assert paths <= {"when", "input", "options"} and "when" in paths, update["changes"]
        kit.apply(path)
        after = kit.owned()
        assert set(after) == {"a", "b"} and after["a"].firing
        assert after["b"] == before["b"], "the unchanged schedule was touched"
        if not kit.platform.recreates:
            assert after["a"].platform_id == before["a"].platform_id, "updated by delete + create"
        kit.assert_no_changes(path)

    # -- pause / resume, archive / restore, delete, empty -----------------------------------------------
    def test_pause_then_resume(self, kit: Harness) -> None:
        needs(kit, "pause")
        path = kit.write([V("a", 0), V("b", 1)])
        kit.apply(path)
        made = kit.owned()["a"].platform_id
        kit.write([V("a", 0, paused=True), V("b", 1)])
        assert kit.changes(path) == [("pause", "a")]
        kit.apply(path)
        assert kit.firing() == {"a": False, "b": True}
        kit.assert_no_changes(path)
        kit.write([V("a", 0), V("b", 1)])
        assert kit.changes(path) == [("resume", "a")]
        kit.apply(path)
        assert kit.firing() == {"a": True, "b": True}
        assert kit.owned()["a"].platform_id == made
        kit.assert_no_changes(path)

    def test_a_removed_schedule_is_archived_and_restored_when_added_back(self, kit: Harness) -> None:
        needs(kit, "archive")
        path = kit.write([V("a", 0), V("b", 1)])
        kit.apply(path)
        made = kit.owned()["b"].platform_id
        kit.write([V("a", 0)])
        assert kit.changes(path) == [("archive", "b")]
        kit.apply(path)
        assert kit.firing() == {"a": True, "b": False}  # still there, still ours, not firing
        kit.assert_no_changes(path)
        kit.write([V("a", 0), V("b", 1)])
        assert ("create", "b") not in kit.changes(path)
        kit.apply(path)
        assert kit.firing() == {"a": True, "b": True}
        assert kit.owned()["b"].platform_id == made, "restored by a new schedule, not the archived one"
        kit.assert_no_changes(path)

    def test_an_archived_schedule_added_back_paused_comes_back_paused(self, kit: Harness) -> None:
        needs(kit, "archive")
        path = kit.write([V("a", 0), V("b", 1)])
        kit.apply(path)
        made = kit.owned()["b"].platform_id
        kit.write([V("a", 0)])
        kit.apply(path)
        kit.write([V("a", 0), V("b", 1, paused=True)])
        assert ("resume", "b") not in kit.changes(path)  # never runs on its way back
        kit.apply(path)
        assert kit.firing() == {"a": True, "b": False}
        assert kit.owned()["b"].platform_id == made
        kit.assert_no_changes(path)

    def test_prune_delete_needs_allow_delete(self, kit: Harness) -> None:
        needs(kit, "delete")
        path = kit.write([V("a", 0), V("b", 1)], prune="delete")
        kit.apply(path)
        kit.write([V("a", 0)], prune="delete")
        refused = kit.cli("apply", "--auto-approve", path)
        assert refused.code == 1 and "--allow-delete" in refused.err, refused.out + refused.err
        assert kit.firing() == {"a": True, "b": True}
        kit.apply("--allow-delete", path)
        assert kit.firing() == {"a": True}
        kit.assert_no_changes(path)

    def test_an_emptied_bundle_needs_allow_empty(self, kit: Harness) -> None:
        needs(kit, "empty")
        path = kit.write([V("a", 0)])
        kit.apply(path)
        kit.write([])
        refused = kit.cli("apply", "--auto-approve", path)
        assert refused.code == 1 and "--allow-empty" in refused.err, refused.out + refused.err
        assert kit.firing() == {"a": True}
        kit.apply("--allow-empty", path)
        assert kit.firing() == {"a": False}  # archived, not deleted

    # -- other people's schedules ---------------------------------------------------------------------
    def test_a_foreign_schedule_is_never_touched(self, kit: Harness) -> None:
        needs(kit, "foreign", foreign=True)
        theirs = kit.make_foreign(0, "someone-elses")
        path = kit.write([V("a", 0), V("b", 1)])
        with kit.proxy() as proxy:
            kit.apply(path, proxy=proxy)
            kit.write([V("c", 0)])  # a and b archived, c created beside it
            kit.apply(path, proxy=proxy)
            writes = touched(proxy.requests, theirs.platform_id)
        assert not writes, f"the foreign schedule was written to: {writes}"
        assert [e for e in kit.live() if e.platform_id == theirs.platform_id] == [theirs]
        assert kit.firing() == {"a": False, "b": False, "c": True}

    def test_adopt_takes_over_a_hand_made_schedule_without_a_twin(self, kit: Harness) -> None:
        needs(kit, "adopt", foreign=True)
        theirs = kit.make_foreign(0, "a")
        name = kit.platform.adoption_name(theirs, "a")
        path = kit.write([V(name, 0)])
        if kit.platform.collides_by_name:  # the plan refuses to take it, or to make a twin, silently
            refused = kit.cli("plan", path)
            assert refused.code == 1 and "adopt: true" in refused.err, refused.out + refused.err
        else:
            assert kit.changes(path) == [("create", name)]
        document = kit.platform.bundle([V(name, 0)])
        document["schedules"][0]["adopt"] = True
        (kit.workdir / "bundle.yaml").write_text(json.dumps(document))
        assert kit.changes(path) == [("adopt", name)]
        kit.apply(path)
        assert kit.firing() == {name: True}
        live = kit.live()
        assert len(live) == 1, f"the hand-made schedule is still there beside the adopted one: {live}"
        recreated = kit.platform.adopt_recreates
        if not (kit.platform.recreates if recreated is None else recreated):
            assert kit.owned()[name].platform_id == theirs.platform_id
        kit.assert_no_changes(path)

    def test_two_bundles_on_one_target_never_touch_each_other(self, kit: Harness) -> None:
        needs(kit, "two-bundles")
        one = kit.write([V("x", 0)], key="team-a", name="a.yaml")
        other = kit.write([V("y", 0)], key="team-b", name="b.yaml")
        kit.apply(one, other)
        theirs = kit.owned("team-b")
        kit.write([V("z", 1)], key="team-a", name="a.yaml")
        assert kit.changes(one) == [("archive", "x"), ("create", "z")]
        kit.apply(one)
        assert kit.firing("team-a") == {"x": False, "z": True}
        assert kit.owned("team-b") == theirs
        kit.assert_no_changes(one, other)

    # -- drift and stale plans ------------------------------------------------------------------------
    def test_drift_made_by_hand_is_planned_and_healed(self, kit: Harness) -> None:
        needs(kit, "drift", by_hand=True)
        path = kit.write([V("a", 0), V("b", 1)])
        kit.apply(path)
        kit.change_by_hand(kit.owned()["a"], "changed by hand")
        drifted = kit.cli("plan", "--detailed-exitcode", path)
        assert drifted.code == 2, drifted.out + drifted.err
        assert kit.changes(path) == [("update", "a")]
        kit.apply(path)
        assert kit.firing() == {"a": True, "b": True}
        kit.assert_no_changes(path)

    def test_a_saved_plan_made_stale_by_a_hand_edit_is_refused(self, kit: Harness) -> None:
        needs(kit, "stale-plan", by_hand=True)
        path = kit.write([V("a", 0), V("b", 1)])
        kit.apply(path)
        kit.write([V("a", 0, version=2), V("b", 1)])
        saved = str(kit.workdir / "plan.json")
        assert kit.cli("plan", "--out", saved, path).code == 0
        kit.change_by_hand(kit.owned()["a"], "changed while the plan waited for review")
        with kit.proxy() as proxy:
            stale = kit.cli("apply", "--auto-approve", "--plan", saved, proxy=proxy)
            writes = [r for r in proxy.requests if not r.startswith("GET ")]
        assert stale.code == 1 and "stale" in stale.err, stale.out + stale.err
        assert writes == [], f"a refused plan still wrote: {writes}"
        fresh = str(kit.workdir / "fresh.json")
        assert kit.cli("plan", "--out", fresh, path).code == 0
        kit.apply("--plan", fresh)
        kit.assert_no_changes(path)

    # -- faults and crashes ---------------------------------------------------------------------------
    @pytest.mark.parametrize("seed", [1])
    def test_faults_on_the_way_converge_with_no_duplicate(self, kit: Harness, seed: int) -> None:
        needs(kit, "faults")
        names = ["a", "b", "c", "d"]
        path = kit.write([V(n, i % 2) for i, n in enumerate(names)])
        creates = converge_under(kit, path, Faults(FAULT_RATE, seed))
        assert kit.firing() == dict.fromkeys(names, True), creates
        kit.write([V(n, i % 2, version=2, paused=n == "d") for i, n in enumerate(names)])
        updates = converge_under(kit, path, Faults(FAULT_RATE, seed + 100))
        assert kit.firing() == {"a": True, "b": True, "c": True, "d": False}, updates
        kit.assert_no_changes(path)

    @pytest.mark.parametrize(("mode", "nth"), [("before", 1), ("after", 2)])
    def test_an_apply_killed_mid_way_converges_when_run_again(
        self, kit: Harness, mode: Mode, nth: int
    ) -> None:
        needs(kit, "crash")
        path = kit.write([V("a", 0), V("b", 1), V("c", 0)])
        with kit.proxy() as proxy:
            killed = kit.apply_killed_at(proxy, KillPoint(nth, mode), path)
            seen = list(proxy.requests)
        assert killed.killed, f"the apply finished before write #{nth}: {seen}"
        kit.apply(path)
        assert kit.firing() == {"a": True, "b": True, "c": True}, seen
        kit.assert_no_changes(path)

    # -- export ---------------------------------------------------------------------------------------
    def test_export_round_trips_to_a_bundle_that_plans_no_change(self, kit: Harness) -> None:
        needs(kit, "export")
        needs(kit, "export-owned")
        path = kit.write([V("a", 0), V("b", 1, paused=True)])
        kit.apply(path)
        before = kit.owned()
        flags = kit.platform.export_flags()  # written over the bundle, as a user round-trips a file
        result = kit.cli("export", *flags, "--bundle-key", kit.platform.bundle_key, "--out", path)
        assert result.code == 0, result.err
        assert kit.cli("validate", path).code == 0
        kit.assert_no_changes(path)
        assert kit.owned() == before

    def test_exported_foreign_schedules_plan_as_adoptions_only(self, kit: Harness) -> None:
        needs(kit, "export", foreign=True)
        kit.make_foreign(0, "standup")
        kit.make_foreign(1, "hourly")
        kit.apply(kit.write([V("theirs", 0)], key="other", name="other.yaml"))
        exported = str(kit.workdir / "exported.yaml")
        flags = kit.platform.export_flags()
        result = kit.cli("export", *flags, "--bundle-key", "imported", "--out", exported)
        assert result.code == 0, result.err
        assert kit.cli("validate", exported).code == 0
        changes = kit.changes(exported)  # names: the platform's, or made up where it has none (orq)
        assert [action for action, _ in changes] == ["adopt", "adopt"], changes
        kit.apply(exported)
        kit.assert_no_changes(exported)
        assert sorted(kit.owned("imported")) == sorted(name for _, name in changes)
        assert kit.firing("other") == {"theirs": True}

    # -- H and spread ---------------------------------------------------------------------------------
    def test_h_round_trips_through_apply_and_export(self, kit: Harness) -> None:
        """`H` is compiled into a concrete value at validation: the plan shows both, the platform gets the
        concrete one, and the exported file writes it (naming the original) and plans no change."""
        needs(kit, "hashed")
        path = kit.write_hashed([V("a", 0), V("b", 1)])
        assert kit.cli("validate", path).code == 0
        original = str(kit.platform.hashed_when.get("cron", ""))
        timing = {
            action["name"]: change
            for bundle in kit.plan_json(path)["bundles"]
            for action in bundle["actions"]
            for change in action["changes"]
            if change.get("written")
        }
        assert sorted(timing) == ["a", "b"], timing  # the original beside the concrete value
        for change in timing.values():
            assert original in change["written"] and "H" not in json.dumps(change["after"]), change
        kit.apply(path)
        kit.assert_no_changes(path)
        before = kit.owned()
        flags = kit.platform.export_flags()
        result = kit.cli("export", *flags, "--bundle-key", kit.platform.bundle_key, "--out", path)
        assert result.code == 0, result.err
        exported = Path(path).read_text()
        if "export-original" not in kit.platform.cannot:
            assert exported.count(f"# from: {original}") == 2, exported
        written = {s["name"]: s["when"] for s in yaml.safe_load(exported)["schedules"]}
        for name, change in timing.items():  # the concrete value the plan showed, as the platform has it
            assert written[name][change["path"].removeprefix("when.")] == change["after"], exported
        assert kit.cli("validate", path).code == 0
        if "export-owned" not in kit.platform.cannot:  # else the input is written as placeholders
            kit.assert_no_changes(path)
        assert kit.owned() == before


def contract_for(platform: Platform) -> type[PlatformContract]:
    """The contract as a test class for one Platform: `TestMyPlatform = contract_for(MY_PLATFORM)`."""

    class Contract(PlatformContract):
        @pytest.fixture(scope="class")
        @classmethod
        def platform(cls) -> Platform:
            return platform

    Contract.__name__ = Contract.__qualname__ = f"Contract[{platform.id}]"
    return Contract
