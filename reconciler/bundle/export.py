"""Turn live schedules into a bundle document: what `reconciler export` writes. Pure.

Owned schedules keep their bundle names; unowned ones get `adopt: true`, so planning the exported bundle
shows only adoptions, and after one apply nothing at all. Schedules another bundle owns are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reconciler.bundle.semantics import NAME_PATTERN
from reconciler.bundle.sensitive import DIGEST_PREFIX
from reconciler.plan.live import LiveSchedule

SCHEMA_MODELINE = "# yaml-language-server: $schema=https://reconciler.dev/schemas/bundle.schema.json\n"


@dataclass
class Export:
    document: dict[str, Any]
    skipped: list[str] = field(default_factory=list)  # one line per live schedule left out, with the reason


def export_bundle(
    lives: list[LiveSchedule], *, bundle_key: str, provider: str, target: dict[str, Any]
) -> Export:
    skipped: list[str] = []
    schedules: list[dict[str, Any]] = []
    for live in sorted(lives, key=lambda s: (s.agent, s.display_name)):
        label = f"{live.display_name or live.remote_id} (agent {live.agent})"
        if live.owner not in (None, bundle_key):
            skipped.append(f"{label}: owned by bundle '{live.owner}'")
            continue
        if live.state == "archived":
            skipped.append(f"{label}: archived")
            continue
        name = live.name if live.owner == bundle_key and live.name else live.display_name
        if not NAME_PATTERN.match(name):
            skipped.append(f"{label}: its name is not a valid bundle name")
            continue
        if not any(k in live.when for k in ("cron", "every", "calendars")) or "intervals" in live.when:
            skipped.append(f"{label}: its timing mixes calendars and intervals, which a bundle cannot write")
            continue
        schedules.append(_schedule(live, name, adopt=live.owner is None))
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": bundle_key,
        "target": {"provider": provider, **target},
        "schedules": schedules,
    }
    return Export(document, skipped)


def _schedule(live: LiveSchedule, name: str, *, adopt: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "agent": live.agent}
    if live.state == "paused":
        entry["state"] = "paused"
    entry["when"] = {k: v for k, v in live.when.items() if not (k == "timezone" and v == "UTC")}
    live_input = {k: _unsealed(v, k) for k, v in live.input.items() if k != "secrets"}
    secrets = live.input.get("secrets") or {}
    if secrets:  # only digests are readable: point at the environment variables to fill in
        live_input["secrets"] = {k: _secret_ref(k) for k in secrets}
    if live_input:
        entry["input"] = live_input
    if live.labels:
        entry["labels"] = dict(live.labels)
    if live.options:
        entry["options"] = _unsealed(dict(live.options), "")
    if live.protected:
        entry["protect"] = True
    if adopt:
        entry["adopt"] = True
    return entry


def _unsealed(value: Any, name: str) -> Any:
    """A provider reports a secret it recognised (through its marker) as a digest, never the value: write a
    `secret()` for the author to fill in, named after its field, rather than the digest."""
    if isinstance(value, str) and value.startswith(DIGEST_PREFIX):
        return _secret_ref(name or "secret")
    if isinstance(value, dict):
        return {k: _unsealed(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsealed(v, name) for v in value]
    return value


def _secret_ref(name: str) -> str:
    variable = re.sub(r"[^A-Z0-9_]", "_", name.upper()) or "SECRET"
    return f"{{{{ secret('{variable}') }}}}"
