"""Webhooks for real: receivers on 127.0.0.1 (ThreadingHTTPServer) count the bodies the Notifier posts.
Exactly one message per new condition and one on recovery, none on repeats; the rate limit holds; a dead
or failing URL neither blocks the others nor stops `observe`; no URL secret in a body or a log line."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from reconciler.controller.notify import Notifier, Webhook, display_url
from reconciler.controller.snapshot import BundleStatus, Snapshot

OK = BundleStatus("ops", "ops.yaml", "temporal", result="ok", commit="a" * 40, schedules=3)
DRIFT = replace(OK, result="drift", policy="report", drifted=("nightly",))
SECRET = "T0000/B0000/s3cr3tT0k3n"


def snap(*bundles: BundleStatus) -> Snapshot:
    return Snapshot(
        "https://git.example/repo.git", "main", "c" * 40, datetime(2026, 12, 7, tzinfo=UTC), True, bundles
    )


class Receiver:
    """An HTTP server recording each POST's path and JSON body; `status` is what it answers."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.status = status
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                with receiver.arrived:
                    receiver.bodies.append(body)
                    receiver.paths.append(self.path)
                    receiver.arrived.notify_all()
                time.sleep(delay)  # a receiver slower than the notifier's timeout
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait_for(self, count: int, seconds: float = 10.0) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.bodies) >= count, seconds)
            return list(self.bodies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.close()


def _dead_url() -> str:
    """A port nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/hook"


def _drain(notifier: Notifier) -> None:
    notifier.close(wait=30)


def test_one_message_per_new_condition_one_on_recovery_none_on_repeats(receivers: list[Receiver]) -> None:
    receiver = Receiver()
    receivers.append(receiver)
    notifier = Notifier([f"{receiver.url}/hooks/{SECRET}"], min_interval=0)
    for snapshot in (snap(OK), snap(DRIFT), snap(DRIFT), snap(DRIFT), snap(OK), snap(OK)):
        notifier.observe(snapshot)
    _drain(notifier)
    bodies = receiver.bodies
    assert [(b["event"], b["state"]) for b in bodies] == [("drift", "firing"), ("drift", "resolved")]
    firing = bodies[0]
    assert firing["version"] == 1 and firing["bundle"] == "ops" and firing["schedules"] == ["nightly"]
    assert firing["commit"] == "c" * 40 and firing["time"].endswith("Z")
    assert firing["message"].startswith("ops: drift found in 1 schedule(s): nightly")
    assert receiver.paths == [f"/hooks/{SECRET}"] * 2  # posted where the URL says
    assert SECRET not in json.dumps(bodies)  # the URL's secret is where it is posted, never in a body


def test_the_rate_limit_holds_for_a_flapping_bundle(receivers: list[Receiver]) -> None:
    receiver = Receiver()
    receivers.append(receiver)
    notifier = Notifier([receiver.url], min_interval=3600)
    for n in range(20):
        notifier.observe(snap(DRIFT if n % 2 == 0 else OK))
    _drain(notifier)
    assert [(b["event"], b["state"]) for b in receiver.bodies] == [("drift", "firing")]


def test_a_dead_or_failing_url_does_not_block_the_others(
    receivers: list[Receiver], caplog: pytest.LogCaptureFixture
) -> None:
    good, failing = Receiver(), Receiver(status=500)
    receivers += [good, failing]
    dead = _dead_url()
    notifier = Notifier([dead, f"{failing.url}/x/{SECRET}", good.url], min_interval=0, timeout=2)
    with caplog.at_level(logging.WARNING, logger="reconciler.controller.notify"):
        notifier.observe(snap(DRIFT))  # returns at once: the posting happens on the URLs' own threads
        assert len(good.wait_for(1)) == 1
        failing.wait_for(2)
        _drain(notifier)
    assert len(good.bodies) == 1
    assert len(failing.bodies) == 2  # one retry on a 5xx, no more
    warnings = [r.getMessage() for r in caplog.records]
    assert any("webhook #1 (http://127.0.0.1:" in w and "not delivered" in w for w in warnings)
    assert any("webhook #2" in w and "HTTP 500" in w for w in warnings)
    assert not any(SECRET in w or "/hook" in w for w in warnings)


def test_a_message_sent_but_not_answered_is_not_sent_twice(
    receivers: list[Receiver], caplog: pytest.LogCaptureFixture
) -> None:
    slow = Receiver(delay=3)
    receivers.append(slow)
    notifier = Notifier([slow.url], min_interval=0, timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="reconciler.controller.notify"):
        notifier.observe(snap(DRIFT))
        slow.wait_for(1)
        _drain(notifier)
    assert len(slow.bodies) == 1  # it may have arrived: a retry would be a duplicate
    assert any("not retried" in r.getMessage() for r in caplog.records)


def test_observe_never_raises_even_when_posting_cannot_start(receivers: list[Receiver]) -> None:
    receiver = Receiver()
    receivers.append(receiver)
    notifier = Notifier([receiver.url], min_interval=0)
    notifier.client.close()  # every post now fails inside the URL's thread
    notifier.observe(snap(DRIFT))
    notifier.observe(snap(OK))
    _drain(notifier)
    assert receiver.bodies == []


def test_a_slack_url_gets_slack_s_body_and_format_is_ours(receivers: list[Receiver]) -> None:
    receiver = Receiver()
    receivers.append(receiver)
    notifier = Notifier([f"{receiver.url}/services/{SECRET}?format=slack"], min_interval=0)
    tricky = replace(DRIFT, key="ops<&>", drifted=("<!channel>",))
    notifier.observe(snap(tricky))
    _drain(notifier)
    (body,) = receiver.bodies
    assert receiver.paths == [f"/services/{SECRET}"]  # our ?format= is not sent on
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith("[firing] ops<&>: drift found")
    section = body["blocks"][0]["text"]["text"]
    assert "<!channel>" not in section and "&lt;!channel&gt;" in section  # no @channel by a schedule name
    assert "ops&lt;&amp;&gt;" in section


def test_the_slack_host_picks_slack_and_urls_are_shown_without_secrets() -> None:
    assert Webhook(f"https://hooks.slack.com/services/{SECRET}", 1).slack
    assert not Webhook(f"https://hooks.slack.com/services/{SECRET}?format=generic", 1).slack
    assert not Webhook("https://alerts.example/hook", 1).slack
    shown = display_url(f"https://user:pw@hooks.slack.com/services/{SECRET}?token=t")
    assert shown == "https://hooks.slack.com/…"
    with pytest.raises(ValueError, match=r"--notify #2: 'ftp://files.example/…' is not an http\(s\) URL"):
        Webhook("ftp://files.example/drop", 2)
    with pytest.raises(ValueError, match="expected slack or generic"):
        Webhook("https://alerts.example/hook?format=teams", 1)
