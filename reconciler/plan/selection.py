"""`--only` and `--exclude`: which schedules a partial plan may touch, by shell-style name globs.

A glob matches a schedule's name as the bundle writes it, or `bundleKey/name` to name one bundle's. With
`--only`, a schedule must match one of them; with `--exclude`, it must match none. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase


def selector(bundle_key: str, only: Sequence[str], exclude: Sequence[str]) -> Callable[[str], bool]:
    """Whether the schedule `name` of bundle `bundle_key` is in the selection."""

    def matches(globs: Sequence[str], name: str) -> bool:
        qualified = f"{bundle_key}/{name}"
        return any(fnmatchcase(name, g) or fnmatchcase(qualified, g) for g in globs)

    def selected(name: str) -> bool:
        if only and not matches(only, name):
            return False
        return not (exclude and matches(exclude, name))

    return selected


def describe(only: Sequence[str], exclude: Sequence[str]) -> str:
    """The selection as the command line wrote it, e.g. `--only 'digest-*' --exclude team/x`."""
    parts = [f"--only {g}" for g in only] + [f"--exclude {g}" for g in exclude]
    return " ".join(parts)
