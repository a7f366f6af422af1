"""Concurrent applies (issue 11, item 3): two `reconciler apply` processes of one bundle started at once,
on every provider revision, against a sandbox server with latency. See docs/concurrency.md.

Each apply talks through its own proxy, and the proxies hold every write until both applies have sent
their first: both have planned from the same live state before either changes anything, so every create
(and update, and archive) really is sent twice. Both must exit 0; afterwards each schedule exists exactly
once (read with plain HTTP), and a third run, `plan --detailed-exitcode`, says "No changes". The sandbox's
request counts show what happened: where names are unique the second create of each schedule was refused
(409, or 400 on Agentex run schedules) and looked up; where they are not, both were created and the twin
deleted. A plan saved before another apply changed the platform is refused as stale, and changes nothing.

`--runslow` races the rest of the history too (archives beside a create, restores, hard deletes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.apply_harness import (
    LONGER_STEPS,
    STEPS,
    Expectation,
    Step,
    assert_converged,
    env_for,
    owned,
    write_step,
)
from tests.reliability.apply_process import ApplyRun, Launcher, cli, run_together
from tests.reliability.interrupting_proxy import InterruptingProxy, WriteGate
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES, Profile
from tests.sandbox_server import Server, running_sandbox

LATENCY = "5-20"  # ms per vendor request: the two applies' requests interleave
UNIQUE_NAMES = {"cadenya", "agentex-legacy", "agentex-run-schedules"}


@pytest.fixture(scope="module", params=PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(profile: Profile) -> Iterator[Server]:
    with running_sandbox(profile.provider, *profile.serve_args, "--latency", LATENCY) as srv:
        yield srv


@pytest.fixture
def sandbox(server: Server) -> Server:
    server.admin("POST", "reset")
    return server


def race(profile: Profile, server: Server, path: str, step: Step, launcher: Launcher) -> list[ApplyRun]:
    gate = WriteGate(2)
    proxies = [InterruptingProxy(server.url, gate) for _ in range(2)]
    try:
        runs = run_together(
            [env_for(profile, server, p.url) for p in proxies], path, *step.args, launcher=launcher
        )
    finally:
        for proxy in proxies:
            proxy.close()
    assert gate.opened, "the two applies did not both reach a write: nothing raced"
    for run in runs:
        assert run.code == 0, f"{step.name}: an apply exited {run.code}\n{run.out}\n{run.err}"
    return runs


def creates(server: Server) -> dict[str, int]:
    """Outcomes of the requests that make a schedule, summed over agents: {"201": 3, "409": 3}."""
    counts: dict[str, int] = {}
    for route, outcomes in server.admin("GET", "stats")["routes"].items():
        if route.startswith("POST ") and route.endswith(("/schedules", "/scheduled-agents")):
            for outcome, n in outcomes.items():
                counts[outcome] = counts.get(outcome, 0) + n
    return counts


def deletes(server: Server) -> int:
    routes = server.admin("GET", "stats")["routes"]
    return sum(
        n for route, outcomes in routes.items() if route.startswith("DELETE ") for n in outcomes.values()
    )


def no_changes(profile: Profile, server: Server, path: str) -> None:
    third = cli(env_for(profile, server, server.url), "plan", "--detailed-exitcode", path)
    assert third.code == 0 and "No changes" in third.out, third.out + third.err


def test_two_applies_at_once_converge_with_no_duplicate(
    profile: Profile, sandbox: Server, tmp_path: Path
) -> None:
    path = str(tmp_path / "bundle.yaml")
    env = env_for(profile, sandbox, sandbox.url)
    want = Expectation()
    create, update = STEPS[0], STEPS[1]

    write_step(profile, create, tmp_path / "bundle.yaml")
    race(profile, sandbox, path, create, launcher="exec")  # two `python -m reconciler apply`
    want.advance(create)
    assert_converged(profile, sandbox, env, path, want, "after two applies of the first commit")
    made = creates(sandbox)
    assert sum(made.values()) == 2 * len(create.variants), made  # each schedule was sent by both
    if profile.id in UNIQUE_NAMES:  # the platform refused each second create; the applier looked it up
        assert sum(n for status, n in made.items() if status in ("400", "409")) == len(create.variants), made
    else:  # both created each schedule; one of each pair was deleted again
        assert deletes(sandbox) >= len(create.variants)
    no_changes(profile, sandbox, path)

    write_step(profile, update, tmp_path / "bundle.yaml")
    saved = tmp_path / "update.plan.json"
    made_plan = cli(env, "plan", "--out", str(saved), path)
    assert made_plan.code == 0, made_plan.err
    race(profile, sandbox, path, update, launcher="fork")
    want.advance(update)
    assert_converged(profile, sandbox, env, path, want, "after two applies of the second commit")
    no_changes(profile, sandbox, path)

    before = owned(profile, sandbox)
    stale = cli(env, "apply", "--auto-approve", "--plan", str(saved))
    assert stale.code == 1 and "stale" in stale.err, stale.out + stale.err
    assert owned(profile, sandbox) == before  # refused before anything was sent


@pytest.mark.slow
def test_two_applies_at_once_converge_over_a_longer_history(
    profile: Profile, sandbox: Server, tmp_path: Path
) -> None:
    path = str(tmp_path / "bundle.yaml")
    env = env_for(profile, sandbox, sandbox.url)
    want = Expectation()
    for step in LONGER_STEPS:
        write_step(profile, step, tmp_path / "bundle.yaml")
        race(profile, sandbox, path, step, launcher="fork")
        want.advance(step)
        assert_converged(profile, sandbox, env, path, want, f"after two applies of step {step.name}")
    no_changes(profile, sandbox, path)
