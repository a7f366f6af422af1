"""The controller's log: one line per event on stderr, as text or (`--log-format json`) one JSON object a line.

Every line names its event and, where there is one, its bundle: `log.info("...", extra=fields("applied",
bundle=key, actions=3))`. Known secret values (the bundles' `secret()`s, the API keys) are redacted from the
finished line, in every encoded form, as the HTTP client redacts its own (reconciler.providers.redact).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from reconciler.providers.redact import redact_forms, secret_forms

LogFormat = Literal["text", "json"]
log = logging.getLogger("reconciler.controller")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def fields(event: str, **more: Any) -> dict[str, Any]:
    """The `extra` of a log call: the event's name and its fields (bundle, commit, counts, ...)."""
    return {"event": event, **more}


class Secrets:
    """The secret values known so far; the loop adds those of every bundle it loads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self.forms: tuple[str, ...] = ()

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            new = {v for v in values if v} - self._values
            if new:
                self._values |= new
                self.forms = secret_forms(self._values)


class _Formatter(logging.Formatter):
    def __init__(self, style: LogFormat, secrets: Secrets) -> None:
        super().__init__()
        self.style = style
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        event = str(extra.pop("event", record.name.rsplit(".", 1)[-1]))
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        if self.style == "json":
            document = {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
                "level": record.levelname.lower(),
                "event": event,
                **{k: _plain(v) for k, v in extra.items()},
                "message": message,
            }
            line = json.dumps(document, ensure_ascii=False)
        else:
            when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            pairs = " ".join(f"{k}={_plain(v)}" for k, v in extra.items())
            line = f"{when} {record.levelname:<7} {event}: {message}" + (f" [{pairs}]" if pairs else "")
        return redact_forms(line, self.secrets.forms)


def _plain(value: Any) -> Any:
    """A value JSON can hold as it is (counts, text, lists of text); anything else as its text."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def configure(style: LogFormat, secrets: Secrets, level: int = logging.INFO) -> None:
    """The `reconciler` logger writes through the controller's formatter (the HTTP client's lines too)."""
    root = logging.getLogger("reconciler")
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(style, secrets))
    root.addHandler(handler)
    root.setLevel(min(level, root.level) if root.level else level)
    root.propagate = False
