"""Progress of a long apply against a slow platform: a bar with counts and ETA on a terminal; in a CI log a
plain line on stderr at every tenth of the steps, and at least every 5 s while nothing finishes."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli import terminal
from tests.cli.conftest import many_schedules, slow
from tests.e2e.support import cli
from tests.sandbox_server import Server

LINE = re.compile(r"^apply: (\d+)/(\d+) steps done \((\d+)%\), (\d+) failed, (\d+) s elapsed$")


def progress_lines(stderr: str) -> list[tuple[int, int, int, int, int]]:
    found = [LINE.match(line) for line in stderr.splitlines()]
    return [
        (int(done), int(total), int(pc), int(failed), int(s))
        for done, total, pc, failed, s in (m.groups() for m in found if m)
    ]


def test_without_a_terminal_a_plain_line_on_stderr_at_every_tenth_of_the_steps(
    sandbox: Server, tmp_path: Path
) -> None:
    path = many_schedules(tmp_path, 200)
    slow(sandbox, 100)
    result = cli(sandbox, "apply", "--auto-approve", path)
    assert result.code == 0, result.err
    lines = progress_lines(result.err)
    assert {done for done, *_ in lines} >= {20, 40, 60, 80, 100, 120, 140, 160, 180, 200}
    for done, total, percent, failed, _ in lines:
        assert (total, percent, failed) == (200, done * 100 // 200, 0)
    assert [line[0] for line in lines] == sorted(line[0] for line in lines)  # counts only go up
    assert [line[4] for line in lines] == sorted(line[4] for line in lines)  # and so does the time
    assert lines[-1][:3] == (200, 200, 100)
    assert "steps done" not in result.out  # stdout stays the plan and the result
    assert "Apply complete: 200 action(s) done." in result.out


def test_without_a_terminal_a_line_comes_every_5_seconds_while_no_step_finishes(
    sandbox: Server, tmp_path: Path
) -> None:
    path = many_schedules(tmp_path, 1)
    slow(sandbox, 5500)  # the one create takes longer than 5 s
    result = cli(sandbox, "apply", "--auto-approve", path)
    assert result.code == 0, result.err
    lines = progress_lines(result.err)
    assert lines[0][:4] == (0, 1, 0, 0) and lines[0][4] >= 5
    assert lines[-1][:3] == (1, 1, 100)


def test_on_a_terminal_a_bar_shows_the_counts_the_failures_and_the_time_left(
    sandbox: Server, tmp_path: Path
) -> None:
    path = many_schedules(tmp_path, 200)
    slow(sandbox, 100)
    apply = terminal.run("apply", "--auto-approve", path, env=sandbox.env)
    assert apply.code == 0, apply.text[-2000:]
    counts = [int(n) for n in re.findall(r"(\d+)/200 steps, 0 failed", apply.text)]
    assert any(0 < n < 200 for n in counts)  # seen on its way
    assert counts[-1] == 200
    assert "ETA" in apply.text
    assert "steps done" not in apply.text  # the plain lines are for logs, not for a terminal
    assert "Apply complete: 200 action(s) done." in apply.text
