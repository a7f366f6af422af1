"""The sandbox's `POST /_sandbox/traffic` faults, for a real server that has no such switch (Temporal's dev
server): a forwarding proxy the CLI talks to instead, which fails a seeded share of requests the way the
sandbox does. `500`, `503` and `429` (Retry-After 0) are answered without reaching the server; `drop` closes
the connection without forwarding; `lost` forwards (the server commits) and closes the connection instead of
answering. `latency` holds each request 0-N ms before forwarding it, so a short client timeout gives up on
some of them (the server still runs them: the proxy had read them).

`reconciler.testing.proxy.Faults` has three of these kinds (no 500, no 429); this one mirrors the sandbox's
five so the Temporal soak injects what every other revision's soak does, counted per kind.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from reconciler.sandbox.config import FAULT_KINDS

KINDS = FAULT_KINDS  # the sandbox's own five
_HOP = {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding"}
_BACK_DROP = {"content-length", "connection", "keep-alive", "transfer-encoding", "content-encoding", "date"}


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = httpx.Client(base_url=upstream, timeout=60)
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()  # "requests", each kind, "timeout" (the client had gone)
        self.set(0.0, 0)
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
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def set(self, rate: float, seed: int, latency_ms: int = 0) -> None:
        """Faults for the next requests (rate 0: forward everything as it is)."""
        with self._lock:
            self.rate, self.latency_ms = rate, latency_ms
            self._rng = random.Random(seed)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.upstream.close()

    def _pick(self) -> tuple[str | None, float]:
        with self._lock:
            self.counts["requests"] += 1
            delay = self._rng.uniform(0, self.latency_ms) / 1000 if self.latency_ms else 0.0
            if self.rate <= 0 or self._rng.random() >= self.rate:
                return None, delay
            kind = self._rng.choice(KINDS)
            self.counts[kind] += 1
            return kind, delay

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        kind, delay = self._pick()
        if delay:
            time.sleep(delay)
        if kind in ("500", "503", "429"):
            extra = {"Retry-After": "0"} if kind == "429" else {}
            content = b'{"code":14,"message":"injected fault"}'
            return self._answer(handler, int(kind), {"Content-Type": "application/json", **extra}, content)
        if kind == "drop":
            handler.close_connection = True
            return None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP}
        try:
            response = self.upstream.request(handler.command, handler.path, content=body, headers=headers)
        except httpx.HTTPError:
            handler.close_connection = True
            return None
        if kind == "lost":
            handler.close_connection = True
            return None
        back = {k: v for k, v in response.headers.items() if k.lower() not in _BACK_DROP}
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
        except OSError:  # the client gave up (its timeout) before the answer
            handler.close_connection = True
            with self._lock:
                self.counts["timeout"] += 1
