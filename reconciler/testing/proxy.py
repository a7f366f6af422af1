"""A small HTTP forwarder between `reconciler apply` (a subprocess) and a platform's server (a sandbox or a
real one), for things a server alone cannot do exactly:

- **Stop at a chosen request** (`KillPoint`): the n-th write either never reaches the sandbox (`before`),
  or reaches it, is committed, and its answer is withheld (`after`). From then on nothing is forwarded,
  so the test can SIGKILL the apply at exactly that point: between the DELETE and the POST of a
  delete-then-create update, say, which a timer and a request counter could only hit by luck.
- **Line up two applies** (`WriteGate`): every write waits until each apply has sent its first one, so
  both have finished planning from the same live state before either changes anything: a real race.
  `HoldWrites` lines one apply up with the test itself, which changes the platform in between.
- **Fail on the way** (`Faults`): a seeded share of requests is answered 503 (or 500, or 429 with
  `Retry-After: 0`) without reaching the server, cut off before it does, or forwarded and committed with the
  answer lost (the connection dropped), each after an optional random delay: what a flaky network or load
  balancer does, on any platform, with no fault switch in the server itself. `SANDBOX_NAMES` gives each kind
  the name the sandboxes' own fault switch (`POST /_sandbox/traffic`) uses.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import httpx

from reconciler.testing.platform import trusted_tls

Mode = Literal["before", "after"]
Fault = Literal["refuse", "cut", "lose-answer", "server-error", "throttle"]
# The same faults as the sandboxes name them (`POST /_sandbox/traffic`, reconciler.sandbox.config.FAULT_KINDS).
SANDBOX_NAMES: dict[Fault, str] = {
    "server-error": "500",
    "refuse": "503",
    "throttle": "429",
    "cut": "drop",
    "lose-answer": "lost",
}
ALL_FAULTS: tuple[Fault, ...] = tuple(SANDBOX_NAMES)
_ANSWERED: dict[Fault, tuple[int, dict[str, str], bytes]] = {  # the faults answered without forwarding
    "refuse": (503, {}, b'{"error":"injected"}'),
    "server-error": (500, {}, b'{"code":14,"message":"injected fault"}'),
    "throttle": (429, {"Retry-After": "0"}, b'{"code":8,"message":"injected fault"}'),
}
_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding"}
_DROP_BACK = {
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-encoding",
    "date",
    "server",
}


def is_write(method: str, path: str) -> bool:
    return method != "GET"


@dataclass(frozen=True)
class KillPoint:
    """Stop at the `nth` request (1-based) that `matches`; `before` it reaches the sandbox or `after`."""

    nth: int
    mode: Mode
    matches: Callable[[str, str], bool] = is_write

    def __str__(self) -> str:
        return f"{self.mode} write #{self.nth}"


@dataclass
class Faults:
    """A seeded `rate` of requests fail, each one of `kinds`: `refuse` answers 503, `server-error` 500 and
    `throttle` 429 (Retry-After 0), all without forwarding; `cut` closes the connection without forwarding;
    `lose-answer` forwards (the server commits) and closes the connection instead of answering. With
    `latency_ms`, every request first waits 0 to that many ms. `counts` has "requests", each kind injected
    and "timeout" (the client had given up before the answer)."""

    rate: float
    seed: int
    kinds: tuple[Fault, ...] = ("refuse", "cut", "lose-answer")
    latency_ms: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self.injected: list[str] = []
        self.counts: Counter[str] = Counter()

    def pick(self, method: str, path: str) -> tuple[Fault | None, float]:
        """The fault for this request (None: none) and the seconds to wait before acting on it."""
        with self._lock:
            self.counts["requests"] += 1
            delay = self._rng.uniform(0, self.latency_ms) / 1000 if self.latency_ms else 0.0
            if self.rate <= 0 or self._rng.random() >= self.rate:
                return None, delay
            fault = self._rng.choice(self.kinds)
            self.counts[fault] += 1
            self.injected.append(f"{fault} {method} {path}")
            return fault, delay

    def timed_out(self) -> None:
        with self._lock:
            self.counts["timeout"] += 1


class WriteGate:
    """Holds every write until `parties` proxies have each seen one (or `timeout` passes)."""

    def __init__(self, parties: int, timeout: float = 30.0) -> None:
        self.parties = parties
        self.timeout = timeout
        self._arrived: set[int] = set()
        self._lock = threading.Lock()
        self._open = threading.Event()

    def wait(self, proxy: InterruptingProxy) -> None:
        with self._lock:
            self._arrived.add(id(proxy))
            if len(self._arrived) >= self.parties:
                self._open.set()
        self._open.wait(self.timeout)

    @property
    def opened(self) -> bool:
        return self._open.is_set()


class HoldWrites(WriteGate):
    """Holds an apply's writes until the test calls `go()`; `reached` is set when the first one arrives, so
    the test can change the platform between that apply's plan and its first write."""

    def __init__(self, timeout: float = 60.0) -> None:
        super().__init__(parties=2, timeout=timeout)
        self.reached = threading.Event()

    def wait(self, proxy: InterruptingProxy) -> None:
        self.reached.set()
        super().wait(proxy)

    def go(self) -> None:
        super().wait(self)  # type: ignore[arg-type]  # the test is the other party


class InterruptingProxy:
    def __init__(self, upstream: str, gate: WriteGate | None = None, faults: Faults | None = None) -> None:
        self.upstream = httpx.Client(base_url=upstream, timeout=60, verify=trusted_tls())
        self.gate = gate
        self.faults = faults
        self._lock = threading.Lock()
        self.arm(None)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def arm(self, kill: KillPoint | None) -> None:
        """Forget the last run; stop at `kill` in the next one (None: forward everything)."""
        with self._lock:
            self.kill = kill
            self.seen = 0  # requests that matched the kill point's filter
            self.requests: list[str] = []  # "METHOD /path" of every request forwarded
            self.stopping = False
            self.tripped = threading.Event()  # the platform is now exactly as the kill point leaves it
            self.released = threading.Event()

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self.upstream.close()

    def _decide(self, method: str, path: str) -> Literal["forward", "hold", "forward-then-hold"]:
        with self._lock:
            if self.stopping:
                return "hold"
            if self.kill is not None and self.kill.matches(method, path):
                self.seen += 1
                if self.seen == self.kill.nth:
                    self.stopping = True
                    if self.kill.mode == "before":
                        self.tripped.set()
                        return "hold"
                    return "forward-then-hold"
            self.requests.append(f"{method} {path}")
            return "forward"

    def _hold(self, handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        self.released.wait(60)  # the apply is killed meanwhile; the answer is never sent

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        method, path = handler.command, handler.path
        decision = self._decide(method, path.split("?")[0])
        if decision == "hold":
            return self._hold(handler)
        faults = self.faults
        fault, delay = faults.pick(method, path.split("?")[0]) if faults is not None else (None, 0.0)
        if delay:
            time.sleep(delay)
        if fault in _ANSWERED:
            status, extra, content = _ANSWERED[fault]
            return self._answer(handler, status, {"Content-Type": "application/json", **extra}, content)
        if fault == "cut":
            handler.close_connection = True
            return None
        if self.gate is not None and is_write(method, path):
            self.gate.wait(self)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        try:
            response = self.upstream.request(method, path, content=body, headers=headers)
        except httpx.HTTPError:
            handler.close_connection = True
            return None
        if fault == "lose-answer":
            handler.close_connection = True
            return None
        if decision == "forward-then-hold":
            with self._lock:
                self.requests.append(f"{method} {path.split('?')[0]} (answer withheld)")
            self.tripped.set()
            return self._hold(handler)
        back = {k: v for k, v in response.headers.items() if k.lower() not in _DROP_BACK}
        return self._answer(handler, response.status_code, back, response.content)

    def _answer(
        self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], content: bytes
    ) -> None:
        try:
            handler.send_response(status)
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            handler.wfile.write(content)
        except OSError:  # the apply was killed, or its client gave up, while we answered
            handler.close_connection = True
            if self.faults is not None:
                self.faults.timed_out()
