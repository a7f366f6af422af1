"""Ctrl-C in the middle of an apply, pressed on a real (pseudo-)terminal: the CLI stops starting steps,
says which finished (and how), which were in flight (outcome unknown) and which never started, exits 130;
the next apply finishes the job without a duplicate."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from cadenya import Cadenya

from tests.cli import terminal
from tests.cli.conftest import AGENT, WS, many_schedules, slow
from tests.e2e.support import cli
from tests.sandbox_server import API_KEY, Server

TOTAL = 300
ACCOUNT = re.compile(r"Interrupted: (\d+) of (\d+) step\(s\) finished, (\d+) in flight, (\d+) not started\.")


def steps_done_on_the_bar(text: str) -> int:
    return max((int(n) for n in re.findall(rf"(\d+)/{TOTAL} steps", text)), default=0)


def section(text: str, title: str) -> list[str]:
    """The names listed under the heading that starts with `title`."""
    lines = text.replace("\r", "").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    names = []
    for line in lines[start + 1 :]:
        listed = re.match(r"  - \w+ (\S+) \(agent ", line)
        if not listed:
            break
        names.append(listed.group(1))
    return names


def live_names(server: Server) -> list[str]:
    with Cadenya(api_key=API_KEY, base_url=server.url, workspace_id=WS) as sdk:
        return [s.metadata.name for s in sdk.agents.schedules.list(AGENT, limit=100)]


def test_ctrl_c_during_apply_accounts_for_every_step_and_the_next_apply_converges(
    sandbox: Server, tmp_path: Path
) -> None:
    path = many_schedules(tmp_path, TOTAL)
    slow(sandbox, 200)  # 8 requests at a time: about 40 steps a second
    apply = terminal.start("apply", "--auto-approve", path, env=sandbox.env)
    assert apply.read_until(lambda text: steps_done_on_the_bar(text) >= 16, timeout=90), apply.text[-3000:]
    apply.press_ctrl_c()
    assert apply.wait(timeout=30) == 130, apply.text[-3000:]

    text = apply.text
    found = ACCOUNT.search(text)
    assert found, text[-3000:]
    finished, total, in_flight, not_started = map(int, found.groups())
    assert total == TOTAL
    assert finished + in_flight + not_started == TOTAL
    assert finished >= 16 and not_started > 0
    assert in_flight <= 8  # --parallelism
    assert f"Finished ({finished}): {finished} ok, 0 failed" in text
    assert len(section(text, "Finished")) == min(finished, 10)  # the first ten, then "... and N more ok"
    if in_flight:
        assert "outcome unknown, run `reconciler plan` to see what happened" in text
        assert len(section(text, f"In flight ({in_flight})")) == in_flight  # every one named
    assert section(text, f"Not started ({not_started})")
    assert "Traceback" not in text

    slow(sandbox, 0)
    again = cli(sandbox, "apply", "--auto-approve", path)
    assert again.code == 0, again.err
    done_now = re.search(r"Apply complete: (\d+) action", again.out)
    assert done_now, again.out
    redone = int(done_now.group(1))
    # What never started is done now; what was in flight was done then, or now.
    assert not_started <= redone <= not_started + in_flight
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0
    names = Counter(live_names(sandbox))
    assert len(names) == TOTAL and set(names.values()) == {1}  # every schedule, none twice
