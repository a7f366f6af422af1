"""The controller as a user runs it: `python -m reconciler controller` in a process of its own, watching a real
git repository made with the `git` command, against a sandbox server; its JSON log read line by line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT

WS = "ws_ctl"
AGENTS = ("agent_a", "agent_b")
WAIT = 60.0  # seconds a test waits for what one interval (1 s) should bring: the machine is shared


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Repo:
    """A git repository on disk, changed by commits made with the `git` command."""

    def __init__(self, path: Path) -> None:
        self.path = path
        (path / "bundles").mkdir(parents=True)
        self.git("init", "--quiet", "--initial-branch", "main")

    def git(self, *args: str) -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
        env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout

    def commit(self, message: str, files: dict[str, str | None]) -> str:
        """Write (or, for None, remove) `bundles/<name>` files and commit them; the new commit's id."""
        for name, text in files.items():
            file = self.path / "bundles" / name
            if text is None:
                file.unlink()
            else:
                file.write_text(text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


def bundle(key: str, schedules: list[dict[str, Any]], *, drift: str = "heal", prune: str = "archive") -> str:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": key,
        "target": {"provider": "cadenya", "workspace": WS},
        "prune": prune,
        "drift": drift,
        "schedules": schedules,
    }
    return json.dumps(document, indent=1)  # JSON is YAML; one key a line, so errors have distinct lines


def schedule(
    name: str, cron: str = "0 9 * * *", agent: str = "agent_a", message: str = "hello"
) -> dict[str, Any]:
    return {
        "name": name,
        "agent": agent,
        "when": {"cron": cron, "timezone": "UTC"},
        "input": {"message": message},
    }


class ControllerProcess:
    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        argv = [sys.executable, "-m", "reconciler", "controller", "--listen", f"127.0.0.1:{self.port}"]
        argv += ["--log-format", "json", "--interval", "1s", "--jitter", "0%", *args]
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self._lock:
                self.raw.append(line)
                with suppress(json.JSONDecodeError):
                    self.lines.append(json.loads(line))

    def events(self, event: str | None = None, **match: Any) -> list[dict[str, Any]]:
        with self._lock:
            found = list(self.lines)
        return [
            e
            for e in found
            if (event is None or e.get("event") == event) and all(e.get(k) == v for k, v in match.items())
        ]

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=10)

    def up(self) -> bool:
        try:
            return self.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics, parsed with prometheus_client's own parser: (name, labels) -> value."""
        families = text_string_to_metric_families(self.get("/metrics").text)
        return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def log(self) -> str:
        with self._lock:
            return "".join(self.raw[-60:])


@contextmanager
def running(env: dict[str, str], *args: str) -> Iterator[ControllerProcess]:
    controller = ControllerProcess(env, *args)
    try:
        wait_for(controller.up, "the controller serves /healthz", controller)
        yield controller
    finally:
        if controller.proc.poll() is None:
            controller.proc.kill()
            controller.proc.wait()


def wait_for(check: Callable[[], Any], what: str, controller: ControllerProcess | None = None) -> Any:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if controller is not None and controller.proc.poll() is not None:
            raise AssertionError(
                f"the controller exited ({controller.proc.returncode}) before {what}:\n{controller.log()}"
            )
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}" + (f":\n{controller.log()}" if controller else ""))


def first_reconcile_after_read(
    controller: ControllerProcess, commit: str, bundle_key: str
) -> dict[str, Any] | None:
    """The first `reconciled` event of the bundle logged after the controller read `commit`, if any yet."""
    with controller._lock:
        lines = list(controller.lines)
    read_at = next(
        (i for i, e in enumerate(lines) if e.get("event") == "read" and e.get("commit") == commit), None
    )
    if read_at is None:
        return None
    return next(
        (e for e in lines[read_at:] if e.get("event") == "reconciled" and e.get("bundle") == bundle_key), None
    )


class Platform:
    """The Cadenya sandbox read and changed with plain HTTP, as a person with its UI would."""

    def __init__(self, url: str, api_key: str) -> None:
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30)

    def schedules(self, agent: str = "agent_a") -> list[dict[str, Any]]:
        answer = self.http.get(f"/v1/workspaces/{WS}/agents/{agent}/schedules", params={"limit": 100})
        answer.raise_for_status()
        return list(answer.json().get("items") or [])

    def active(self, agent: str = "agent_a") -> dict[str, dict[str, Any]]:
        """The schedules not archived, by name."""
        return {s["metadata"]["name"]: s for s in self.schedules(agent) if s.get("state") != "STATE_ARCHIVED"}

    def edit_message(self, schedule_id: str, text: str, agent: str = "agent_a") -> None:
        path = f"/v1/workspaces/{WS}/agents/{agent}/schedules/{schedule_id}"
        spec = self.http.get(path).json()["spec"]
        key = "initialMessage" if "initialMessage" in spec else "firstUserMessage"
        self.http.patch(path, json={"spec": {key: text}, "updateMask": f"spec.{key}"}).raise_for_status()

    def message(self, item: dict[str, Any]) -> str:
        spec = item["spec"]
        return str(spec.get("initialMessage") or spec.get("firstUserMessage") or "")
