"""When `ApiClient` sends a request again, and how long it waits first.

A request that got no answer, or a 429 / 5xx, is tried again up to `RetryPolicy.max_attempts` times, after a
capped exponential backoff with full jitter, or after the wait the server asked for (`Retry-After`), capped
at `max_retry_after`. Which requests are safe to repeat is `ApiClient`'s decision (by method, or the caller's).
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only its type: a response's headers
    import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: bool = True
    max_retry_after: float = 60.0  # a longer Retry-After is waited for this long, then retried
    statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")

    def backoff(self, retry: int) -> float:
        """Delay before retry number `retry` (0-based): capped exponential with full jitter."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** min(retry, 32))
        return random.uniform(0, ceiling) if self.jitter else ceiling


def parse_retry_after(headers: httpx.Headers, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: `retry-after-ms`, else `Retry-After` (seconds or HTTP-date)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name, "").strip()
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if math.isfinite(seconds):
            return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(headers.get("retry-after", ""))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" parses as naive; HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
