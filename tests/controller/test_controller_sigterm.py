"""SIGTERM in the middle of an apply: the steps already sent finish, no new step starts, the controller exits 0,
and the next start carries out the rest (issue 23, item 1)."""

from __future__ import annotations

from pathlib import Path

from reconciler.testing.proxy import HoldWrites, InterruptingProxy
from tests.controller.support import Platform, Repo, bundle, running, schedule, wait_for
from tests.sandbox_server import Server

DECLARED = [schedule(f"s{i:02d}") for i in range(12)]


def test_sigterm_finishes_the_steps_in_flight_starts_no_new_one_and_exits_0(
    sandbox: Server, platform: Platform, repo: Repo, tmp_path: Path
) -> None:
    repo.commit("twelve", {"team.yaml": bundle("team", DECLARED)})
    gate = HoldWrites()
    proxy = InterruptingProxy(sandbox.url, gate=gate)
    args = ("--repo", str(repo.path), "--workdir", str(tmp_path / "work"), "--parallelism", "2")
    try:
        with running({**sandbox.env, sandbox.url_env: proxy.url}, *args) as controller:
            wait_for(gate.reached.is_set, "the first create reaches the platform", controller)
            controller.proc.send_signal(15)
            wait_for(lambda: controller.events("stopping"), "the controller takes the signal", controller)
            gate.go()  # the creates in flight now reach the platform and are answered
            assert controller.proc.wait(60) == 0, controller.log()
        writes = [r for r in proxy.requests if not r.startswith("GET")]
        made = platform.active()
        assert (
            1 <= len(made) == len(writes) <= 2
        )  # only the steps in flight (--parallelism 2) were carried out
    finally:
        proxy.close()
    with running(sandbox.env, *args) as restarted:
        wait_for(
            lambda: len(platform.active()) == len(DECLARED), "the rest applied after a restart", restarted
        )
        assert len(platform.schedules()) == len(DECLARED)  # nothing twice
        assert restarted.stop() == 0
