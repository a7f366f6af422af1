"""Every shell command in README.md and docs/*.md works as written.

Each page's shell blocks run in order, in one bash process (so `cd`, `export` and files made by one block
carry on to the next, as for a reader following the page), with `set -e`, in a scratch copy of the
repository's bundles and examples, with `reconciler` on PATH and no platform credentials or RECONCILER_*
variables in the environment. A command that is documented to exit non-zero must exit with exactly that
code. The few commands that cannot run in a test are listed in NOT_RUN, each with its reason.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.docs_blocks import ROOT, Block, doc_files, shell_blocks

_BENCHMARK = "a benchmark: minutes (up to an hour) of the machine's CPU, and it measures, not checks"
NOT_RUN: dict[str, str] = {
    "pip install agent-reconciler": "installs from PyPI (network); tests/packaging installs the same "
    "package from this checkout into a fresh virtualenv and runs it",
    "pip install 'agent-reconciler[sandbox]'": "installs from PyPI (network); the test environment is that "
    "install (the [test] extra includes [sandbox])",
    "bash scripts/main": "builds .venv with pip from constraints.txt (network); the commands it then runs "
    "(validate bundles/, apply --sandbox bundles/) run here from README.md",
    "bash scripts/test": "the whole test suite, which this test is part of",
    "bash scripts/test-latest": "the whole suite against the newest releases from PyPI (network, .venv-latest)",
    "export CADENYA_API_KEY=...": "a placeholder for a real Cadenya API key",
    "reconciler plan bundles/": "plans against the real Cadenya API (needs an account and the network); the "
    "same plan runs here against the sandbox",
    ".venv/bin/python benchmarks/planner_cpu.py": _BENCHMARK,
    ".venv/bin/python benchmarks/forecast.py": _BENCHMARK,
    ".venv/bin/python benchmarks/sandbox_startup.py": _BENCHMARK,
    ".venv/bin/python benchmarks/forecast_load.py": _BENCHMARK,
    ".venv/bin/python benchmarks/forecast_load.py --dst": _BENCHMARK,
    ".venv/bin/python benchmarks/plan_apply.py": _BENCHMARK,
    ".venv/bin/python benchmarks/plan_apply.py --full": _BENCHMARK,
    ".venv/bin/python benchmarks/plan_apply.py --providers oz,orq --sizes 100,1000 --out /tmp/bench": _BENCHMARK,
    ".venv/bin/python benchmarks/vs_script.py": _BENCHMARK,
    ".venv/bin/python benchmarks/memory.py": _BENCHMARK,
    ".venv/bin/python benchmarks/memory.py --sizes 10000 --bundles 1 --holders": _BENCHMARK,
    ".venv/bin/python benchmarks/fleet.py": _BENCHMARK,
    ".venv/bin/python benchmarks/startup.py": _BENCHMARK,
    ".venv/bin/python benchmarks/controller_replan.py": _BENCHMARK,
    ".venv/bin/python benchmarks/vs_script.py --providers cadenya,oz,orq --n 1000 --rounds 5": _BENCHMARK,
    "uv pip compile pyproject.toml --extra sandbox --extra test --extra temporal --python-version 3.11 --universal "
    "--no-emit-package agent-reconciler -o constraints.txt": "resolves against PyPI (network) and rewrites "
    "the dependency lock",
    ".venv/bin/python -m pytest --runslow -k test_long_soak tests/reliability/test_fault_soak.py": "the long "
    "fault soak: about an hour",
}
# Commands documented to exit with a code other than 0, and that code.
EXPECTED_EXIT: dict[str, int] = {
    "reconciler calendar examples/ --timezone Europe/Berlin --from 2026-03-23 --html calendar.html "
    "--max-fires-per-day 24 --fail-on-collision 3": 2,
}
# Where a page's reader starts: the root of a clone, except the GitOps guide, which starts a repository of
# its own beside the clone (and copies templates from `../reconciler`).
START_OUTSIDE_THE_CLONE = {"gitops.md"}
# What a reader's clone holds that the commands use.
COPIED = ("bundles", "examples", "schemas")
# Variables that would point a command at a real platform, or change its behaviour, in a developer's shell.
_SCRUBBED_PREFIXES = (
    "RECONCILER_",
    "CADENYA_",
    "AGENTEX_",
    "ORQ_",
    "OZ_",
    "WARP_",
    "TBD_AGENTS_",
    "SSL_CERT_",
)
_SCRUBBED = {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}


def _pages() -> list[Path]:
    return [path for path in doc_files() if any(b.commands for b in shell_blocks(path))]


def _script(blocks: list[Block]) -> str:
    lines = ["set -e"]
    for block in blocks:
        for command in block.commands:
            step = f"{block.where}: {command}"
            lines.append(f"echo {shlex.quote('>>> ' + step)} >&2")
            if command in NOT_RUN:
                lines.append(f": not run: {shlex.quote(NOT_RUN[command])}")
            elif command in EXPECTED_EXIT:
                code = EXPECTED_EXIT[command]
                lines.append(
                    f'rc=0; {command} || rc=$?; [ "$rc" -eq {code} ] || '
                    f'{{ echo "expected exit {code}, got $rc" >&2; exit 1; }}'
                )
            else:
                lines.append(command)
    return "\n".join(lines) + "\n"


def _environment(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_SCRUBBED_PREFIXES) and k not in _SCRUBBED and k != "NO_COLOR"
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)
    return env


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_of_the_page_works_as_written(page: Path, tmp_path: Path) -> None:
    clone = tmp_path / "reconciler"
    for name in COPIED:
        shutil.copytree(ROOT / name, clone / name)
    (tmp_path / "home").mkdir()
    start = tmp_path if page.name in START_OUTSIDE_THE_CLONE else clone
    script = _script(shell_blocks(page))
    out_file, err_file = tmp_path / "stdout", tmp_path / "stderr"
    # Output to files, not pipes: a server a failed step left running would hold a pipe open. The script runs
    # in a process group of its own, and the whole group is stopped once bash has finished.
    with out_file.open("w") as out, err_file.open("w") as err:
        proc = subprocess.Popen(
            ["bash", "-c", script],
            cwd=start,
            env=_environment(tmp_path / "home"),
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=600)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert code == 0, (
        f"{page.name}: a command failed\n--- stderr ---\n{err_file.read_text()[-6000:]}\n"
        f"--- stdout ---\n{out_file.read_text()[-3000:]}"
    )


def test_the_readme_quick_start_ends_with_no_changes(tmp_path: Path) -> None:
    """What the README promises the reader sees: the plan after the apply says there is nothing to do."""
    readme = next(
        b for b in shell_blocks(ROOT / "README.md") if "reconciler apply --sandbox" in " ".join(b.commands)
    )
    shutil.copytree(ROOT / "bundles", tmp_path / "bundles")
    proc = subprocess.run(
        ["bash", "-c", _script([readme])],
        cwd=tmp_path,
        env=_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("No changes. The live schedules match the bundles."), proc.stdout[
        -2000:
    ]


def test_every_command_that_is_not_run_is_still_in_the_docs() -> None:
    """The lists above name only commands the docs really show, each with its reason."""
    shown = {c for path in doc_files() for block in shell_blocks(path) for c in block.commands}
    assert set(NOT_RUN) <= shown, sorted(set(NOT_RUN) - shown)
    assert set(EXPECTED_EXIT) <= shown, sorted(set(EXPECTED_EXIT) - shown)
    assert all(reason.strip() for reason in NOT_RUN.values())


def test_the_docs_show_the_commands_a_user_starts_with() -> None:
    """The README's shell blocks install the package and run the quick start; none of them is skipped."""
    commands = [c for block in shell_blocks(ROOT / "README.md") for c in block.commands]
    assert "pip install agent-reconciler" in commands
    run = [c for c in commands if c not in NOT_RUN]
    assert (
        "reconciler validate bundles/" in run and "reconciler apply --sandbox --auto-approve bundles/" in run
    )
