"""Webhooks from the running controller (issue 23, item 3, "Done when"): a receiver in the test gets exactly
one message per new condition, however many intervals it lasts, and one on recovery. Written against the
Notifier interface (reconciler.controller.notify)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.controller.support import ControllerProcess, Platform, Repo, bundle, running, schedule, wait_for
from tests.sandbox_server import Server


class Receiver:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.messages.append(json.loads(body or b"null"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


def test_one_message_when_drift_is_found_however_long_it_lasts_and_one_on_recovery(
    sandbox: Server, platform: Platform, repo: Repo, tmp_path: Path, receiver: Receiver
) -> None:
    repo.commit(
        "reported", {"team.yaml": bundle("team", [schedule("r", message="as declared")], drift="report")}
    )
    args = ("--repo", str(repo.path), "--workdir", str(tmp_path / "work"))
    with running(sandbox.env, *args, "--notify", receiver.url, "--notify-min-interval", "0s") as controller:
        wait_for(lambda: controller.get("/readyz").status_code == 200, "ready", controller)
        assert receiver.messages == []  # everything as declared: nothing to say
        item = platform.active()["r"]
        platform.edit_message(item["metadata"]["id"], "edited in the UI")
        wait_for(lambda: receiver.messages, "the drift message", controller)
        _more_rounds(controller, 3)  # the drift is still there three intervals later
        assert len(receiver.messages) == 1, receiver.messages
        assert "team" in json.dumps(receiver.messages[0])

        platform.edit_message(item["metadata"]["id"], "as declared")  # put back by hand: recovered
        wait_for(lambda: len(receiver.messages) == 2, "the recovery message", controller)
        _more_rounds(controller, 3)
        assert len(receiver.messages) == 2, receiver.messages
        assert controller.stop() == 0


def _more_rounds(controller: ControllerProcess, rounds: int) -> None:
    def done() -> float:
        samples = controller.metrics()
        return sum(v for (name, labels), v in samples.items() if name == "reconciler_reconciles_total")

    start = done()
    wait_for(lambda: done() >= start + rounds, f"{rounds} more reconciles", controller)
