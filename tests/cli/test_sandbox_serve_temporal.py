"""`reconciler sandbox serve --provider temporal`: a real Temporal dev server for the user, the variables to
export, a bundle applied against it with nothing else set, and the server gone after Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import run_cli


def test_serve_prints_what_to_export_and_stops_the_server_on_ctrl_c(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--provider", "temporal", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    env: dict[str, str] = {}
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            found = re.match(r"^export (\w+)=(\S+)$", line.strip())
            if found:
                env[found.group(1)] = found.group(2)
            if line.startswith("# Ctrl-C"):
                break
        assert set(env) == {"TEMPORAL_ADDRESS", "TEMPORAL_HTTP_ADDRESS", "TEMPORAL_NAMESPACE"}
        document = {
            "apiVersion": "reconciler/v1",
            "kind": "Bundle",
            "bundleKey": "trial",
            "target": {"provider": "temporal", "taskQueue": "agents"},
            "schedules": [{"name": "hello", "agent": "hello-agent", "when": {"every": "1h"}}],
        }
        path = tmp_path / "trial.yaml"
        path.write_text(json.dumps(document))
        assert run_cli("apply", "--auto-approve", str(path), env=env).code == 0
        assert run_cli("plan", "--detailed-exitcode", str(path), env=env).code == 0
        listed = httpx.get(f"{env['TEMPORAL_HTTP_ADDRESS']}/api/v1/namespaces/default/schedules").json()
        assert [s["scheduleId"] for s in listed["schedules"]] == ["trial--hello"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    try:
        httpx.get(env["TEMPORAL_HTTP_ADDRESS"], timeout=2)
        stopped = False
    except httpx.TransportError:
        stopped = True
    assert stopped, "the Temporal dev server outlived `sandbox serve`"
