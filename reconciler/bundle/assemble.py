"""One bundle document to one `Bundle`: its structure, target, rendered schedules (each checked by
`semantics`), limits and DST warnings, every problem placed at its field. `validate.load_bundles` calls it for
each document it reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from reconciler.bundle.desired import Bundle, DesiredSchedule
from reconciler.bundle.document import Document
from reconciler.bundle.dst_warnings import dst_warnings
from reconciler.bundle.money import parse_limits
from reconciler.bundle.refactoring import rename_problems
from reconciler.bundle.render import NOT_RENDERED, Renderer, field_name, literal_templates, render_schedules
from reconciler.bundle.semantics import WhenMemo, check_schedule, check_target
from reconciler.bundle.structure import check_structure
from reconciler.errors import Diagnostic
from reconciler.providers.capabilities import capabilities_for
from reconciler.timing.durations import parse_duration
from reconciler.timing.spec import TimingError

Path_ = tuple[str | int, ...]

# Sending a bundle's reads before its schedules are checked gains at most the time those checks take, and
# spends the reads when a schedule turns out invalid. Below about 1,000 schedules the checks take less than
# one request's round trip (about 20 ms per 1,000 here), so smaller bundles wait: an invalid one sends no
# request at all.
READ_AHEAD_FROM = 1000


def bundle_from(
    document: Document,
    overrides: dict[str, str],
    renderer: Renderer,
    problems: list[Diagnostic],
    warnings: list[Diagnostic],
    warn_from: datetime | None,
    on_rendered: Callable[[Bundle, frozenset[str]], None] | None = None,
) -> Bundle | None:
    """`on_rendered(bundle, agents)`: called once the target is checked and the schedules rendered, before
    each schedule is checked, with the bundle as far as it is known (its key, platform and target; no
    schedules) and the agents its schedules name, unless a problem is known already or the bundle has fewer
    than `READ_AHEAD_FROM` schedules. What a plan reads depends only on those (`Provider.read_ahead`), so its
    reads can start while the schedules are checked."""
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
    target = {k: v for k, v in spec.target.model_dump().items() if k != "provider" and v is not None}
    if on_rendered is not None and len(problems) == count_before and len(rendered) >= READ_AHEAD_FROM:
        agents = {entry.data.get("agent") for entry in rendered}
        if all(type(agent) is str and agent for agent in agents):  # else a schedule is refused below
            known = Bundle(spec.bundleKey, spec.target.provider, target, spec.prune, file=document.file)
            on_rendered(known, frozenset(agents))  # type: ignore[arg-type]
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
            dst.extend(dst_warnings(document, origin, entry.from_defaults, schedule, caps, warn_from))
    problems.extend(rename_problems(spec.bundleKey, schedules))
    limits = parse_limits(document, data.get("limits"), ("limits",), report)
    if len(problems) > count_before:
        return None
    warnings.extend(dst)
    return Bundle(
        key=spec.bundleKey,
        provider=spec.target.provider,
        target=target,
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
