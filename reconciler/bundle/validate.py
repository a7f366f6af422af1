"""Load, check and render bundles: paths in, `Bundle`s or every located problem out. No network.

This is the whole front half of the pipeline (load -> structure -> render -> semantics -> cross-bundle
checks); `validate`, `plan` and `apply` all start here, so they agree on what a bundle means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.load import Budget, Document, claims_to_be_bundle, find_bundle_files, load_file
from reconciler.bundle.money import parse_limits
from reconciler.bundle.refactoring import move_problems, rename_problems
from reconciler.bundle.render import (
    NOT_RENDERED,
    Renderer,
    field_name,
    is_template,
    literal_templates,
    render_schedules,
)
from reconciler.bundle.semantics import WhenMemo, check_schedule, check_target
from reconciler.bundle.sensitive import redact_text
from reconciler.bundle.structure import check_structure
from reconciler.errors import BundleError, Diagnostic
from reconciler.forecast.costs import CostBook, is_costs_document, parse_costs
from reconciler.providers.capabilities import Capabilities, capabilities_for
from reconciler.timing.dst import dst_hits, dst_message
from reconciler.timing.durations import format_duration, parse_duration
from reconciler.timing.families import SERVER_WALK_FAMILIES, WALL_CLOCK_INTERVAL_PROVIDERS
from reconciler.timing.spec import Timing, TimingError

Path_ = tuple[str | int, ...]


@dataclass
class Loaded:
    bundles: list[Bundle] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    secret_values: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)  # YAML files in the given folders that are not bundles
    # Not problems: wall times a DST change skips or repeats (only when asked, `warn_from`; docs/timing.md).
    warnings: list[Diagnostic] = field(default_factory=list)
    costs: CostBook | None = None  # the run's Costs document (docs/costs.md), if any

    def raise_for_problems(self) -> None:
        if self.diagnostics:
            raise BundleError(self.diagnostics)


def parse_var_overrides(pairs: Iterable[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BundleError([Diagnostic("--var", 0, 0, f"'{pair}' is not key=value")])
        if is_template(value):
            raise BundleError([Diagnostic("--var", 0, 0, f"{key}: {NOT_RENDERED['--var']}")])
        overrides[key] = value
    return overrides


def load_bundles(
    paths: Iterable[str],
    var_overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    read_secrets: bool = True,
    allow_empty: bool = False,
    warn_from: datetime | None = None,
    costs_file: str | None = None,
    on_valid: Callable[[Bundle, frozenset[str]], None] | None = None,
) -> Loaded:
    """Every bundle under `paths`, with all problems collected (never just the first).

    A path that yields no bundle (an empty file, one of only comments, `---` or `null`; a folder with no
    bundle in it) is a problem unless `allow_empty`: a command must never report on bundles it did not read
    ("valid", "No changes") because a file was truncated or a folder named wrongly.

    `read_secrets=False` is for the offline commands: `secret()` renders a placeholder instead of reading the
    environment, so `validate` (a pre-commit hook, a fork's pull request) needs no secret at all.

    `warn_from` ("now"): also collect the DST warnings of the 12 months after it in `warnings` (`validate`).

    A `kind: Costs` document among the files (or `costs_file`, `--costs`) is read into `costs`, not as a
    bundle: at most one per run.

    Each file's documents are checked as soon as it is read, and dropped before the next file is read: the
    run holds its `Bundle`s, never every file's raw data at once. Files are read without the positions of
    the nodes inside schedules (most of a bundle, and most of the reading); a document with anything to say
    is read again with them, so every message is placed exactly (`_bundle_placed`).

    `on_valid(bundle, secrets so far)`: called as each bundle is found valid while no problem is known yet,
    before the later files are checked (`plan` starts reading its live state then); the bundle may still be
    refused by the checks across bundles.
    """
    result = Loaded()
    renderer = Renderer(environ, read_secrets=read_secrets)
    overrides = dict(var_overrides or {})
    costs: list[Document] = []  # the Costs documents, in the order read
    bundle_documents = 0
    budget = Budget()  # bytes and nodes for all files of this run together

    def each_file() -> Iterator[list[Document]]:
        """The documents of every file, one file at a time: the paths', then `costs_file`'s."""
        for raw in paths:  # a path that is not even YAML must not hide the problems of the others
            yield from _documents_of(raw, budget, result, allow_empty=allow_empty)
        if costs_file is not None:
            try:
                yield load_file(Path(costs_file), budget, positions=False)
            except BundleError as exc:
                result.diagnostics.extend(exc.diagnostics)

    for documents in each_file():
        while documents:
            document = documents.pop(0)  # popped: its data goes once checked
            if is_costs_document(document.data):
                costs.append(document)
                continue
            bundle_documents += 1
            bundle = _bundle_placed(document, overrides, renderer, result, warn_from)
            if bundle is not None:
                result.bundles.append(bundle)
                if on_valid is not None and not result.diagnostics:
                    on_valid(bundle, frozenset(renderer.secret_values))
    result.costs = _costs_of(costs, result.diagnostics)
    if result.diagnostics and not bundle_documents:
        return result
    result.diagnostics.extend(_cross_bundle_problems(result.bundles))
    result.secret_values = set(renderer.secret_values)
    # A message may quote a rendered value; secrets must not escape through it.
    # (a set: for_each repeats one problem once per item)
    result.diagnostics, result.warnings = (
        sorted(
            {
                Diagnostic(d.file, d.line, d.col, redact_text(d.message, result.secret_values), d.field)
                for d in found
            }
        )
        for found in (result.diagnostics, result.warnings)
    )
    return result


def _costs_of(documents: list[Document], problems: list[Diagnostic]) -> CostBook | None:
    """The CostBook of the one `kind: Costs` document among `documents`."""
    costs = [d for d in documents if is_costs_document(d.data)]
    if not costs:
        return None
    first = costs[0]
    for extra in costs[1:]:
        problems.append(
            extra.diagnostic(
                ("kind",),
                f"a second Costs document; the first is at {first.file}:{first.mark(('kind',)).line}: "
                "one Costs document per run",
            )
        )
    book, found = parse_costs(first)
    problems.extend(found)
    return book


def _documents_of(raw: str, budget: Budget, result: Loaded, *, allow_empty: bool) -> Iterator[list[Document]]:
    """The documents under one command-line path, a file's at a time (read only when the caller has done
    with the file before); its problems (and skipped files) go to `result`."""
    try:
        files = find_bundle_files([raw])
    except BundleError as exc:
        result.diagnostics.extend(exc.diagnostics)
        return
    read_any = False
    skipped: list[str] = []
    failed = False
    for path, explicit in files:
        if not explicit and not claims_to_be_bundle(path):
            # Found by walking a folder and not a bundle at all (a CI workflow, say): skip it, and say so.
            skipped.append(str(path))
            continue
        try:
            found = load_file(path, budget, positions=False)
        except BundleError as exc:
            result.diagnostics.extend(exc.diagnostics)
            failed = True
            continue
        if explicit and not found and not allow_empty:
            result.diagnostics.append(
                Diagnostic(
                    str(path),
                    1,
                    1,
                    "no bundle in this file: it is empty, or holds only comments, '---' or null (a bundle "
                    "starts with 'apiVersion: reconciler/v1'); pass --allow-empty if that is meant",
                )
            )
            failed = True
        read_any = read_any or bool(found)
        yield found
    result.skipped.extend(skipped)
    if not read_any and not failed and not allow_empty and not Path(raw).is_file():
        shown = raw if len(raw) <= 200 else raw[:200] + "..."
        if skipped:
            why = (
                f"its {len(skipped)} YAML file(s) do not say apiVersion: reconciler/v1, kind: Bundle or "
                f"bundleKey ({', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''})"
            )
        else:
            why = "it holds no .yaml or .yml file"
        result.diagnostics.append(
            Diagnostic(
                shown, 1, 1, f"no bundle found in this folder: {why}; pass --allow-empty if that is meant"
            )
        )


def _bundle_placed(
    document: Document,
    overrides: dict[str, str],
    renderer: Renderer,
    result: Loaded,
    warn_from: datetime | None,
) -> Bundle | None:
    """`_bundle_from`, with every problem and warning at its exact file:line:col.

    A document read without positions is checked as it is; only when it has something to say is its file
    read again with them and the document checked again (with the run's template budget as it was before
    the first check, so the second sees what the first saw). Should the file have changed in between, the
    first check's messages stand, placed at their schedule."""
    budget_before = renderer.budget_spent()
    problems: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    bundle = _bundle_from(document, overrides, renderer, problems, warnings, warn_from)
    if (problems or warnings) and not document.positions:
        placed = _with_positions(document)
        if placed is not None:
            document.data = placed.data  # equal: the first read's copy goes before the second check
            renderer.restore_budget(budget_before)
            problems, warnings, bundle = [], [], None
            bundle = _bundle_from(placed, overrides, renderer, problems, warnings, warn_from)
    result.diagnostics.extend(problems)
    result.warnings.extend(warnings)
    return bundle


def _with_positions(document: Document) -> Document | None:
    """`document` read again from its file with every position, or None if the file no longer holds it."""
    try:
        again = load_file(Path(document.file), Budget())  # its limits held on the first read
    except BundleError:
        return None
    for candidate in again:
        if candidate.index == document.index and candidate.data == document.data:
            return candidate
    return None


def _bundle_from(
    document: Document,
    overrides: dict[str, str],
    renderer: Renderer,
    problems: list[Diagnostic],
    warnings: list[Diagnostic],
    warn_from: datetime | None,
) -> Bundle | None:
    spec, structural = check_structure(document)
    problems.extend(structural)
    if spec is None:
        return None
    data: dict[str, Any] = document.data
    caps = capabilities_for(spec.target.provider, spec.target.api)
    variables = {**(data.get("vars") or {}), **overrides}
    count_before = len(problems)

    def report(path: Path_, message: str) -> None:
        problems.append(document.diagnostic(path, message))

    for section in ("vars", "target"):
        for path in literal_templates(data.get(section), (section,)):
            report(path, f"{field_name(path)}: {NOT_RENDERED[section]}")

    check_target(data.get("target") or {}, report)
    respect_for = _respect_for(spec.respectFor, spec.pauses, report)

    rendered = render_schedules(
        list(data.get("schedules") or []), data.get("defaults") or {}, variables, renderer, report
    )
    schedules: list[DesiredSchedule] = []
    first_line: dict[str, int] = {}
    dst: list[Diagnostic] = []  # kept only when the bundle is valid
    when_memo: WhenMemo = {}  # one `when` shared by many schedules is checked once
    for entry in rendered:
        base: Path_ = ("schedules", entry.source_index)

        def report_field(
            path: Path_, message: str, base: Path_ = base, taken: set[str] = entry.from_defaults
        ) -> None:
            dotted = ".".join(str(p) for p in path[:2])
            origin: Path_ = ("defaults",) if (path and (str(path[0]) in taken or dotted in taken)) else base
            report(origin + path, message)

        line = document.mark(base).line
        schedule = check_schedule(
            entry.data, caps, spec.bundleKey, report_field, document.file, line, when_memo
        )
        if schedule is None:
            continue
        if schedule.name in first_line:
            report_field(
                ("name",),
                f"duplicate schedule name '{schedule.name}' in bundle '{spec.bundleKey}' "
                f"(first declared at line {first_line[schedule.name]})",
            )
            continue
        first_line[schedule.name] = line
        schedules.append(schedule)
        if warn_from is not None and not caps.utc_only:
            origin = ("defaults",) if "when" in entry.from_defaults else base
            dst.extend(_dst_warnings(document, origin, entry.from_defaults, schedule, caps, warn_from))
    problems.extend(rename_problems(spec.bundleKey, schedules))
    limits = parse_limits(document, data.get("limits"), ("limits",), report)
    if len(problems) > count_before:
        return None
    warnings.extend(dst)
    return Bundle(
        key=spec.bundleKey,
        provider=spec.target.provider,
        target={k: v for k, v in spec.target.model_dump().items() if k != "provider" and v is not None},
        prune=spec.prune,
        schedules=tuple(schedules),
        file=document.file,
        line=document.mark(("bundleKey",)).line,
        moved_from=spec.movedFrom or "",
        pauses=spec.pauses,
        respect_for=respect_for,
        drift=spec.drift,
        limits=limits,
    )


def _dst_warnings(
    document: Document,
    origin: Path_,
    from_defaults: set[str],
    schedule: DesiredSchedule,
    caps: Capabilities,
    now: datetime,
) -> list[Diagnostic]:
    """One warning per rule of the schedule (each cron, each calendar, the interval) whose wall times a DST
    change of the next 12 months skips or repeats, at the line that writes the rule."""
    timing = schedule.timing
    # (where, the rule as the message names it, the timing of that rule alone). The interval's name (None
    # here) is worded only when a change hits it: this runs for every schedule, and nearly all are hit by none.
    rules: list[tuple[Path_, str | None, Any]] = []
    for i, text in enumerate(timing.cron):
        path: Path_ = ("when", "cron", i) if len(timing.cron) > 1 else ("when", "cron")
        rules.append((path, f"when.cron '{text}'", replace(timing, calendars=(), cron=(text,))))
    for i, calendar in enumerate(timing.calendars):
        rules.append(
            (
                ("when", "calendars", i),
                f"when.calendars[{i}]",
                replace(timing, cron=(), calendars=(calendar,)),
            )
        )
    if timing.every is not None:
        rules.append((("when", "every"), None, timing))
    found = []
    for path, rule, part in rules:
        hits = dst_hits(
            part,
            now,
            wall_clock_intervals=caps.provider in WALL_CLOCK_INTERVAL_PROVIDERS,
            server_walk=caps.provider in SERVER_WALK_FAMILIES,
        )
        if hits:
            where = ("defaults",) if f"when.{path[1]}" in from_defaults else origin
            message = dst_message(schedule.name, part, hits, caps.provider, rule or _every_rule(timing))
            found.append(document.diagnostic(where + path, message))
    return found


def _every_rule(timing: Timing) -> str:
    assert timing.every is not None
    offset = f" (offset {format_duration(timing.offset)})" if timing.offset else ""
    return f"when.every {format_duration(timing.every)}{offset}"


def _respect_for(text: str | None, pauses: str, report: Callable[[Path_, str], None]) -> int | None:
    """`respectFor` in seconds; a duration that does not parse, or one without `pauses: respect`, is refused."""
    if text is None:
        return None
    if pauses != "respect":
        report(("respectFor",), "respectFor: only means something with `pauses: respect`; remove one of them")
        return None
    try:
        return parse_duration(text)
    except TimingError as exc:
        report(("respectFor",), f"respectFor: {exc}")
        return None


def _cross_bundle_problems(bundles: list[Bundle]) -> list[Diagnostic]:
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
