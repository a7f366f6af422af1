"""`reconciler sandbox serve`: what it prints, how it stops, how it refuses bad options."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reconciler.cli.main import main
from tests.sandbox_server import API_KEY, running_sandbox


def start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "sandbox",
            "serve",
            "--provider",
            "cadenya",
            "--port",
            "0",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("# Ctrl-C"):
            break
    return proc, lines


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_prints_url_and_exports_then_stops_cleanly(sig: signal.Signals) -> None:
    proc, lines = start("--workspace", "ws_cli", "--agents", "a,b")
    try:
        exports = dict(
            line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export ")
        )
        assert set(exports) == {"CADENYA_BASE_URL", "CADENYA_API_KEY", "CADENYA_WORKSPACE_ID"}
        assert exports["CADENYA_API_KEY"] == "sandbox-key" and exports["CADENYA_WORKSPACE_ID"] == "ws_cli"
        url = exports["CADENYA_BASE_URL"]
        assert url.startswith("http://127.0.0.1:") and url in lines[0]
        agents = httpx.get(
            f"{url}/v1/workspaces/ws_cli/agents", headers={"Authorization": "Bearer sandbox-key"}
        )
        assert [a["metadata"]["id"] for a in agents.json()["items"]] == ["a", "b"]
    finally:
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    assert proc.stderr is not None and proc.stderr.read() == ""


def test_a_passed_api_key_is_accepted_but_never_printed() -> None:
    with running_sandbox("cadenya") as server:
        ok = httpx.get(f"{server.url}/_sandbox/stats", headers={"Authorization": f"Bearer {API_KEY}"})
        default = httpx.get(f"{server.url}/_sandbox/stats", headers={"Authorization": "Bearer sandbox-key"})
        assert (ok.status_code, default.status_code) == (200, 401)
    proc, lines = start("--api-key", "s3cret-value", "--api-key", "other")
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    assert not any("s3cret-value" in line for line in lines)
    assert any(line.startswith("# export CADENYA_API_KEY=") for line in lines)


def test_state_in_a_file_outlives_the_server(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.sqlite")
    body = {
        "metadata": {"name": "kept"},
        "spec": {"schedule": {"intervals": [{"every": "60s"}], "timezone": "UTC"}},
    }
    path = "/v1/workspaces/ws_sandbox/agents/a/schedules"
    with running_sandbox("cadenya", "--db", db, "--agents", "a") as server:
        made = httpx.post(server.url + path, json=body, headers={"Authorization": f"Bearer {API_KEY}"}).json()
    with running_sandbox("cadenya", "--db", db, "--agents", "a") as server:
        listed = httpx.get(server.url + path, headers={"Authorization": f"Bearer {API_KEY}"}).json()["items"]
    assert [s["metadata"]["id"] for s in listed] == [made["metadata"]["id"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--provider", "nope"], "no sandbox for provider"),
        (["--provider", "cadenya", "--latency", "soon"], "latency"),
        (["--provider", "cadenya", "--fault-rate", "2"], "fault rate"),
        (["--provider", "cadenya", "--fault-kinds", "teapot"], "fault kinds"),
        (["--provider", "cadenya", "--api", "v9"], "unknown API revision"),
    ],
)
def test_bad_options_exit_1_with_a_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "serve", *args, "--port", "0"]) == 1
    assert message in capsys.readouterr().err


def test_a_busy_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["sandbox", "serve", "--provider", "cadenya", "--port", str(busy.getsockname()[1])]) == 1
    assert "cannot listen" in capsys.readouterr().err
