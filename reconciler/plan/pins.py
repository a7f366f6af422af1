"""What a saved plan pins besides its steps: a keyed digest of every secret-bearing value a step writes.

A step shows a secret-bearing field as `(sensitive)` on both sides, so the steps of a saved plan and of a
fresh one look the same however the value under them changed: an edited message that reads a secret, or
a different secret, would be applied unreviewed. `plan --out` records, for every step that writes, the
HMAC (`RECONCILER_DIGEST_KEY`) of each sensitive value it writes; `apply PLANFILE` computes the same for the
fresh plan and refuses the saved one as stale when any differs. Pure: the key comes in as bytes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.model import CHANGING_KINDS, Action, Plan
from reconciler.plan.normalise import desired_shape

# A digest of this text with the key tells a plan made with another RECONCILER_DIGEST_KEY from one whose
# values changed, without showing the key.
_KEY_CHECK = b"reconciler saved-plan pins"
Path_ = tuple[str | int, ...]


def pins_json(plan: Plan, key: bytes) -> dict[str, Any]:
    """The `pins` member of a saved plan: per bundle, one entry per writing step that holds a secret."""
    return {
        "key_check": _key_check(key),
        "bundles": {
            bundle.bundle_key: [
                {"agent": action.agent, "name": action.name, "remote_id": action.remote_id, "fields": fields}
                for action in bundle.actions
                if (fields := _fields(action, key))
            ]
            for bundle in plan.bundles
        },
    }


def pin_differences(saved: Any, fresh: Plan, key: bytes) -> list[str]:
    """Why the saved plan's `pins` do not match the secret-bearing values `fresh` would write; [] when they do.

    Steps only one side has are left to the step comparison (`serialise.same_actions`), which names them.
    """
    wanted = {
        bundle.bundle_key: {_identity(a): fields for a in bundle.actions if (fields := _fields(a, key))}
        for bundle in fresh.bundles
    }
    if not isinstance(saved, Mapping):
        if any(wanted.values()):
            return [
                "the saved plan does not pin the secret-bearing values it writes (it was made by an older "
                "reconciler), so they cannot be checked: make the plan again"
            ]
        return []
    if saved.get("key_check") != _key_check(key):  # the live fingerprint is keyed too: say why it differs
        return [
            "RECONCILER_DIGEST_KEY is not the key the plan was made with, so neither the live schedules nor "
            "the secret-bearing values it writes can be checked: apply with the same key, or make the plan again"
        ]
    recorded = saved.get("bundles")
    recorded = recorded if isinstance(recorded, Mapping) else {}
    by_key = {bundle.bundle_key: bundle for bundle in fresh.bundles}
    problems: list[str] = []
    for bundle_key in sorted(by_key):
        pinned = _recorded(recorded.get(bundle_key))
        now = wanted[bundle_key]
        actions = {_identity(a): a for a in by_key[bundle_key].actions}
        for ident in sorted(pinned.keys() | now.keys(), key=lambda i: (i[1], i[0], i[2] or "")):
            if ident not in actions:
                continue  # not planned now: the step comparison says so
            before, after = pinned.get(ident, []), now.get(ident, [])
            if before == after:
                continue
            changed = sorted(
                {_dotted(f) for f in before if f not in after}
                | {_dotted(f) for f in after if f not in before}
            )
            action = actions[ident]
            problems.append(
                f"bundle '{bundle_key}': {action.kind} {action.name} ({action.agent}) would write different "
                f"secret-bearing values than the saved plan: {', '.join(changed)} (values not shown)"
            )
    return problems


def _fields(action: Action, key: bytes) -> list[dict[str, Any]]:
    """Every sensitive value `action` writes: its path and keyed digest, in path order."""
    if action.kind not in CHANGING_KINDS or action.desired is None:
        return []
    found: list[dict[str, Any]] = []
    pending: list[tuple[Path_, Any]] = [((), desired_shape(action.desired))]
    while pending:
        path, value = pending.pop()
        if isinstance(value, Sensitive):
            found.append({"path": list(path), "digest": value.digest(key)})
        elif isinstance(value, Mapping):
            pending.extend(((*path, str(k)), v) for k, v in value.items())
        elif isinstance(value, list | tuple):
            pending.extend(((*path, i), v) for i, v in enumerate(value))
    return sorted(found, key=lambda f: [str(p) for p in f["path"]])


def _recorded(entries: Any) -> dict[tuple[str, str, str | None], list[Any]]:
    """The saved pins of one bundle by step; anything malformed simply matches nothing (and so is stale)."""
    if not isinstance(entries, list):
        return {}
    recorded: dict[tuple[str, str, str | None], list[Any]] = {}
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("fields"), list):
            remote_id = entry.get("remote_id")
            ident = (
                str(entry.get("agent")),
                str(entry.get("name")),
                None if remote_id is None else str(remote_id),
            )
            recorded[ident] = list(entry["fields"])
    return recorded


def _identity(action: Action) -> tuple[str, str, str | None]:
    return (action.agent, action.name, action.remote_id)


def _dotted(field: Any) -> str:
    path = field.get("path") if isinstance(field, Mapping) else None
    parts = path if isinstance(path, list) else ["?"]
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def _key_check(key: bytes) -> str:
    return "hmac-sha256:" + hmac.new(key, _KEY_CHECK, hashlib.sha256).hexdigest()
