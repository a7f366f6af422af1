"""Read a saved plan file back, and tell whether it still describes what a fresh plan would do.

`apply --plan FILE` loads the file, plans again against the live state of now, and refuses the saved plan
as stale unless `same_actions` finds no difference (SQLMesh's ConflictingPlanError, Terraform's serial).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from reconciler.bundle.sensitive import public
from reconciler.errors import StalePlanError
from reconciler.plan.errors import PlanFileError
from reconciler.plan.explain import FORMAT_VERSION, SYMBOLS
from reconciler.plan.model import KINDS, Action, ActionKind, BundlePlan, Change, Plan


def plan_from_json(data: Any, *, file: str = "plan file") -> Plan:
    """The `Plan` a `to_json` document describes (its actions carry no desired/live objects).

    Only this reconciler's `format_version` is read: a document of another version (version 1 kept a single
    bundle's fields at the top level) is refused with both numbers, never guessed at. The top-level
    `summary` is not read: it is counted again from the actions.
    """
    if not isinstance(data, Mapping):
        raise PlanFileError(file, "not a reconciler plan: expected a JSON object")
    if "format_version" not in data:
        raise PlanFileError(
            file, f"not a reconciler plan: it has no format_version (this reconciler reads {FORMAT_VERSION})"
        )
    version = data["format_version"]
    if type(version) is not int or version != FORMAT_VERSION:
        raise PlanFileError(
            file,
            f"plan format_version {_shown(version)} is not supported: this reconciler reads "
            f"format_version {FORMAT_VERSION}; make the plan again with `reconciler plan --out`",
        )
    documents = data.get("bundles")
    if not isinstance(documents, list):
        raise PlanFileError(file, "not a valid reconciler plan: 'bundles' must be a list")
    selection = data.get("selection") or {}
    try:
        return Plan(
            bundles=tuple(_bundle(document) for document in documents),
            only=tuple(_text(g) for g in selection.get("only") or ()),
            exclude=tuple(_text(g) for g in selection.get("exclude") or ()),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PlanFileError(file, f"not a valid reconciler plan: {_reason(exc)}") from None


def same_actions(saved: Plan, fresh: Plan) -> list[str]:
    """What differs between a saved plan and a fresh one, one readable line each; empty when they agree."""
    problems: list[str] = []
    saved_by = {bundle.bundle_key: bundle for bundle in saved.bundles}
    fresh_by = {bundle.bundle_key: bundle for bundle in fresh.bundles}
    for key in sorted(saved_by.keys() | fresh_by.keys()):
        old, new = saved_by.get(key), fresh_by.get(key)
        if new is None:
            problems.append(f"bundle '{key}' is in the saved plan but not among the bundles given now")
        elif old is None:
            problems.append(f"bundle '{key}' is not in the saved plan")
        else:
            problems += [f"bundle '{key}': {line}" for line in _bundle_differences(old, new)]
    return problems


def ensure_same(saved: Plan, fresh: Plan) -> None:
    """Raise `StalePlanError` naming every difference, so the user sees why the saved plan was refused."""
    problems = same_actions(saved, fresh)
    if problems:
        raise StalePlanError(
            "the saved plan is stale: the live schedules or the bundle changed since it was made. "
            "Run `reconciler plan` again and review the new plan.\n" + "\n".join(f"  - {p}" for p in problems)
        )


def _bundle_differences(old: BundlePlan, new: BundlePlan) -> list[str]:
    lines: list[str] = []
    # A fresh plan's target may hold values the file only has as "(sensitive)": compare what was saved.
    saved_target, fresh_target = public(old.target), public(new.target)
    if (old.provider, saved_target) != (new.provider, fresh_target):
        lines.append(
            f"the target changed from {old.provider} {saved_target} to {new.provider} {fresh_target}"
        )
    if old.live_fingerprint != new.live_fingerprint:
        lines.append("the live schedules changed since the plan was made (live fingerprint differs)")
    before = {_identity(action): action for action in old.actions}
    after = {_identity(action): action for action in new.actions}
    for ident in sorted(before.keys() | after.keys(), key=lambda i: (i[1], i[0], i[2] or "")):
        was, now = before.get(ident), after.get(ident)
        if now is None and was is not None:
            lines.append(f"{_headline(was)} is no longer planned")
        elif was is None and now is not None:
            lines.append(f"{_headline(now)} is now planned, and was not in the saved plan")
        elif was is not None and now is not None and was.kind != now.kind:
            lines.append(f"{_headline(was)} would now be {now.kind}")
        elif was is not None and now is not None and (was.changes, was.kept) != (now.changes, now.kept):
            differing = [c for c in (*was.changes, *was.kept) if c not in (*now.changes, *now.kept)] + [
                c for c in (*now.changes, *now.kept) if c not in (*was.changes, *was.kept)
            ]
            paths = sorted({change.path for change in differing})
            lines.append(f"{_headline(was)} now changes differently: {', '.join(paths)}")
    return lines


def _identity(action: Action) -> tuple[str, str, str | None]:
    # remote_id tells duplicates of one name apart; a create has none, and there is one per name.
    return (action.agent, action.name, action.remote_id)


def _headline(action: Action) -> str:
    where = f", {action.remote_id}" if action.remote_id else ""
    return f"{SYMBOLS[action.kind]} {action.kind} {action.name} ({action.agent}{where})"


def _bundle(data: Any) -> BundlePlan:
    return BundlePlan(
        bundle_key=_text(data["bundle_key"]),
        provider=_text(data["provider"]),
        target=dict(data.get("target") or {}),
        created_at=_text(data["created_at"]),
        actions=tuple(_action(item) for item in data["actions"]),
        live_fingerprint=_text(data["live_fingerprint"]),
    )


def _action(data: Any) -> Action:
    kind = data["action"]
    if kind not in KINDS:
        raise ValueError(f"unknown action {kind!r}")
    remote_id = data.get("remote_id")
    return Action(
        kind=cast(ActionKind, kind),
        name=_text(data["name"]),
        agent=_text(data["agent"]),
        remote_id=None if remote_id is None else _text(remote_id),
        changes=tuple(_change(c) for c in data.get("changes") or ()),
        reason=_text(data.get("reason", "")),
        kept=tuple(_change(c) for c in data.get("kept") or ()),
        ignored=tuple(_change(c) for c in data.get("ignored") or ()),
    )


def _change(data: Any) -> Change:
    return Change(
        path=_text(data["path"]),
        before=data.get("before"),
        after=data.get("after"),
        sensitive=data.get("sensitive") is True,
        origin=_text(data.get("origin", "")),
        written=_text(data.get("written", "")),
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:40] + "…"


def _reason(exc: Exception) -> str:
    return f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
