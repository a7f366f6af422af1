"""Fault soak (issue 11, item 1): for every provider revision, random bundle histories applied through random
faults must leave the platform exactly as the bundle says after every step (see `soak_driver.py`).

Each revision's soak is one hypothesis run (seeded: the same histories every time) against one sandbox
server; Temporal's against a real dev server with a fault proxy in front (soak_temporal.py), with fewer
histories in CI (each of its applies waits for a real server's writes). The soaks run in worker processes, two at a time by default (`SOAK_WORKERS`): a soak is a ping-pong
between the CLI and its sandbox that keeps about one core busy, so two of them use a 2-core machine fully.
Each test waits for its own revision's result; a failure shows the shrunk history and what differed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import pytest

from tests.reliability.soak_driver import SoakResult, run_soak
from tests.reliability.soak_platforms import Platform
from tests.reliability.soak_temporal import ALL_PLATFORMS

# CI: at least 200 histories per revision; 3 % of the steps with timeouts (they cost real waiting).
DEFAULT = {"examples": 200, "max_steps": 5, "max_rate": 0.4, "timeout_percent": 3}
LONG = {"examples": 2000, "max_steps": 8, "max_rate": 0.4, "timeout_percent": 15}  # --runslow
# Temporal's share of CI time stays under a minute; --runslow gives it 300 longer histories (~10 minutes).
TEMPORAL_DEFAULT, TEMPORAL_LONG = {**DEFAULT, "examples": 40}, {**LONG, "examples": 300}
# Longest first, so two workers finish together; the tests run in the same order, so each waits about as
# long as its own soak takes.
ORDER = (
    "agentex-legacy",
    "orq",
    "orq-display-name",
    "agentex-run-schedules",
    "cadenya",
    "tbd-agents",
    "oz",
    "temporal",
)
SOAKED = sorted(ALL_PLATFORMS, key=lambda p: ORDER.index(p.id))
IDS = [p.id for p in SOAKED]


class SoakPool:
    """The selected revisions' soaks, started together in worker processes when the first test asks."""

    def __init__(
        self, platforms: list[str], settings: dict[str, float], own: dict[str, dict[str, float]]
    ) -> None:
        workers = int(os.environ.get("SOAK_WORKERS", "2"))
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        ordered = sorted(platforms, key=ORDER.index)
        self._futures: dict[str, Future[SoakResult]] = {}
        for p in ordered:
            chosen = own.get(p, settings)
            self._futures[p] = self._pool.submit(
                run_soak,
                p,
                int(chosen["examples"]),
                int(chosen["max_steps"]),
                chosen["max_rate"],
                int(chosen["timeout_percent"]),
            )

    def result(self, platform: str) -> SoakResult:
        return self._futures[platform].result()

    def close(self) -> None:
        """Stop at once, also when the session is interrupted: a worker still soaking is terminated (it
        stops its sandbox on SIGTERM), instead of being waited for at exit."""
        for future in self._futures.values():
            future.cancel()
        for process in list(getattr(self._pool, "_processes", {}).values()):  # no public way to stop them
            process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _selected(request: pytest.FixtureRequest, test_name: str) -> list[str]:
    """The revisions whose `test_name` this session runs (after -k, deselection and --runslow skips)."""
    chosen = []
    for item in request.session.items:
        if getattr(item, "originalname", None) == test_name and not item.get_closest_marker("skip"):
            chosen.append(item.callspec.params["platform"].id)  # type: ignore[attr-defined]
    return chosen


@pytest.fixture(scope="module")
def default_soaks(request: pytest.FixtureRequest) -> Iterator[SoakPool]:
    pool = SoakPool(
        _selected(request, "test_every_history_converges_through_faults_to_exactly_the_bundle"),
        DEFAULT,
        {"temporal": TEMPORAL_DEFAULT},
    )
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def long_soaks(request: pytest.FixtureRequest) -> Iterator[SoakPool]:
    pool = SoakPool(_selected(request, "test_long_soak"), LONG, {"temporal": TEMPORAL_LONG})
    yield pool
    pool.close()


def _report(result: SoakResult, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print(f"\n{result.figures}")
    if result.failure:
        pytest.fail(result.failure, pytrace=False)


# One worker under `pytest -n`: every worker collects every test, so each worker that ran one of these would
# start the pool with every revision's soak (`_selected` reads the session's items) and the soaks would run
# once per worker.
SOAK_GROUP = pytest.mark.xdist_group("fault-soak")


@SOAK_GROUP
@pytest.mark.timeout(1200)  # waits for its soak (2-3 minutes on an idle 2-core machine)
@pytest.mark.parametrize("platform", SOAKED, ids=IDS)
def test_every_history_converges_through_faults_to_exactly_the_bundle(
    platform: Platform, default_soaks: SoakPool, capsys: pytest.CaptureFixture[str]
) -> None:
    """200 histories (Temporal: 40) of 2-5 steps (1-5 schedules, 2 agents; add, change, pause, resume, remove, re-add,
    rename; prune archive or delete), each step applied through faults (500/503/429, dropped connections,
    committed-but-lost answers; rate up to 0.4) until `apply` exits 0, at most 12 runs."""
    _report(default_soaks.result(platform.id), capsys)


@SOAK_GROUP
@pytest.mark.slow
@pytest.mark.timeout(0)
@pytest.mark.parametrize("platform", SOAKED, ids=IDS)
def test_long_soak(platform: Platform, long_soaks: SoakPool, capsys: pytest.CaptureFixture[str]) -> None:
    """The same with 2,000 histories (Temporal: 300) of up to 8 steps per revision (`--runslow`)."""
    _report(long_soaks.result(platform.id), capsys)
