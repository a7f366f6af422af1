"""Saved plan files: `plan --out` writes one; `apply PLANFILE`, `apply --plan FILE` and `show PLANFILE` read one.

The file is the plan document (`reconciler.plan.explain.to_json`) plus `source`: the bundle paths, `--var`s
and `--allow-empty` that `apply` needs to render the bundles again and check the plan is not stale. It holds
no secret. Reading is bounded: a plan file may come from an artifact someone else uploaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.cli.session import digest_key
from reconciler.forecast.budgets import LoadDelta
from reconciler.forecast.planload import load_from_json, load_json
from reconciler.plan.errors import PlanFileError
from reconciler.plan.explain import to_json
from reconciler.plan.model import Plan
from reconciler.plan.pins import pins_json
from reconciler.plan.serialise import plan_from_json

# A plan of 10,000 schedules is a few megabytes; anything this large was not written by `plan --out`.
MAX_PLAN_FILE_BYTES = 64 * 1024 * 1024
NOT_A_PLAN_FILE = "not a plan file saved by `reconciler plan --out`"


@dataclass(frozen=True)
class SavedPlan:
    path: Path
    plan: Plan
    paths: tuple[str, ...]  # the `source` that made it; empty for a document without one (`show` needs none)
    vars: tuple[str, ...]
    allow_empty: bool
    pins: Any = None  # what the steps write that the file shows only as `(sensitive)` (reconciler.plan.pins)
    only: tuple[str, ...] = ()  # the selection the plan was made with (--only / --exclude)
    exclude: tuple[str, ...] = ()
    load: tuple[int, list[LoadDelta]] | None = None  # the runs and cost before -> after, as planned


def save_plan(
    plan: Plan,
    out: Path,
    *,
    paths: tuple[str, ...],
    vars: tuple[str, ...],
    allow_empty: bool,
    load: tuple[int, list[LoadDelta]] | None = None,
) -> None:
    document: dict[str, Any] = to_json(plan)
    if load is not None:  # as `plan --format json` prints it (docs/plan-json.md): `show` reads it back
        document["load"] = load_json(*load)
    document["source"] = {"paths": list(paths), "vars": list(vars), "allow_empty": allow_empty}
    if plan.partial:  # `apply PLANFILE` plans again with the same selection
        document["source"] |= {"only": list(plan.only), "exclude": list(plan.exclude)}
    document["pins"] = pins_json(plan, digest_key())  # keyed digests of the secret-bearing values written
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")


def read_plan_file(path: Path) -> dict[str, Any]:
    """A saved plan's JSON. Only a regular file is read (a FIFO would wait forever), at most
    MAX_PLAN_FILE_BYTES of it, and JSON nested deeper than Python's parser goes is refused, not a crash."""
    where = str(path)
    try:
        if not path.is_file():
            raise PlanFileError(where, f"{NOT_A_PLAN_FILE} (no such regular file)")
        with path.open("rb") as handle:
            raw = handle.read(MAX_PLAN_FILE_BYTES + 1)
    except OSError as exc:
        raise PlanFileError(where, f"{NOT_A_PLAN_FILE} (cannot read it: {exc.strerror})") from None
    if len(raw) > MAX_PLAN_FILE_BYTES:
        raise PlanFileError(where, f"{NOT_A_PLAN_FILE} (it is larger than {MAX_PLAN_FILE_BYTES} bytes)")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deep" if isinstance(exc, RecursionError) else str(exc)
        raise PlanFileError(where, f"{NOT_A_PLAN_FILE} ({reason})") from None
    if not isinstance(data, dict):
        raise PlanFileError(where, f"{NOT_A_PLAN_FILE} (expected a JSON object)")
    return data


def load_plan_file(path: Path, *, need_source: bool) -> SavedPlan:
    """The plan in `path`, checked whole before anything else happens. `need_source`: `apply` must render the
    bundles again, so the file must say which (a document printed by `plan --format json` does not)."""
    data = read_plan_file(path)
    plan = plan_from_json(data, file=str(path))
    try:
        load = load_from_json(data["load"]) if "load" in data else None
    except ValueError as exc:
        raise PlanFileError(str(path), f"{NOT_A_PLAN_FILE}: {exc}") from None
    source = data.get("source")
    if source is None and not need_source:
        return SavedPlan(path, plan, (), (), False, load=load)
    if not isinstance(source, dict):
        raise PlanFileError(str(path), f"{NOT_A_PLAN_FILE} (it has no 'source': the bundles that made it)")
    paths, vars_, allow_empty = source.get("paths"), source.get("vars", []), source.get("allow_empty", False)
    if not _texts(paths) or not paths or not _texts(vars_) or not isinstance(allow_empty, bool):
        raise PlanFileError(
            str(path),
            f"{NOT_A_PLAN_FILE} ('source' must hold 'paths' and 'vars', lists of text, and 'allow_empty')",
        )
    only, exclude = source.get("only", []), source.get("exclude", [])
    if not _texts(only) or not _texts(exclude):
        raise PlanFileError(
            str(path), f"{NOT_A_PLAN_FILE} ('source' 'only' and 'exclude' must be lists of text)"
        )
    return SavedPlan(
        path,
        plan,
        tuple(paths),
        tuple(vars_),
        allow_empty,
        data.get("pins"),
        tuple(only),
        tuple(exclude),
        load,
    )


def is_plan_file(argument: str) -> bool:
    """Whether a path given to `apply` is a saved plan rather than a bundle: a regular file holding a JSON
    object with a `format_version` (a bundle, even one written as JSON, says `apiVersion` instead).
    Only files that start with `{` are parsed; anything unreadable is left to the bundle loader to report."""
    path = Path(argument)
    try:
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    if not head.lstrip().startswith(b"{"):
        return False
    try:
        data = read_plan_file(path)
    except PlanFileError:
        return False
    return "format_version" in data and "apiVersion" not in data


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
