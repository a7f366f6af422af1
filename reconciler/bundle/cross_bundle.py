"""The checks across the bundles of one run: a bundleKey used twice, a schedule declared by two bundles, a
move between bundles that does not add up (`refactoring.move_problems`)."""

from __future__ import annotations

from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.refactoring import move_problems
from reconciler.errors import Diagnostic


def cross_bundle_problems(bundles: list[Bundle]) -> list[Diagnostic]:
    """Two bundles must not share a key, nor declare the same schedule on the same target."""
    problems: list[Diagnostic] = []
    keys: dict[str, Bundle] = {}
    declared: dict[tuple[Any, ...], DesiredSchedule] = {}
    for bundle in bundles:
        other = keys.setdefault(bundle.key, bundle)
        if other is not bundle:
            problems.append(
                Diagnostic(
                    bundle.file,
                    bundle.line,
                    1,
                    f"bundleKey '{bundle.key}' is already used by "
                    f"the bundle at {other.file}:{other.line}; each bundle needs its own key",
                )
            )
            continue
        target = (bundle.provider, tuple(sorted(bundle.target.items())))
        for schedule in bundle.schedules:
            identity = (target, schedule.agent, schedule.name)
            first = declared.setdefault(identity, schedule)
            if first is not schedule:
                problems.append(
                    Diagnostic(
                        schedule.file,
                        schedule.line,
                        1,
                        f"schedule '{schedule.name}' for agent '{schedule.agent}' is also declared "
                        f"at {first.file}:{first.line}; one schedule can have only one owner",
                    )
                )
    return problems + move_problems(bundles)
