"""Which fields of a schedule hold a value from `secret()`, as a provider's ownership marker records them.

A platform stores a secret written into a message, a data value, a label or an option in clear, and returns
it to anyone who lists schedules, `export` included. The marker records where such values are, so that
`export` writes `{{ secret('NAME') }}` there instead of the value, and the planner compares them by digest.
Each path is kept as a short code (8 hex digits of the SHA-256 of the path): label and metadata values are
small and allow few characters, and a code names a field without saying anything about its value.

Paths are relative to the schedule: `("input", "message")`, `("labels", "team")`,
`("options", "workflow_params", "token")`. Pure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive

Path_ = tuple[str | int, ...]
# No secret fields: one shared empty set for every schedule without any (an empty frozenset is 216 bytes).
NONE: frozenset[Path_] = frozenset()
SECTIONS = ("input", "labels", "options")
CODE_LENGTH = 8


def secret_paths(desired: DesiredSchedule, *, skip: Iterable[Path_] = ()) -> list[Path_]:
    """Every field of `desired` that holds a `Sensitive`, in path order, except those under a `skip` prefix
    (fields the provider keeps write-only, or records some other way)."""
    skipped = tuple(skip)
    return [
        path
        for path, value in leaves(
            {"input": desired.input, "labels": desired.labels, "options": desired.options}
        )
        if isinstance(value, Sensitive) and not any(path[: len(p)] == p for p in skipped)
    ]


def code(path: Path_) -> str:
    return hashlib.sha256(json.dumps(list(path)).encode()).hexdigest()[:CODE_LENGTH]


def codes(paths: Iterable[Path_]) -> list[str]:
    return sorted({code(path) for path in paths})


def recorded(live: Mapping[str, Any], marked: Iterable[str]) -> frozenset[Path_]:
    """The fields of a live schedule (`{"input", "labels", "options"}`) whose code the marker lists."""
    wanted = set(marked)
    found = frozenset(path for path, _ in leaves(live) if code(path) in wanted) if wanted else NONE
    return found or NONE  # most schedules have none


def leaves(value: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    """Every leaf under `value` (a mapping of the sections) with its path, in path order. Iterative."""
    found: list[tuple[Path_, Any]] = []
    pending: list[tuple[Path_, Any]] = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, Mapping):
            pending.extend(reversed([((*where, str(k)), v) for k, v in item.items()]))
        elif isinstance(item, list | tuple):
            pending.extend(reversed([((*where, i), v) for i, v in enumerate(item)]))
        else:
            found.append((where, item))
    return found


def dotted(path: Path_) -> str:
    """`options.workflow_params.token`, `input.data.regions[0]`: a field as its author would name it."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
