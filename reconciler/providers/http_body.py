"""The JSON body of a request: the bytes sent, with every `Sensitive` value in clear (the platform needs the
value), and the shape a debug log line shows instead of the values."""

from __future__ import annotations

import json
from typing import Any

from reconciler.bundle.sensitive import Sensitive


def _reveal_sensitive(value: Any) -> Any:
    if isinstance(value, Sensitive):
        return value.reveal()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The JSON httpx writes for `json=` (the same bytes), with each `Sensitive` in clear as it is met, rather
# than a revealed copy of every body first.
JSON_BODY = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_reveal_sensitive
)


def body_shape(body: Any, size: int) -> str:
    """The shape of a body for a log line, never its values: a body may carry what the platform stores, such
    as a secret of an earlier run that this one cannot recognise (a read-modify-write PUT sends back what it
    read)."""
    if isinstance(body, dict):
        return f"{size} bytes, fields {', '.join(sorted(str(k) for k in body))}"
    return f"{size} bytes, {type(body).__name__}"
