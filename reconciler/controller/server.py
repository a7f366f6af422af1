"""The controller's HTTP endpoints, on the standard library's server (the base install has no web framework):

/         the status page (reconciler.controller.page)
/metrics  Prometheus text exposition
/healthz  200 while the process serves
/readyz   200 after the first full read of every owned bundle, 503 before
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST

from reconciler.bundle.desired import Bundle
from reconciler.controller.metrics import ControllerMetrics
from reconciler.controller.snapshot import Snapshot
from reconciler.errors import ConfigError

log = logging.getLogger("reconciler.controller")


def parse_listen(text: str) -> tuple[str, int]:
    """`host:port` (`127.0.0.1:8080`, `[::]:8080`, `:8080` for every interface)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ConfigError(f"--listen {text!r}: expected host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
    return host.strip("[]") or "0.0.0.0", int(port)


class Endpoints:
    def __init__(
        self,
        listen: tuple[str, int],
        metrics: ControllerMetrics,
        snapshot: Callable[[], Snapshot],
        bundles: Callable[[], Sequence[Bundle]],
    ) -> None:
        self.metrics = metrics
        self.snapshot = snapshot
        self.bundles = bundles
        endpoints = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # scrapes every 15 s are not news
                pass

            def do_GET(self) -> None:
                endpoints.answer(self)

        try:
            self.server = ThreadingHTTPServer(listen, Handler)
        except OSError as exc:
            raise ConfigError(f"--listen {listen[0]}:{listen[1]}: {exc.strerror or exc}") from exc
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.address = f"{host!s}:{port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?", 1)[0]
        if path == "/healthz":
            return _send(request, 200, "text/plain; charset=utf-8", b"ok\n")
        if path == "/readyz":
            ready = self.snapshot().ready
            body = b"ready\n" if ready else b"not ready: the first read of every bundle is not done\n"
            return _send(request, 200 if ready else 503, "text/plain; charset=utf-8", body)
        if path == "/metrics":
            return _send(request, 200, CONTENT_TYPE_LATEST, self.metrics.exposition())
        if path in ("/", "/index.html"):
            page = self._page()
            return _send(request, 200, "text/html; charset=utf-8", page.encode())
        return _send(request, 404, "text/plain; charset=utf-8", b"not found\n")

    def _page(self) -> str:
        # Imported on the first visit: the page draws calendar's heatmap, which the loop itself never needs.
        from reconciler.controller.page import status_page

        snapshot = self.snapshot()
        try:
            return status_page(snapshot, list(self.bundles()), datetime.now(UTC))
        except Exception:  # the page must never take the endpoints down
            log.exception("the status page failed", extra={"event": "page_failed"})
            return _plain_page(snapshot)


def _send(request: BaseHTTPRequestHandler, status: int, kind: str, body: bytes) -> None:
    request.send_response(status)
    request.send_header("Content-Type", kind)
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Cache-Control", "no-store")
    request.end_headers()
    request.wfile.write(body)


def _plain_page(snapshot: Snapshot) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(s.key)}</td><td>{html.escape(s.path)}</td><td>{s.result}</td>"
        f"<td>{html.escape(s.commit or '')}</td><td>{s.last_reconcile or ''}</td></tr>"
        for s in snapshot.bundles
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>reconciler controller</title></head><body>"
        f"<h1>reconciler controller</h1><p>{html.escape(snapshot.source)} {html.escape(snapshot.commit or '')}</p>"
        f"<table><tr><th>bundle</th><th>file</th><th>result</th><th>commit</th><th>last reconcile</th></tr>{rows}"
        "</table></body></html>"
    )
