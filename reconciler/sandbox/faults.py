"""Traffic shaping for tests and benchmarks: latency, a rate limit and seeded fault injection.

A pure ASGI layer in front of the vendor routes (never the admin routes). The fault for the k-th
vendor request that passes the rate limit depends only on (seed, k), so two identical request
sequences see identical faults. Rate-limited requests take no k: they depend on wall-clock time.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from reconciler.sandbox.asgi import (
    DROPPED,
    FAULT_KEY,
    ROUTE_KEY,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    is_admin,
    send_bytes,
)
from reconciler.sandbox.config import FaultKind, Traffic

_FAULT_LOG = 10_000  # most recent injected faults kept for /_sandbox/stats


def fault_for(seed: int, k: int, rate: float, kinds: tuple[FaultKind, ...]) -> FaultKind | None:
    """The fault for the k-th request (0-based), or None. A str seed is hashed with SHA-512 by
    `random.Random`, so the answer is the same in every process and Python run."""
    if rate <= 0.0:
        return None
    rng = random.Random(f"reconciler-sandbox/{seed}/{k}")
    if rng.random() >= rate:
        return None
    return kinds[rng.randrange(len(kinds))]


class TrafficState:
    """The live switches plus their counters; `configure` swaps the switches and restarts counting."""

    def __init__(self, settings: Traffic) -> None:
        self._lock = threading.Lock()
        self.log: deque[dict[str, Any]] = deque(maxlen=_FAULT_LOG)
        self.configure(settings)

    def configure(self, settings: Traffic) -> None:
        with self._lock:
            self.settings = settings
            self._k = 0
            self._jitter = random.Random(settings.seed)
            self._tokens = settings.rate_limit or 0.0
            self._refilled = time.monotonic()
            self.log.clear()

    def latency(self) -> float:
        with self._lock:
            return self.settings.latency.draw(self._jitter) if self.settings.latency else 0.0

    def take_token(self) -> float | None:
        """Token bucket (rate N/s, burst N): None if the request may pass, else seconds until it could."""
        with self._lock:
            rate = self.settings.rate_limit
            if rate is None:
                return None
            now = time.monotonic()
            self._tokens = min(rate, self._tokens + (now - self._refilled) * rate)
            self._refilled = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return (1.0 - self._tokens) / rate

    def next_fault(self, route: str) -> FaultKind | None:
        with self._lock:
            k, self._k = self._k, self._k + 1
            s = self.settings
            fault = fault_for(s.seed, k, s.fault_rate, s.fault_kinds)
            if fault is not None:
                self.log.append({"k": k, "route": route, "fault": fault})
            return fault


class TrafficMiddleware:
    def __init__(self, app: ASGIApp, state: TrafficState, error_body: Callable[[int, str], bytes]) -> None:
        self.app = app
        self.state = state
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> object:
        if scope["type"] != "http" or is_admin(scope):
            return await self.app(scope, receive, send)
        delay = self.state.latency()
        if delay:
            await asyncio.sleep(delay)
        wait = self.state.take_token()
        if wait is not None:
            # Retry-After must be whole seconds; retry-after-ms (read by Stainless SDKs) carries the truth.
            headers = [
                ("retry-after", str(max(1, math.ceil(wait)))),
                ("retry-after-ms", str(math.ceil(wait * 1000))),
            ]
            await send_bytes(send, 429, self.error_body(429, "rate limit exceeded, retry later"), headers)
            return None
        fault = self.state.next_fault(str(scope.get(ROUTE_KEY, "")))
        if fault is None:
            return await self.app(scope, receive, send)
        scope[FAULT_KEY] = fault
        retry_after = str(self.state.settings.retry_after)
        if fault == "500":
            await send_bytes(send, 500, self.error_body(500, "internal error (injected fault)"))
        elif fault == "503":
            body = self.error_body(503, "service unavailable (injected fault)")
            await send_bytes(send, 503, body, [("retry-after", retry_after)])
        elif fault == "429":
            body = self.error_body(429, "rate limit exceeded (injected fault)")
            await send_bytes(send, 429, body, [("retry-after", retry_after)])
        elif fault == "drop":
            return DROPPED
        else:  # "lost": the write is committed, then the answer never leaves
            await self.app(scope, receive, _swallow)
            return DROPPED
        return None


async def _swallow(message: Message) -> None:
    return None
