"""Crash safety of `reconciler controller` (issue 23): SIGKILLed in the middle of applying a commit, then
started again, it converges with no duplicate and nothing missing (modelled on test_crash_safety.py).

The controller runs as a real process watching a real git repository, against the Cadenya sandbox through
the kit's InterruptingProxy, which stops at the n-th write: before it reaches the platform, or after the
platform committed it and before the answer gets back. The controller is then SIGKILLed, so the platform is
left exactly as a crash at that instant leaves it; a new controller (same work directory, no proxy faults)
must converge. The ownership markers make the apply idempotent: a create whose answer was lost is found by
its marker, never made twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.testing.proxy import InterruptingProxy, KillPoint, Mode
from tests.controller.support import AGENTS, WS, Platform, Repo, bundle, running, schedule, wait_for
from tests.sandbox_server import Server, running_sandbox

FIRST = [schedule("a"), schedule("b"), schedule("c"), schedule("d", agent="agent_b")]
SECOND = [
    schedule("a"),
    schedule("b", cron="15 7 * * *"),
    schedule("d", agent="agent_b", cron="45 8 * * *"),
    schedule("e"),
]  # b and d changed, c removed (archived), e added


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", ",".join(AGENTS)) as srv:
        yield srv


@pytest.fixture
def platform(server: Server) -> Iterator[Platform]:
    server.admin("POST", "reset")
    client = Platform(server.url, server.api_key)
    yield client
    client.http.close()


@pytest.fixture
def proxy(server: Server) -> Iterator[InterruptingProxy]:
    forwarder = InterruptingProxy(server.url)
    yield forwarder
    forwarder.close()


def _converged(platform: Platform, declared: list[dict[str, object]], archived: set[str]) -> bool:
    """Each declared schedule exactly once, as declared; the removed ones archived; nothing else."""
    everything = platform.schedules("agent_a") + platform.schedules("agent_b")
    names = [s["metadata"]["name"] for s in everything]
    if len(names) != len(set(names)) or set(names) != {str(s["name"]) for s in declared} | archived:
        return False
    for item in everything:
        name = item["metadata"]["name"]
        if name in archived:
            if item.get("state") != "STATE_ARCHIVED":
                return False
            continue
        wanted = next(s for s in declared if s["name"] == name)
        cron = str(wanted["when"]["cron"])  # type: ignore[index]
        if item.get("state") == "STATE_ARCHIVED" or cron not in str(item["spec"]):
            return False
    return True


@pytest.mark.parametrize(
    ("history", "nth", "mode"),
    [
        pytest.param("creates", 2, "before", id="creates-before-2nd-write"),
        pytest.param("creates", 3, "after", id="creates-after-3rd-write"),
        pytest.param("changes", 1, "after", id="changes-after-1st-write"),
        pytest.param("changes", 3, "before", id="changes-before-3rd-write"),
    ],
)
def test_a_controller_killed_mid_apply_converges_after_a_restart_with_no_duplicate(
    server: Server,
    platform: Platform,
    proxy: InterruptingProxy,
    tmp_path: Path,
    history: str,
    nth: int,
    mode: Mode,
) -> None:
    repo = Repo(tmp_path / "repo")
    args = ("--repo", str(repo.path), "--workdir", str(tmp_path / "work"))
    through_proxy = {**server.env, server.url_env: proxy.url}
    repo.commit("first", {"team.yaml": bundle("team", FIRST)})
    declared, archived = FIRST, set[str]()
    if history == "changes":  # the first commit applied cleanly; the kill comes in the second one's apply
        with running(server.env, *args) as controller:
            wait_for(lambda: _converged(platform, FIRST, set()), "the first commit applied", controller)
            assert controller.stop() == 0
        repo.commit("second", {"team.yaml": bundle("team", SECOND)})
        declared, archived = SECOND, {"c"}

    proxy.arm(KillPoint(nth, mode))
    with running(through_proxy, *args) as controller:
        wait_for(proxy.tripped.is_set, f"the kill point ({mode} write #{nth})", controller)
        controller.proc.kill()  # SIGKILL: no handler runs, nothing is cleaned up
        controller.proc.wait()
    proxy.release()
    proxy.arm(None)

    with running(through_proxy, *args) as restarted:
        wait_for(lambda: _converged(platform, declared, archived), "converged after the restart", restarted)
        wait_for(lambda: restarted.metrics().get(("reconciler_ready", ())) == 1, "ready", restarted)
        # One more round on a converged platform changes nothing and makes nothing twice.
        wait_for(
            lambda: (
                restarted.metrics()[("reconciler_reconciles_total", (("bundle", "team"), ("result", "ok")))]
                >= 2
            ),
            "a second reconcile",
            restarted,
        )
        assert _converged(platform, declared, archived), restarted.log()
        assert restarted.stop() == 0
