"""Gigantic, deep, endless and out-of-bounds input is refused with a limit and a location, in bounded time and
memory; symbolic links cannot pull files from outside the folder being read.

The worst cases run the real CLI in a subprocess and check its own peak resident memory (wait4) and that it
ends (killed and failed at the timeout otherwise). Before these limits, 200 kB of `[` crashed the interpreter
(PyYAML's C composer recursing), 2,000 levels were an internal error (RecursionError), and a 5 MiB flat list
took 13 s and 880 MiB.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.bundle import load
from reconciler.bundle.load import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES_PER_DOCUMENT, MAX_RUN_NODES
from reconciler.bundle.validate import load_bundles
from reconciler.cli import planfile
from reconciler.errors import BundleError
from reconciler.plan.errors import PlanFileError
from tests.conftest import ROOT, run_cli
from tests.security.hostile import check_located, run_measured

# The CLI alone is ~50 MiB; the worst case (a run's 2,000,000 nodes held as flat lists, ~230 bytes each) is
# ~500 MiB: what the 100,000-schedule run the limits are sized for costs (docs/bundle-format.md).
PEAK_RSS_LIMIT_MIB = 600
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$")

GOOD = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: {key}
target: {{provider: cadenya, workspace: ws}}
schedules:
  - name: s
    agent: a-{key}
    when: {{cron: "0 9 * * *"}}
"""


def _flat(size: int) -> str:
    return "[" + "0," * (size // 2 - 2) + "0]"


def _documents(size: int) -> str:
    one = "---\n" + _flat(300_000) + "\n"
    return one * (size // len(one))


def _fan_out_template() -> str:
    template = "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}"
    return GOOD.format(key="t") + f"    input: {{message: {json.dumps(template)}}}\n"


WORST: dict[str, tuple[Callable[[], str], str | None]] = {
    # (what, our message that must come out; None where the YAML parser stops first and words the error
    # itself: then only the location and the absence of a traceback are ours to assert)
    "deep-flow-nesting": (lambda: "a: " + "[" * 100_000 + "]" * 100_000 + "\n", None),
    "deep-block-nesting": (
        lambda: "".join("  " * i + "-\n" for i in range(2000)) + "  " * 2000 + "x\n",
        "levels deep",
    ),
    "flat-5-mib-list": (lambda: _flat(MAX_FILE_BYTES - 16), f"more than {MAX_NODES_PER_DOCUMENT} nodes"),
    "many-documents": (lambda: _documents(MAX_FILE_BYTES - 16), f"more than {MAX_RUN_NODES} YAML nodes"),
    "one-5-mib-line": (lambda: 'a: "' + "x" * (MAX_FILE_BYTES - 16) + '"\n', "missing required field"),
    "macro-fan-out": (_fan_out_template, "template refused"),
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", WORST, ids=WORST.keys())
def test_worst_cases_end_with_a_located_error_in_bounded_memory(tmp_path: Path, case: str) -> None:
    make, expected = WORST[case]
    path = tmp_path / "worst.yaml"
    path.write_text(make())
    assert path.stat().st_size <= MAX_FILE_BYTES
    result = run_measured("validate", str(path), timeout=180)
    assert result.code == 1, result.err
    assert "Traceback" not in result.err and "internal error" not in result.err, result.err[-2000:]
    lines = result.out.splitlines()
    assert lines and all(LOCATED.match(line) for line in lines), lines[:5]
    assert all(int(LOCATED.match(line)["line"]) >= 1 for line in lines)  # type: ignore[index]
    if expected is None:  # one error, on the line that opens the nesting
        assert [int(LOCATED.match(line)["line"]) for line in lines] == [1], lines  # type: ignore[index]
    else:
        assert expected in result.out, result.out[:2000]
    assert result.peak_rss_mib < PEAK_RSS_LIMIT_MIB, f"{case}: peak RSS {result.peak_rss_mib:.0f} MiB"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: " + b"x" * MAX_FILE_BYTES)
    found = check_located([str(path)]).diagnostics
    assert [(d.line, d.col) for d in found] == [(1, 1)]
    assert f"the limit is {MAX_FILE_BYTES}" in found[0].message


def test_the_size_limit_counts_what_is_read_not_what_stat_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc files say they are empty (a file can also grow between stat and read): only bytes read count."""
    assert Path("/proc/self/status").stat().st_size == 0
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 64)
    with pytest.raises(BundleError, match="file is more than 64 bytes; the limit is 64"):
        load.load_file(Path("/proc/self/status"))


def test_a_file_with_the_environment_is_not_echoed(tmp_path: Path) -> None:
    """A bundle path that leads to /proc/self/environ (or any file holding secrets) shows no content."""
    result = run_cli("validate", "/proc/self/environ", env={"CANARY_ENV_SECRET": "canary-environ-41c9"})
    assert result.code == 1 and "canary-environ-41c9" not in result.out + result.err
    assert re.search(r"environ:1:\d+: invalid YAML", result.out), result.out


def test_the_bytes_and_nodes_of_a_whole_run_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(3):
        (tmp_path / f"b{i}.yaml").write_text(GOOD.format(key=f"k{i}"))
    size = (tmp_path / "b0.yaml").stat().st_size
    monkeypatch.setattr(load, "MAX_RUN_BYTES", 2 * size + 10)
    found = check_located([str(tmp_path)]).diagnostics
    assert [Path(d.file).name for d in found] == ["b2.yaml"] and "of this run hold more than" in found[
        0
    ].message
    monkeypatch.setattr(load, "MAX_RUN_BYTES", 10 * size)
    monkeypatch.setattr(load, "MAX_RUN_NODES", 25)  # each file holds 13
    found = check_located([str(tmp_path)]).diagnostics
    assert {Path(d.file).name for d in found} == {"b1.yaml", "b2.yaml"}
    assert all("YAML nodes" in d.message for d in found)


@pytest.mark.timeout(120)
def test_a_folder_of_many_files_is_walked_in_bounded_time(tmp_path: Path) -> None:
    for i in range(2000):
        (tmp_path / f"w{i:04}.yml").write_text("on: push\njobs: {}\n")  # CI workflows: skipped, not parsed
    for i in range(200):
        (tmp_path / "bundles" / f"{i:03}").mkdir(parents=True)
        (tmp_path / "bundles" / f"{i:03}" / "b.yaml").write_text(GOOD.format(key=f"k{i}"))
    started = time.monotonic()
    loaded = check_located([str(tmp_path)])
    assert not loaded.diagnostics and len(loaded.bundles) == 200 and len(loaded.skipped) == 2000
    assert time.monotonic() - started < 60  # a guard against hanging, not a performance target


def test_a_fifo_is_neither_read_nor_waited_for(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (tmp_path / "b.yaml").write_text(GOOD.format(key="k"))
    assert check_located([str(tmp_path)]).bundles  # a walk skips it
    found = load_bundles([str(fifo)]).diagnostics  # named, it is refused
    assert [d.message for d in found] == ["not a regular file or a directory"]


def test_stdin_is_never_read(tmp_path: Path) -> None:
    """There is no `-` for stdin: a path named `-` is a file name, and an open, silent stdin never blocks."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "validate", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        out, err = proc.communicate(
            timeout=60
        )  # stdin stays open until communicate closes it: not waited for
    finally:
        proc.kill()
    assert proc.returncode == 1 and "-:0:0: no such file or directory" in out, out + err


# -- symbolic links ---------------------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "credentials.yaml"
    secret.parent.mkdir()
    secret.write_text("aws_secret_access_key: canary-outside-7a21\n")
    return secret


def test_a_link_leading_out_of_the_walked_folder_is_refused(tmp_path: Path, outside: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "good.yaml").write_text(GOOD.format(key="k"))
    (repo / "creds.yaml").symlink_to(outside)
    result = run_cli("validate", str(repo))
    assert result.code == 1
    assert "creds.yaml:0:0: symbolic link to " in result.out and "leads outside" in result.out, result.out
    assert "canary-outside-7a21" not in result.out + result.err


def test_a_link_named_on_the_command_line_must_stay_in_its_folder(tmp_path: Path, outside: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "real.yaml").write_text(GOOD.format(key="k"))
    (repo / "alias.yaml").symlink_to("real.yaml")
    (repo / "escape.yaml").symlink_to(Path("..") / "outside" / "credentials.yaml")
    assert not check_located([str(repo / "alias.yaml")]).diagnostics
    found = load_bundles([str(repo / "escape.yaml")]).diagnostics
    assert len(found) == 1 and "leads outside" in found[0].message


def test_links_inside_the_folder_are_read_and_linked_folders_are_not_walked(
    tmp_path: Path, outside: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / "shared").mkdir(parents=True)
    (repo / "shared" / "b.yaml").write_text(GOOD.format(key="k"))
    (repo / "b-link.yaml").symlink_to(Path("shared") / "b.yaml")
    (repo / "elsewhere").symlink_to(outside.parent, target_is_directory=True)
    loaded = load_bundles([str(repo)])
    # The same bundle twice (file and link) is a duplicate key: both were read; nothing under `elsewhere` was.
    assert len(loaded.diagnostics) == 1 and "already used" in loaded.diagnostics[0].message
    assert "canary-outside-7a21" not in str(loaded.diagnostics)


def test_link_loops_and_impossible_names_are_errors_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    found = load_bundles([str(tmp_path / "loop.yaml"), "x" * 5000]).diagnostics
    assert len(found) == 2 and all("cannot read" in d.message for d in found), found
    assert all(len(d.file) < 300 for d in found)
    assert check_located([str(tmp_path)]).bundles == []  # a walk skips the loop


# -- saved plan files --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"source": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deep"),
        ("not json at all", "Expecting value"),
        ("[1, 2]", "expected a JSON object"),
    ],
    ids=["deep", "garbage", "not-an-object"],
)
def test_a_hostile_plan_file_is_a_clear_error(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    result = run_cli("apply", "--plan", str(path), "--auto-approve", cwd=tmp_path)
    assert result.code == 1 and "Traceback" not in result.err, result.err
    assert "not a plan file saved by `reconciler plan --out`" in result.err and reason in result.err


def test_a_plan_file_that_is_a_fifo_or_too_big_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    with pytest.raises(PlanFileError, match="no such regular file"):
        planfile.read_plan_file(fifo)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"source": {"paths": ["x" * 100], "vars": []}}))
    monkeypatch.setattr(planfile, "MAX_PLAN_FILE_BYTES", 50)
    with pytest.raises(PlanFileError, match="larger than 50 bytes"):
        planfile.read_plan_file(big)


def test_a_plan_file_naming_impossible_paths_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    empty = {"format_version": 2, "summary": {}, "bundles": []}
    path.write_text(json.dumps({**empty, "source": {"paths": ["x" * 100_000], "vars": []}}))
    result = run_cli("apply", "--plan", str(path), "--auto-approve", cwd=ROOT)
    assert result.code == 1 and "cannot read: File name too long" in result.err, result.err[-500:]
    assert len(result.err) < 2000


def test_nesting_just_inside_the_limit_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(
        GOOD.format(key="k")
        + "    options: {x: "
        + "[" * (MAX_DEPTH - 5)
        + "1"
        + "]" * (MAX_DEPTH - 5)
        + "}\n"
    )
    found = load_bundles([str(path)]).diagnostics
    assert all("levels deep" not in d.message for d in found), found
