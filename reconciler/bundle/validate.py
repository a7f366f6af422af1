"""Load, check and render bundles: paths in, `Bundle`s or every located problem out. No network.

This is the whole front half of the pipeline (load -> structure -> render -> semantics -> cross-bundle
checks); `validate`, `plan` and `apply` all start here, so they agree on what a bundle means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reconciler.bundle.assemble import bundle_from
from reconciler.bundle.cross_bundle import cross_bundle_problems
from reconciler.bundle.desired import Bundle
from reconciler.bundle.document import Document
from reconciler.bundle.files import claims_to_be_bundle, find_bundle_files
from reconciler.bundle.load import Budget, load_file
from reconciler.bundle.parsed_cache import ParsedFiles
from reconciler.bundle.render import NOT_RENDERED, Renderer, is_template
from reconciler.bundle.sensitive import redact_text
from reconciler.errors import BundleError, Diagnostic
from reconciler.forecast.costs import CostBook, is_costs_document, parse_costs


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
    on_rendered: Callable[[Bundle, frozenset[str], frozenset[str]], None] | None = None,
    parsed: ParsedFiles | None = None,
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

    `on_rendered(bundle so far, agents, secrets so far)`: called as each bundle's target is checked and its
    schedules rendered, while no problem is known yet, before its schedules are checked (`assemble.bundle_from`);
    `plan` sends the GETs of its live read then.

    `parsed`: where what large files parsed to is kept between runs (`parsed_cache`; the commands pass
    `parse_cache_from(os.environ)`): only the YAML parse is skipped, every check runs.
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
            yield from _documents_of(raw, budget, result, allow_empty=allow_empty, parsed=parsed)
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
            ahead = None
            if on_rendered is not None and not result.diagnostics:

                def ahead(known: Bundle, agents: frozenset[str]) -> None:
                    assert on_rendered is not None
                    on_rendered(known, agents, frozenset(renderer.secret_values))

            bundle = _bundle_placed(document, overrides, renderer, result, warn_from, ahead)
            if bundle is not None:
                result.bundles.append(bundle)
                if on_valid is not None and not result.diagnostics:
                    on_valid(bundle, frozenset(renderer.secret_values))
    result.costs = _costs_of(costs, result.diagnostics)
    if result.diagnostics and not bundle_documents:
        return result
    result.diagnostics.extend(cross_bundle_problems(result.bundles))
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


def _documents_of(
    raw: str, budget: Budget, result: Loaded, *, allow_empty: bool, parsed: ParsedFiles | None
) -> Iterator[list[Document]]:
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
            found = load_file(path, budget, positions=False, cache=parsed)
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
    on_rendered: Callable[[Bundle, frozenset[str]], None] | None = None,
) -> Bundle | None:
    """`bundle_from`, with every problem and warning at its exact file:line:col.

    A document read without positions is checked as it is; only when it has something to say is its file
    read again with them and the document checked again (with the run's template budget as it was before
    the first check, so the second sees what the first saw). Should the file have changed in between, the
    first check's messages stand, placed at their schedule."""
    budget_before = renderer.budget_spent()
    problems: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    bundle = bundle_from(document, overrides, renderer, problems, warnings, warn_from, on_rendered)
    if (problems or warnings) and not document.positions:
        placed = _with_positions(document)
        if placed is not None:
            document.data = placed.data  # equal: the first read's copy goes before the second check
            renderer.restore_budget(budget_before)
            problems, warnings, bundle = [], [], None
            bundle = bundle_from(placed, overrides, renderer, problems, warnings, warn_from)
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
