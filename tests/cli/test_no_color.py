"""NO_COLOR (https://no-color.org): set and not empty, no command draws colour or any other ANSI styling
on a terminal, help included; unset (or empty), a terminal still gets colour where there is some."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from tests.cli import terminal
from tests.cli.conftest import many_schedules, slow
from tests.sandbox_server import Server

OFFLINE = {
    "help": ["--help"],
    "command help": ["plan", "--help"],
    "group help": ["sandbox"],
    "usage error": ["plan"],
    "validate": ["validate", "{bundle}"],
    "preview": ["preview", "{bundle}"],
    "calendar": ["calendar", "{bundle}"],
}
COLOURED_OFFLINE = ("help", "command help", "group help", "calendar")


def styled(output: bytes) -> list[bytes]:
    return terminal.SGR.findall(output)


def args_for(name: str, bundle: str) -> list[str]:
    return [arg.replace("{bundle}", bundle) for arg in OFFLINE[name]]


@pytest.mark.parametrize("name", list(OFFLINE))
def test_offline_commands_draw_no_styling_under_no_color(name: str, tmp_path: Path) -> None:
    drawn = terminal.run(*args_for(name, many_schedules(tmp_path, 3)), env={"NO_COLOR": "1"})
    assert drawn.text.strip()
    assert styled(drawn.output) == []


@pytest.mark.parametrize("name", COLOURED_OFFLINE)
def test_without_no_color_the_same_commands_are_coloured(name: str, tmp_path: Path) -> None:
    drawn = terminal.run(*args_for(name, many_schedules(tmp_path, 3)))
    assert styled(drawn.output)  # the check above would have seen colour


def test_plan_and_apply_with_its_progress_bar_draw_no_styling_under_no_color(
    sandbox: Server, tmp_path: Path
) -> None:
    path = many_schedules(tmp_path, 40)
    slow(sandbox, 50)
    plan = terminal.run("plan", path, env={**sandbox.env, "NO_COLOR": "1"})
    apply = terminal.run("apply", "--auto-approve", path, env={**sandbox.env, "NO_COLOR": "1"})
    assert plan.code == 0 and "40 to create" in plan.text
    assert apply.code == 0 and "40/40 steps" in apply.text
    assert styled(plan.output) == [] and styled(apply.output) == []


@pytest.mark.parametrize("no_color", [None, ""], ids=["unset", "empty"])
def test_plan_and_apply_are_coloured_when_no_color_is_unset_or_empty(
    sandbox: Server, tmp_path: Path, no_color: str | None
) -> None:
    path = many_schedules(tmp_path, 40)
    env = sandbox.env if no_color is None else {**sandbox.env, "NO_COLOR": no_color}
    plan = terminal.run("plan", path, env=env)
    apply = terminal.run("apply", "--auto-approve", path, env=env)
    assert plan.code == 0 and apply.code == 0, apply.text[-2000:]
    assert styled(plan.output) and styled(apply.output)


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR", "unset"])
def test_sandbox_serve_logs_without_styling_under_no_color(no_color: bool) -> None:
    serve = terminal.start(
        "sandbox", "serve", "--provider", "cadenya", "--port", "0", env={"NO_COLOR": "1"} if no_color else {}
    )
    try:
        assert serve.read_until(lambda text: "Ctrl-C stops it" in text, timeout=60), serve.text
        port = re.search(r"http://127\.0\.0\.1:(\d+)", serve.text)
        assert port
        with socket.create_connection(("127.0.0.1", int(port.group(1)))) as connection:
            connection.sendall(b"not http\r\n\r\n")  # the server logs a warning
        assert serve.read_until(lambda text: "WARNING" in text, timeout=30), serve.text
    finally:
        serve.press_ctrl_c()
        serve.wait(timeout=30)
    assert bool(styled(serve.output)) is not no_color
