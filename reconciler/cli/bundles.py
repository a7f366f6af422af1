"""`reconciler bundles PATH...`: the bundles the paths hold (key, file, provider, schedules), offline; with
`--matrix --shards N`, a GitHub Actions matrix of N shards for plan/apply jobs (docs/deploying.md).

A bundle's shard is `shard_of(bundleKey, N)`, the same hash `reconciler controller --shard i/N` uses, so a
bundle keeps its shard when other bundles come and go, and the output does not depend on the order of the
files. A matrix job plans files, not bundles: a file holding bundles of several shards goes whole to the
shard of its first bundle key (in sort order), so no bundle is ever planned by two jobs at once; so do
bundles a schedule moves between (`renamedFrom`), which must be planned in one run.
Exit 0, or 1 for an invalid bundle (every problem at its file:line).
"""

from __future__ import annotations

import json
import shlex
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer

from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import Loaded, load_bundles, parse_var_overrides
from reconciler.cli.common import Paths, Vars, parsed_files
from reconciler.cli.output import exception_json
from reconciler.controller.shards import shard_of
from reconciler.errors import BundleError


class BundlesFormat(StrEnum):
    text = "text"
    json = "json"


@dataclass(frozen=True)
class Shard:
    index: int
    count: int
    files: tuple[str, ...]  # what the shard's job plans: its bundle files (and the Costs file, if any)
    keys: tuple[str, ...]  # the bundles in those files

    @property
    def name(self) -> str:
        return f"{self.index}/{self.count}"

    def matrix_entry(self) -> dict[str, str]:
        """One job of the matrix: strings only, so a workflow passes them on as they are (`paths` is split
        by the action like a shell would: shlex-quoted)."""
        return {
            "shard": self.name,
            "paths": shlex.join(self.files),
            "bundles": " ".join(self.keys),
        }


def bundles(
    paths: Paths,
    matrix: Annotated[
        bool,
        typer.Option(
            "--matrix",
            help="Print a GitHub Actions matrix (JSON on one line, for fromJSON): one job per non-empty shard, "
            "with its bundle files in `paths`.",
        ),
    ] = False,
    shards: Annotated[
        int,
        typer.Option(
            "--shards", min=1, max=256, help="Group the bundles into N shards by a hash of bundleKey."
        ),
    ] = 1,
    format: Annotated[
        BundlesFormat, typer.Option("--format", help="text or json (--matrix is always JSON).")
    ] = BundlesFormat.text,
    var: Vars = None,
) -> int:
    """List the bundles (key, file, provider, schedules) without contacting any platform.

    `--matrix --shards N`: a GitHub Actions matrix instead, one job per shard (docs/deploying.md).
    """
    try:
        loaded = load_bundles(
            paths, parse_var_overrides(var or []), read_secrets=False, parsed=parsed_files()
        )
        loaded.raise_for_problems()
    except BundleError as exc:
        if format is BundlesFormat.json or matrix:
            print(json.dumps(exception_json(exc), indent=2))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 1
    grouped = group_into_shards(loaded, shards)
    for note in split_files(loaded.bundles, shards):
        print(f"note: {note}", file=sys.stderr)
    if matrix:
        print(json.dumps({"include": [s.matrix_entry() for s in grouped]}, separators=(",", ":")))
    elif format is BundlesFormat.json:
        print(json.dumps(listing_json(loaded.bundles, grouped, shards), indent=2))
    else:
        print(listing_text(loaded.bundles, grouped, shards))
    return 0


def group_into_shards(loaded: Loaded, count: int) -> list[Shard]:
    """The non-empty shards, in order. A shard with no bundle is left out: a job for it would have no path
    to plan (and GitHub would still start a runner for it)."""
    by_file: dict[str, list[Bundle]] = {}
    for bundle in loaded.bundles:
        by_file.setdefault(bundle.file, []).append(bundle)
    owner = {
        file: shard_of(min(b.key for b in unit), count)
        for unit in units(loaded.bundles)
        for file in {b.file for b in unit}
    }
    costs = loaded.costs.file if loaded.costs is not None and loaded.costs.file not in by_file else ""
    result = []
    for index in range(count):
        files = sorted(file for file, shard in owner.items() if shard == index)
        if not files:
            continue
        keys = sorted(b.key for file in files for b in by_file[file])
        # Every job needs the Costs document (budgets are checked on each shard's plan).
        result.append(Shard(index, count, (*files, costs) if costs else tuple(files), tuple(keys)))
    return result


def units(bundles: list[Bundle]) -> list[list[Bundle]]:
    """The bundles that must be planned in the same job: those of one file (a job plans files), and those a
    schedule moves between (`renamedFrom: {bundleKey, name}`: planned apart, the old bundle's job could archive
    the schedule while the new one's takes it over; docs/refactoring.md). Each unit goes to the shard of its
    first bundleKey in sort order."""
    parent = {b.file: b.file for b in bundles}

    def root(file: str) -> str:
        while parent[file] != file:
            file = parent[file]
        return file

    def join(a: str, b: str) -> None:
        first, second = sorted((root(a), root(b)))
        parent[second] = first

    file_of = {b.key: b.file for b in bundles}
    for bundle in bundles:
        for schedule in bundle.schedules:
            source = schedule.renamed_from[0] if schedule.renamed_from else bundle.key
            if source != bundle.key and source in file_of:
                join(bundle.file, file_of[source])
    grouped: dict[str, list[Bundle]] = {}
    for bundle in sorted(bundles, key=lambda b: b.key):
        grouped.setdefault(root(bundle.file), []).append(bundle)
    return sorted(grouped.values(), key=lambda unit: unit[0].key)


def split_files(bundles: list[Bundle], count: int) -> list[str]:
    """Units whose bundles hash to different shards: said on stderr, since each unit goes to one shard."""
    notes = []
    for unit in units(bundles):
        owners = sorted({shard_of(b.key, count) for b in unit})
        if len(owners) > 1:
            files = sorted({b.file for b in unit})
            why = "one file holds them" if len(files) == 1 else "a schedule moves between them (renamedFrom)"
            notes.append(
                f"{', '.join(files)}: bundles {', '.join(b.key for b in unit)} hash to shards "
                f"{', '.join(f'{i}/{count}' for i in owners)} but go together to shard "
                f"{shard_of(unit[0].key, count)}/{count}: {why}"
            )
    return notes


def _shard_of_file(grouped: list[Shard]) -> dict[str, str]:
    return {file: shard.name for shard in grouped for file in shard.files}


def listing_json(bundles: list[Bundle], grouped: list[Shard], count: int) -> dict[str, Any]:
    shard = _shard_of_file(grouped)
    return {
        "shards": count,
        "bundles": [
            {
                "key": b.key,
                "file": b.file,
                "line": b.line,
                "provider": b.provider,
                "schedules": len(b.schedules),
                "shard": shard[b.file],
            }
            for b in sorted(bundles, key=lambda b: b.key)
        ],
    }


def listing_text(bundles: list[Bundle], grouped: list[Shard], count: int) -> str:
    shard = _shard_of_file(grouped)
    rows = [("BUNDLE", "PROVIDER", "SCHEDULES", *(("SHARD",) if count > 1 else ()), "FILE")]
    for b in sorted(bundles, key=lambda b: b.key):
        rows.append(
            (
                b.key,
                b.provider,
                str(len(b.schedules)),
                *((shard[b.file],) if count > 1 else ()),
                f"{b.file}:{b.line}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]) for row in rows
    ]
    schedules = sum(len(b.schedules) for b in bundles)
    total = f"{len(bundles)} bundle(s), {schedules} schedule(s)"
    if count > 1:
        total += f" in {len(grouped)} of {count} shard(s)"
    return "\n".join([*lines, total + "."])
