"""Crash safety (issue 11, item 2): `reconciler apply --auto-approve` SIGKILLed at chosen points, then run
again until it exits 0, converges with no duplicate and nothing missing, on every provider revision.

The apply runs as a process of its own (forked from a fork server that imported the reconciler once;
`python -m reconciler` itself for the kill in the middle of an update) against `reconciler sandbox serve`
(a subprocess too) or, for Temporal, the real dev server (`temporal_server`), through a proxy that stops at the n-th write: before it reaches the platform, or
after the platform committed it and before the answer gets back. The apply is then SIGKILLed: the
platform is left exactly as a crash at that instant would leave it. A seed picks each kill point (and whether the re-run is killed as well).
Histories: creates (one paused), updates (one of them the revision's delete + create, where it has one:
Agentex legacy's every update, Oz's team -> personal, TBD Agents' removing `end`; Temporal updates every
schedule in place; a resume; a pause),
then removals (archived) beside a create. After every step the platform is read with plain HTTP: each
schedule exactly once, firing as declared, removed ones not firing, and a fresh plan has no changes.

`--runslow` runs more seeds over a longer history (restoring archived schedules, then hard deletes).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.testing import Entry, PlatformServer, Variant
from tests.e2e.day_two import operator_pause
from tests.reliability.apply_harness import (
    LONGER_STEPS,
    STEPS,
    Expectation,
    Step,
    assert_converged,
    changing,
    env_for,
    plan_in_process,
    write_step,
)
from tests.reliability.apply_process import ApplyRun, Launcher, run_apply
from tests.reliability.interrupting_proxy import InterruptingProxy, KillPoint, Mode
from tests.reliability.revision_profiles import PROFILES, Profile, client_for
from tests.reliability.temporal_revision import TEMPORAL_PROFILE, pause_by_hand, temporal_server_for_tests

SEEDS = (1, 2)
SLOW_SEEDS = tuple(range(3, 11))
MODES: tuple[Mode, Mode] = ("before", "after")
ATTEMPTS = 3  # unkilled applies allowed to converge after the kills (one suffices without faults)


REVISIONS: tuple[Profile, ...] = (*PROFILES, TEMPORAL_PROFILE)


@pytest.fixture(scope="module", params=REVISIONS, ids=[p.id for p in REVISIONS])
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(profile: Profile, request: pytest.FixtureRequest) -> Iterator[PlatformServer]:
    if profile.provider == "temporal":  # the session's real dev server: no sandbox, no admin surface
        yield temporal_server_for_tests(request.getfixturevalue("temporal_server"))
        return
    with profile.serve() as srv:
        yield srv


@pytest.fixture
def proxy(server: PlatformServer) -> Iterator[InterruptingProxy]:
    server.reset()
    forwarder = InterruptingProxy(server.url)
    yield forwarder
    forwarder.close()


def apply_through(proxy: InterruptingProxy, env: dict[str, str], *args: str, launcher: Launcher) -> ApplyRun:
    run = run_apply(env, *args, kill_on=proxy.tripped, launcher=launcher)
    proxy.release()
    return run


def converge(
    profile: Profile,
    server: PlatformServer,
    proxy: InterruptingProxy,
    path: str,
    step: Step,
    kills: list[tuple[KillPoint, Launcher]],
) -> list[str]:
    """Apply `step`, killed at each of `kills` in turn (a kill point a run never reaches lets it finish),
    then apply until it exits 0. Returns the trace, for failure messages."""
    env = env_for(profile, server, proxy.url)
    trace: list[str] = []
    for kill, launcher in kills:
        proxy.arm(kill)
        run = apply_through(proxy, env, path, *step.args, launcher=launcher)
        trace.append(
            f"{step.name}: apply ({launcher}) " + (f"killed {kill}" if run.killed else f"exit {run.code}")
        )
        trace.append("  requests: " + ", ".join(proxy.requests))
        if not run.killed:
            assert run.code == 0, f"{run.out}\n{run.err}\n" + "\n".join(trace)
            return trace
    for _ in range(ATTEMPTS):
        proxy.arm(None)
        run = apply_through(proxy, env, path, *step.args, launcher="fork")
        trace.append(f"{step.name}: re-run exit {run.code}: {run.out.strip().splitlines()[-1:]}")
        if run.code == 0:
            return trace
        trace.append(run.err)
    raise AssertionError("apply never exited 0 after the kill\n" + "\n".join(trace))


def is_create(method: str, path: str) -> bool:
    """A POST that makes a schedule (not a pause, resume or archive verb)."""
    return method == "POST" and path.rstrip("/").endswith(("/schedules", "/scheduled-agents"))


def is_update(method: str, path: str) -> bool:
    """A PATCH/PUT, or Temporal's update verb (`POST .../schedules/{id}/update`)."""
    return method in ("PATCH", "PUT") or (method == "POST" and path.rstrip("/").endswith("/update"))


def kills_for(
    profile: Profile, step: Step, actions: int, rng: random.Random, seed: int
) -> list[tuple[KillPoint, Launcher]]:
    """The first apply of a step is killed at one of its writes (each action makes at least one); the
    re-run, half the time, too. In the update step the first kill is always in the middle of an update:
    between the DELETE and the POST where the revision updates by delete + create, else at its first
    PATCH/PUT, `before` or `after` by the seed's parity; the apply killed there is `python -m reconciler`."""
    kills: list[tuple[KillPoint, Launcher]]
    if step.name == "update":
        middle = KillPoint(1, MODES[seed % 2], is_create if profile.recreates else is_update)
        kills = [(middle, "exec")]
    else:
        kills = [(KillPoint(rng.randint(1, actions), rng.choice(MODES)), "fork")]
    if rng.random() < 0.5:
        kills.append((KillPoint(rng.randint(1, actions), rng.choice(MODES)), "fork"))
    return kills


def run_history(
    profile: Profile,
    server: PlatformServer,
    proxy: InterruptingProxy,
    tmp_path: Path,
    steps: tuple[Step, ...],
    seed: int,
) -> None:
    rng = random.Random(f"{profile.id}/{seed}")
    path = str(tmp_path / "bundle.yaml")
    env = env_for(profile, server, server.url)
    want = Expectation()
    trace: list[str] = []
    for step in steps:
        write_step(profile, step, tmp_path / "bundle.yaml")
        actions = changing(plan_in_process(env, path))
        assert actions, f"step {step.name} plans no change: the history is wrong"
        kills = kills_for(profile, step, actions, rng, seed)
        trace += converge(profile, server, proxy, path, step, kills)
        if step.name == "update":  # the kill did land in the middle of an update
            killed = next((line for line in trace[::-1] if "killed" in line and "exec" in line), None)
            assert killed is not None, "the update step's apply was never killed\n" + "\n".join(trace)
            if profile.recreates:  # between a DELETE and its POST
                assert "DELETE" in trace[trace.index(killed) + 1], "\n".join(trace)
        want.advance(step)
        assert_converged(profile, server, env, path, want, "\n".join(trace))


@pytest.mark.parametrize("seed", SEEDS)
def test_killed_apply_converges_when_run_again(
    profile: Profile, server: PlatformServer, proxy: InterruptingProxy, tmp_path: Path, seed: int
) -> None:
    run_history(profile, server, proxy, tmp_path, STEPS, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_killed_apply_converges_over_a_longer_history(
    profile: Profile, server: PlatformServer, proxy: InterruptingProxy, tmp_path: Path, seed: int
) -> None:
    run_history(profile, server, proxy, tmp_path, LONGER_STEPS, seed)


LEGACY = next(p for p in PROFILES if p.id == "agentex-legacy")


@pytest.mark.parametrize("profile", [LEGACY], ids=[LEGACY.id], indirect=True)
@pytest.mark.parametrize("mode", MODES)
def test_killed_adoption_on_agentex_legacy_leaves_no_twin(
    profile: Profile, server: PlatformServer, proxy: InterruptingProxy, tmp_path: Path, mode: Mode
) -> None:
    """Legacy adoption renames by delete + create. Killed between the two, the next apply must end with
    the owned schedule alone: not the old one firing beside it."""
    with client_for(server.url) as client:
        body = {"name": "a", "workflow_name": "w", "task_queue": "q", "cron_expression": "0 6 * * *"}
        client.post(f"/agents/{profile.agents[0]}/schedules", json=body).raise_for_status()
    document = profile.bundle([Variant("a", 0)])
    document["schedules"][0]["adopt"] = True
    path = tmp_path / "bundle.yaml"
    path.write_text(json.dumps(document))
    step = Step("adopt", (Variant("a", 0),))
    trace = converge(profile, server, proxy, str(path), step, [(KillPoint(1, mode, is_create), "fork")])
    assert "killed" in trace[0], "\n".join(trace)
    with client_for(server.url) as client:
        names = [(e.owner, e.name, e.firing) for e in profile.live(client)]
    assert names == [("rel", "a", True)], "\n".join(trace)
    want = Expectation()
    want.advance(step)
    assert_converged(profile, server, env_for(profile, server, server.url), str(path), want, "\n".join(trace))


def operator_pauses(profile: Profile, client: httpx.Client, entry: Entry) -> None:
    if profile.provider == "temporal":
        pause_by_hand(client, entry)
    else:
        operator_pause(profile, client, entry)


RECORDED = [p for p in REVISIONS if p.id not in ("agentex-legacy", "tbd-agents")]  # room for the record


@pytest.mark.parametrize("profile", RECORDED, ids=[p.id for p in RECORDED], indirect=True)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("nth", [1, 2])
def test_a_killed_pause_or_resume_never_passes_for_an_operators_pause(
    profile: Profile, server: PlatformServer, proxy: InterruptingProxy, tmp_path: Path, mode: Mode, nth: int
) -> None:
    """Issue 18: the record of the state reconciler set is written in an order a kill cannot turn into a
    pause that looks like an operator's. A resume killed at its first or second write, then run again, leaves a
    record that says `active`: an operator's pause afterwards is kept. A pause killed the same way, then run
    again, leaves one that says `paused`: the bundle resuming it later resumes it."""
    path = tmp_path / "bundle.yaml"
    env = env_for(profile, server, server.url)
    paused, active = Step("pause", (Variant("a", 0, paused=True),)), Step("resume", (Variant("a", 0),))
    trace: list[str] = []
    write_step(profile, paused, path)
    assert run_apply(env, str(path)).code == 0

    write_step(profile, active, path)  # resume, killed
    trace += converge(profile, server, proxy, str(path), active, [(KillPoint(nth, mode), "fork")])
    with client_for(server.url) as client:
        (entry,) = [e for e in profile.live(client) if e.name == "a"]
        assert entry.firing, "\n".join(trace)
        operator_pauses(profile, client, entry)
    kept = run_apply(env, str(path))
    assert kept.code == 0 and "kept paused" in kept.out, kept.out + "\n".join(trace)
    with client_for(server.url) as client:
        assert [e.firing for e in profile.live(client) if e.name == "a"] == [False], "\n".join(trace)

    write_step(profile, paused, path)  # the bundle pauses it too (the operator's pause becomes the bundle's)
    assert run_apply(env, str(path)).code == 0
    write_step(profile, active, path)
    assert run_apply(env, str(path)).code == 0
    write_step(profile, paused, path)  # pause, killed
    trace += converge(profile, server, proxy, str(path), paused, [(KillPoint(nth, mode), "fork")])
    write_step(profile, active, path)
    resumed = run_apply(env, str(path))
    assert resumed.code == 0, resumed.err
    with client_for(server.url) as client:
        assert [e.firing for e in profile.live(client) if e.name == "a"] == [True], "\n".join(trace)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("nth", [1, 2])
def test_a_rename_killed_at_any_write_converges_to_one_renamed_schedule(
    profile: Profile, server: PlatformServer, proxy: InterruptingProxy, tmp_path: Path, mode: Mode, nth: int
) -> None:
    """Issue 19: a rename with other edits (a new message, a pause), killed before or after its first or
    second write, then run again: one schedule under the new name, paused, and (where the platform renames
    in place) the very schedule that was there before; never the old one beside it, never a twin."""
    path = tmp_path / "bundle.yaml"
    env = env_for(profile, server, server.url)
    write_step(profile, Step("create", (Variant("a", 0),)), path)
    assert run_apply(env, str(path)).code == 0
    with client_for(server.url) as client:
        (before,) = [e for e in profile.live(client) if e.name == "a"]
    document = profile.bundle([Variant("b", 0, version=2, paused=True)])
    document["schedules"][0]["renamedFrom"] = "a"
    path.write_text(json.dumps(document))
    step = Step("rename", (Variant("b", 0, version=2, paused=True),))
    trace = converge(profile, server, proxy, str(path), step, [(KillPoint(nth, mode), "fork")])
    with client_for(server.url) as client:
        ours = [e for e in profile.live(client) if e.owner == "rel"]
    firing = [(e.name, e.firing) for e in ours if e.firing or e.name == "b"]
    assert firing == [("b", False)], "\n".join(trace) + f"\n{ours}"
    if profile.id not in ("agentex-legacy", "temporal"):  # Temporal: ids never change (README)
        assert [e.platform_id for e in ours] == [before.platform_id], "\n".join(trace)
    assert plan_in_process(env, str(path)).has_changes is False, "\n".join(trace)
