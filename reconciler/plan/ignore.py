"""`ignore:` — fields left to the platform once a schedule exists: never compared, never written back.

Pure: the planner passes both canonical forms (`normalise.comparable` / the live one) and gets back the
desired form with the platform's values at the ignored paths, the differences that were ignored, and the
desired schedule to write (the platform's values there too, so an update of other fields keeps them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.bundle.desired import DesiredSchedule
from reconciler.plan.diff import field_changes
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Change
from reconciler.plan.origins import TimingOf


def _split(path: str) -> tuple[str, tuple[str, ...]]:
    head, _, rest = path.partition(".")
    return head, tuple(rest.split(".")) if rest else ()


def ignored_form(
    want: Mapping[str, Any], seen: Mapping[str, Any], paths: tuple[str, ...]
) -> tuple[dict[str, Any], tuple[Change, ...]]:
    """`want` with the live values at `paths`, and the differences that hides (for the plan's footer)."""
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in want.items()}
    for path in paths:
        head, keys = _split(path)
        if not keys:
            _set(out, head, seen.get(head))
            continue
        branch = out.get(head)
        branch = _deep_copy(branch) if isinstance(branch, Mapping) else {}
        source: Any = seen.get(head)
        target = branch
        for key in keys[:-1]:
            source = source.get(key) if isinstance(source, Mapping) else None
            nested = target.get(key)
            target[key] = _deep_copy(nested) if isinstance(nested, Mapping) else {}
            target = target[key]
        live_value = source.get(keys[-1]) if isinstance(source, Mapping) else None
        _set(target, keys[-1], live_value)
        _set(out, head, branch or None)
    hidden = tuple(c for c in field_changes(seen, want) if _under(c.path, paths))
    return out, hidden


def keep_ignored(
    desired: DesiredSchedule, live: LiveSchedule, paths: tuple[str, ...], timing_of: TimingOf | None
) -> DesiredSchedule:
    """`desired` with the platform's values at `paths`: what an update of its other fields writes."""
    merged = desired
    for path in paths:
        head, keys = _split(path)
        if head == "state" and live.state in ("active", "paused"):
            merged = replace(merged, state="active" if live.state == "active" else "paused")
        elif head == "when" and timing_of is not None and (timing := timing_of(live.when)) is not None:
            merged = replace(merged, when=dict(live.when), timing=timing)
        elif head in ("input", "labels", "options"):
            ours: dict[str, Any] = _deep_copy(getattr(merged, head))
            theirs: Any = getattr(live, head)
            if not keys:
                ours = _deep_copy(theirs) if isinstance(theirs, Mapping) else {}
            else:
                target = ours
                for key in keys[:-1]:
                    theirs = theirs.get(key) if isinstance(theirs, Mapping) else None
                    nested = target.get(key)
                    target[key] = _deep_copy(nested) if isinstance(nested, Mapping) else {}
                    target = target[key]
                value = theirs.get(keys[-1]) if isinstance(theirs, Mapping) else None
                _set(target, keys[-1], value)
            if head == "input":
                merged = replace(merged, input=ours)
            elif head == "labels":
                merged = replace(merged, labels={str(k): str(v) for k, v in ours.items()})
            else:
                merged = replace(merged, options=ours)
    return merged


def _under(change_path: str, paths: tuple[str, ...]) -> bool:
    return any(change_path == p or change_path.startswith(p + ".") for p in paths)


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _deep_copy(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (_deep_copy(v) if isinstance(v, Mapping) else v) for k, v in value.items()}
