"""Load, check and render bundles: paths in, `Bundle`s or every located problem out. No network.

This is the whole front half of the pipeline (load -> structure -> render -> semantics -> cross-bundle
checks); `validate`, `plan` and `apply` all start here, so they agree on what a bundle means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.load import Budget, Document, claims_to_be_bundle, find_bundle_files, load_file
from reconciler.bundle.render import (
    NOT_RENDERED,
    Renderer,
    field_name,
    is_template,
    literal_templates,
    render_schedules,
)
from reconciler.bundle.semantics import check_schedule, check_target
from reconciler.bundle.sensitive import redact_text
from reconciler.bundle.structure import check_structure
from reconciler.errors import BundleError, Diagnostic
from reconciler.providers.capabilities import capabilities_for

Path_ = tuple[str | int, ...]


@dataclass
class Loaded:
    bundles: list[Bundle] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    secret_values: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)  # YAML files in the given folders that are not bundles

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
) -> Loaded:
    """Every bundle under `paths`, with all problems collected (never just the first).

    `read_secrets=False` is for the offline commands: `secret()` renders a placeholder instead of reading the
    environment, so `validate` (a pre-commit hook, a fork's pull request) needs no secret at all.
    """
    result = Loaded()
    renderer = Renderer(environ, read_secrets=read_secrets)
    try:
        files = find_bundle_files(paths)
    except BundleError as exc:
        result.diagnostics.extend(exc.diagnostics)
        return result
    documents: list[Document] = []
    budget = Budget()  # bytes and nodes for all files of this run together
    for path, explicit in files:  # a file that is not even YAML must not hide the problems of the others
        if not explicit and not claims_to_be_bundle(path):
            # Found by walking a folder and not a bundle at all (a CI workflow, say): skip it, and say so.
            result.skipped.append(str(path))
            continue
        try:
            documents.extend(load_file(path, budget))
        except BundleError as exc:
            result.diagnostics.extend(exc.diagnostics)
    for document in documents:
        bundle = _bundle_from(document, dict(var_overrides or {}), renderer, result.diagnostics)
        if bundle is not None:
            result.bundles.append(bundle)
    result.diagnostics.extend(_cross_bundle_problems(result.bundles))
    result.secret_values = set(renderer.secret_values)
    # A message may quote a rendered value; secrets must not escape through it.
    # (a set: for_each repeats one problem once per item)
    result.diagnostics = sorted(
        {
            Diagnostic(d.file, d.line, d.col, redact_text(d.message, result.secret_values), d.field)
            for d in result.diagnostics
        }
    )
    return result


def _bundle_from(
    document: Document, overrides: dict[str, str], renderer: Renderer, problems: list[Diagnostic]
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

    rendered = render_schedules(
        list(data.get("schedules") or []), data.get("defaults") or {}, variables, renderer, report
    )
    schedules: list[DesiredSchedule] = []
    first_line: dict[str, int] = {}
    for entry in rendered:
        base: Path_ = ("schedules", entry.source_index)

        def report_field(
            path: Path_, message: str, base: Path_ = base, taken: set[str] = entry.from_defaults
        ) -> None:
            dotted = ".".join(str(p) for p in path[:2])
            origin: Path_ = ("defaults",) if (path and (str(path[0]) in taken or dotted in taken)) else base
            report(origin + path, message)

        line = document.mark(base).line
        schedule = check_schedule(entry.data, caps, spec.bundleKey, report_field, document.file, line)
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
    if len(problems) > count_before:
        return None
    return Bundle(
        key=spec.bundleKey,
        provider=spec.target.provider,
        target={k: v for k, v in spec.target.model_dump().items() if k != "provider" and v is not None},
        prune=spec.prune,
        schedules=tuple(schedules),
        file=document.file,
        line=document.mark(("bundleKey",)).line,
    )


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
    return problems
