"""`plan --drift-only`: what changed on the platform since the last apply, and nothing the bundle changed.

Walks the same plan `apply` would carry out and keeps only the differences whose origin is drift (or both, or
cannot be told: no record), plus pauses made outside the bundle. Pure; the CLI prints it and exits 0 / 2.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from reconciler.bundle.sensitive import REDACTED, public
from reconciler.plan.model import Action, Change, Plan

DRIFT_ORIGINS = frozenset({"drift", "both", "unknown"})
NO_DRIFT = "No drift. Nothing changed on the platform since the last apply."


@dataclass(frozen=True)
class Drifted:
    bundle_key: str
    provider: str
    name: str
    agent: str
    remote_id: str | None
    changes: tuple[Change, ...]  # drifted fields (origin drift, both or unknown)
    paused_outside: str  # the plan's words for a pause made outside the bundle; "" when there is none


def drift_of(plan: Plan) -> list[Drifted]:
    """Every owned schedule with drift, in plan order."""
    found: list[Drifted] = []
    for bundle in plan.bundles:
        for action in bundle.actions:
            if action.live is None and action.remote_id is None:
                continue  # a create: the bundle added it (pending)
            changes = tuple(c for c in (*action.changes, *action.kept) if c.path != "state" and _drifted(c))
            paused = _paused_outside(action)
            state = tuple(c for c in (*action.changes, *action.kept) if c.path == "state" and _drifted(c))
            if changes or paused or state:
                found.append(
                    Drifted(
                        bundle.bundle_key,
                        bundle.provider,
                        action.name,
                        action.agent,
                        action.remote_id,
                        changes + (() if paused else state),
                        paused,
                    )
                )
    return found


def _drifted(change: Change) -> bool:
    return change.origin in DRIFT_ORIGINS


def _paused_outside(action: Action) -> str:
    if "paused outside the bundle" not in action.reason:
        return ""
    return next(part for part in action.reason.split("; ") if "paused outside the bundle" in part)


def summary(found: list[Drifted]) -> dict[str, int]:
    return {
        "drifted": sum(1 for d in found if any(c.origin in ("drift", "both") for c in d.changes)),
        "paused_outside_bundle": sum(1 for d in found if d.paused_outside),
        "unknown": sum(1 for d in found if d.changes and all(c.origin == "unknown" for c in d.changes)),
    }


def to_json(found: list[Drifted]) -> dict[str, Any]:
    return {
        "summary": summary(found),
        "schedules": [
            {
                "bundle_key": d.bundle_key,
                "provider": d.provider,
                "name": d.name,
                "agent": d.agent,
                "remote_id": d.remote_id,
                "paused_outside_bundle": d.paused_outside or None,
                "changes": [_change_json(c) for c in d.changes],
            }
            for d in found
        ],
    }


def _change_json(change: Change) -> dict[str, Any]:
    hidden = change.sensitive
    return {
        "path": change.path,
        "bundle": (REDACTED if change.after is not None else None) if hidden else public(change.after),
        "live": (REDACTED if change.before is not None else None) if hidden else public(change.before),
        "origin": change.origin,
    }


def to_text(found: list[Drifted]) -> str:
    if not found:
        return NO_DRIFT + "\n"
    lines: list[str] = []
    for d in found:
        lines.append(f"{d.bundle_key}/{d.name} ({d.agent}, {d.provider})")
        if d.paused_outside:
            lines.append(f"    ‖ {d.paused_outside}")
        for c in d.changes:
            lines.append(
                f"    {c.path}: {_value(c, c.after)} in the bundle, {_value(c, c.before)} live  ({_words(c)})"
            )
    counts = summary(found)
    lines.append("")
    lines.append(
        f"Drift: {counts['drifted']} schedule(s) changed on the platform, {counts['paused_outside_bundle']} "
        f"paused outside the bundle, {counts['unknown']} that differ where the platform keeps no record of the "
        "last apply (drift or an unapplied change)."
    )
    return "\n".join(lines) + "\n"


def to_markdown(found: list[Drifted]) -> str:
    out = ["### reconciler drift", ""]
    if not found:
        return "\n".join([*out, NO_DRIFT, ""])
    out += ["| schedule | agent | what differs |", "|---|---|---|"]
    for d in found:
        what = [html.escape(d.paused_outside)] if d.paused_outside else []
        what += [
            f"<code>{html.escape(c.path)}</code>: {html.escape(_value(c, c.before))} live, "
            f"{html.escape(_value(c, c.after))} in the bundle ({_words(c)})"
            for c in d.changes
        ]
        out.append(
            f"| <code>{html.escape(d.bundle_key)}/{html.escape(d.name)}</code> | {html.escape(d.agent)} "
            f"| {'<br>'.join(what)} |"
        )
    return "\n".join(out) + "\n"


def _value(change: Change, value: Any) -> str:
    if value is None:
        return "(none)"
    if change.sensitive:
        return REDACTED
    return json.dumps(public(value), ensure_ascii=False, sort_keys=True)


def _words(change: Change) -> str:
    return {
        "drift": "changed on the platform",
        "both": "changed on the platform and in the bundle",
        "unknown": "no record of the last apply: drift or not applied yet",
    }.get(change.origin, change.origin)
