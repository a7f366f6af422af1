"""Load bundle files into plain data, remembering where every key and value came from.

First step of the pipeline: YAML text -> `Document`s (data + positions). Safe loading only; duplicate keys,
unbounded alias expansion and YAML 1.1's silent conversions (`on`, `1:30`, `0755`) are errors here, so no
later stage ever sees a value the author did not mean. Hostile input is bounded before it costs anything:
file size, bytes and nodes per run, nesting depth (see the limits below).
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from reconciler.errors import BundleError, Diagnostic

# The parsers that produce the event stream `_Builder` turns into documents. libyaml's (C) is several times
# faster; the pure-Python one is the fallback where PyYAML was built without libyaml. Both give every event
# its line and column, and tests/bundle/test_load_parsers.py checks they give the same documents and errors.
PURE_PARSER: type[Any] = yaml.SafeLoader
try:
    FAST_PARSER: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    FAST_PARSER = PURE_PARSER

# The limits admit 100,000 schedules in one run and refuse hostile input before it costs more than such a run
# (docs/bundle-format.md, "Size limits", has the measurements). A schedule as generated (name, agent, when,
# input.message) is 7 nodes and ~105 bytes; a rich one (cron and timezone, data, labels, options) 16 nodes and
# ~310 bytes. Reading costs ~230 bytes of memory per node (a flat list), ~155 (schedules, read without the
# positions inside them, as `load_bundles` first reads) to ~570 (schedules, with every position); validating
# one document at once ~0.4 kB per node at its peak, ~0.9-1 kB when it is read again for its messages.
# One file: 16 MiB holds 100,000 generated schedules or 50,000 rich ones.
MAX_FILE_BYTES = 16 * 1024 * 1024
# Aliases share one node, so parsing is cheap; the blow-up comes when they are expanded. Every expanded node
# is counted (before it is copied), and loading stops long before memory or time becomes a problem.
# 500,000 nodes: a bundle of 70,000 generated or 30,000 rich schedules; validating it peaks near 0.5 GB, the
# most one document may cost. Larger fleets are split into several bundles (one per team or agent group).
MAX_NODES_PER_DOCUMENT = 500_000
# One run (one command) reads many files when given a folder; these bound the memory of all of them together.
# 2,000,000 nodes: 100,000 schedules of up to 20 nodes each; held as a hostile flat list they cost ~450 MB,
# no more than the 100,000-schedule run they are sized for. 128 MiB: 100,000 schedules of up to 1.3 kB each
# (comments included); text is read one file at a time and dropped once parsed.
MAX_RUN_BYTES = 128 * 1024 * 1024
MAX_RUN_NODES = 2_000_000
# Deeper nesting is never a schedule. The bound matters: PyYAML's C composer recurses (a deep enough document
# crashes the interpreter) and libyaml's scanner slows quadratically with flow nesting, so documents are built
# here from the parser's event stream, without recursion, and refused as soon as they nest too deep.
MAX_DEPTH = 64
# Digits of a plain integer: far beyond any value a field takes (`validate` says which), and far below where
# Python refuses to convert a digit string (4,300) or a message quoting it would drown a CI log.
MAX_NUMBER_DIGITS = 40

Path_ = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_NULL, _BOOL, _INT_TAG, _FLOAT_TAG = (f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float"))
# Plain scalars YAML 1.1 would read as text stay text; the others get the checks in `_scalar`.
_TEXT_TAGS = {_STR, _MERGE, "tag:yaml.org,2002:value", "tag:yaml.org,2002:timestamp"}
_RESOLVER = yaml.resolver.Resolver()
_RESOLVED_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null", "timestamp")}
_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_YAML11_BOOLS = {"y", "yes", "n", "no", "on", "off"}
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_LEADING_ZERO_INT = re.compile(r"^[-+]?0[0-9_]+$")
_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


def field_path(path: Path_) -> str:
    """A document path as people write it: `("schedules", 0, "when", "cron")` is `schedules[0].when.cron`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class Mark(NamedTuple):  # a tuple: there is one per node, so it should cost little
    line: int  # 1-based
    col: int  # 1-based


@dataclass
class Document:
    """One YAML document of one file: its data and the position of every value and key in it.

    Loaded with `positions=False`, the nodes inside each schedule (`schedules[i]...`) have no position of
    their own: `mark` finds the schedule's, and `positions` is False so a caller about to report a problem
    loads the file again with them (`load_bundles` does)."""

    file: str
    index: int
    data: Any
    values: dict[Path_, Mark] = field(default_factory=dict)
    keys: dict[Path_, Mark] = field(default_factory=dict)
    positions: bool = True  # every node's position is recorded

    def mark(self, path: Path_) -> Mark:
        """Where `path` is written, or the nearest enclosing node that is."""
        for cut in range(len(path), -1, -1):
            found = self.values.get(path[:cut])
            if found is not None:
                return found
        return Mark(1, 1)

    def key_mark(self, path: Path_) -> Mark:
        return self.keys.get(path) or self.mark(path)

    def diagnostic(self, path: Path_, message: str, *, at_key: bool = False) -> Diagnostic:
        where = self.key_mark(path) if at_key else self.mark(path)
        return Diagnostic(self.file, where.line, where.col, message, field_path(path))


@dataclass
class Budget:
    """What one run may still read, across all its files."""

    bytes: int = field(default_factory=lambda: MAX_RUN_BYTES)
    nodes: int = field(default_factory=lambda: MAX_RUN_NODES)


def find_bundle_files(paths: Iterable[str]) -> list[tuple[Path, bool]]:
    """Expand directories into their `*.yaml`/`*.yml` files (sorted); files are taken as given.
    Each file comes with whether it was named explicitly (True) or found in a directory (False).

    A symbolic link must not lead out of the folder it is found in (the folder walked, or the folder holding
    a link named on the command line): a bundle cannot pull in `/etc/...` or a CI runner's credentials file
    and have parts of it echoed in error messages. Links to folders are not followed by a walk."""
    found: list[tuple[Path, bool]] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        shown = raw if len(raw) <= 200 else raw[:200] + "..."
        try:
            if path.is_symlink() and not _inside(path.resolve(), path.absolute().parent.resolve()):
                problems.append(Diagnostic(shown, 0, 0, _outside(path, path.absolute().parent)))
            elif path.is_dir():
                root = path.resolve()
                for child in sorted(path.rglob("*")):
                    if child.suffix not in (".yaml", ".yml") or not child.is_file():
                        continue
                    if child.is_symlink() and not _inside(child.resolve(), root):
                        problems.append(Diagnostic(_display_name(child), 0, 0, _outside(child, path)))
                        continue
                    found.append((child, False))
            elif path.is_file():
                found.append((path, True))
            elif path.exists():
                problems.append(Diagnostic(shown, 0, 0, "not a regular file or a directory"))
            else:
                problems.append(Diagnostic(shown, 0, 0, "no such file or directory"))
        except (OSError, RuntimeError) as exc:  # a name too long, a link loop, a folder we may not read
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            problems.append(Diagnostic(shown, 0, 0, f"cannot read: {reason}"))
    if problems:
        raise BundleError(problems)
    return found


def _inside(target: Path, root: Path) -> bool:
    return target == root or root in target.parents


def _outside(link: Path, folder: Path) -> str:
    return (
        f"symbolic link to {os.readlink(link)} leads outside {_display_name(folder) or '.'}: refused "
        "(bundle files must live in the folder being read)"
    )


def load_file(path: Path, budget: Budget | None = None, *, positions: bool = True) -> list[Document]:
    """The documents of one file. `positions=False` skips the positions of the nodes inside schedules (most
    of a bundle): every check made while reading (duplicate keys, YAML 1.1 surprises, the limits) is the
    same, only a message about a schedule's field would be placed at the schedule instead of the field."""
    name = _display_name(path)
    budget = budget or Budget()
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # never more, whatever stat() says (a growing file, /proc)
            size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise BundleError([Diagnostic(name, 0, 0, f"cannot read file: {exc.strerror}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        shown = f"{size} bytes" if size > MAX_FILE_BYTES else f"more than {MAX_FILE_BYTES} bytes"
        raise BundleError([Diagnostic(name, 1, 1, f"file is {shown}; the limit is {MAX_FILE_BYTES}")])
    budget.bytes -= len(raw)
    if budget.bytes < 0:
        raise BundleError(
            [
                Diagnostic(
                    name, 1, 1, f"the files of this run hold more than {MAX_RUN_BYTES} bytes; split them"
                )
            ]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError([Diagnostic(name, 1, 1, f"file is not UTF-8 text ({exc.reason})")]) from None
    return load_text(text, name, budget, positions=positions)


def load_text(
    text: str,
    file: str,
    budget: Budget | None = None,
    *,
    parser: type[Any] = FAST_PARSER,
    positions: bool = True,
) -> list[Document]:
    builder = _Builder(file, budget or Budget(), positions=positions)
    try:
        builder.run(parser(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise BundleError([Diagnostic(file, line, col, f"invalid YAML: {problem}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; it carries only an offset
        line, col = _line_col(text, exc.position)
        problem = (
            f"character {ord(exc.character):#06x} is not allowed in YAML"
            if isinstance(exc.character, str)
            else str(exc.reason)
        )
        raise BundleError([Diagnostic(file, line, col, f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise BundleError([Diagnostic(file, 1, 1, f"invalid YAML: {exc}")]) from None
    return builder.documents


def _line_col(text: str, position: int) -> tuple[int, int]:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def load_paths(paths: Iterable[str]) -> list[Document]:
    """Every document of every bundle file; all files are read and all their errors reported together."""
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    budget = Budget()
    for path, _ in find_bundle_files(paths):
        try:
            documents.extend(load_file(path, budget))
        except BundleError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise BundleError(problems)
    return documents


# A bundle's marks: its apiVersion, or (with the header mistyped) its kind or its bundleKey. A file with any of
# them is read, so a typo in `apiVersion` is an error at its line, never a bundle silently skipped.
# A key counts at the start of a line (block style, a list item) or after `{` or `,` (flow style and JSON,
# which is YAML too: `{"apiVersion": "reconciler/v1", ...}` on one line).
_BUNDLE_API_VERSION = re.compile(
    r"""(^|[{,])\s*(-\s+)?["']?(apiVersion["']?\s*:\s*["']?reconciler/|kind["']?\s*:\s*["']?Bundle\b|bundleKey["']?\s*:)""",
    re.M,
)


def claims_to_be_bundle(path: Path) -> bool:
    """Does the file look like a bundle anywhere (`apiVersion: reconciler/...`, `kind: Bundle` or a
    `bundleKey:`)? Other YAML (CI workflows, say) may share a folder with bundles; a file named explicitly is
    always read, whatever it says."""
    try:
        with path.open("rb") as handle:
            head = handle.read(MAX_FILE_BYTES + 1).decode("utf-8", errors="replace")
    except OSError:
        return True  # let the loader report it
    return bool(_BUNDLE_API_VERSION.search(head))


def _display_name(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


@dataclass(slots=True)
class _Open:
    """A mapping or sequence being built: where it is, and (mappings) the key waiting for its value."""

    path: Path_
    value: dict[str, Any] | list[Any]
    anchor: str | None
    visited_before: int
    is_map: bool
    key: str | None = None
    key_path: Path_ = ()  # (*path, key): built once for the key's position, used again for its value's
    key_lines: dict[str, int] = field(default_factory=dict)
    # Its children's positions are not recorded (`positions=False`, inside a schedule): their paths are not
    # even built, except for a collection (its own path bounds the depth) or an anchored node.
    quiet: bool = False


@dataclass(frozen=True)
class _Anchored:
    """A finished anchored node, kept so each alias to it is expanded as a copy with the same positions."""

    data: Any
    values: tuple[tuple[Path_, Mark], ...]
    keys: tuple[tuple[Path_, Mark], ...]
    nodes: int
    depth: int
    text: str | None  # a scalar's text as written (an alias used as a mapping key)


_UNSEEN = object()
_NOWHERE = Mark(1, 1)
# `Mark(line, col)` without the NamedTuple's Python-level `__new__`: half the cost, and the loader makes one
# per key and per value (130,000 for 10,000 schedules).
_tuple_new = tuple.__new__


class _Builder:
    """Turns the parser's events into plain data, with YAML 1.2-style scalars and recorded positions.

    Iterative on purpose (no recursion, whatever the nesting): one `_Open` per unfinished collection.
    This runs once per node of every bundle (70,000 nodes for 10,000 schedules), so the common events
    (scalars, collections) are handled with the fewest calls: the placing logic is written out in each."""

    def __init__(self, file: str, budget: Budget, *, positions: bool = True) -> None:
        self.file = file
        self.budget = budget
        self.positions = positions
        self.documents: list[Document] = []
        self.index = -1
        # Untagged plain scalars by their text: what `_scalar` made of them (never an error). Bundles repeat
        # the same keys and many values (`name`, `agent`, `every`, an agent's id), and resolving one costs
        # more than the rest of its node; the values are immutable, so one can be shared.
        self._plain: dict[str, Any] = {}
        self._handlers: dict[type[yaml.Event], Callable[[Any], None]] = {
            yaml.ScalarEvent: self._scalar_event,
            yaml.MappingStartEvent: self._open,
            yaml.SequenceStartEvent: self._open,
            yaml.MappingEndEvent: self._close,
            yaml.SequenceEndEvent: self._close,
            yaml.AliasEvent: self._alias,
            yaml.DocumentStartEvent: self._document_start,
            yaml.DocumentEndEvent: self._document_end,
        }
        self._reset()

    def _reset(self) -> None:
        self.values: dict[Path_, Mark] = {}
        self.keys: dict[Path_, Mark] = {}
        self.visited = 0
        self.aliased = False
        self.stack: list[_Open] = []
        self.root: Any = None
        self.anchors: dict[str, _Anchored] = {}

    def fail(self, event: yaml.Event, message: str) -> BundleError:
        where = self._mark(event)
        return BundleError([Diagnostic(self.file, where.line, where.col, message)])

    def run(self, parser: Any) -> None:
        """Build the documents of everything `parser` (a PyYAML loader over the text) reads.

        Events are pulled with `get_event` directly: `yaml.parse` asks `check_event` first for every one,
        and that generator doubled the cost of reading them."""
        handlers = self._handlers
        next_event = parser.get_event
        try:
            while True:
                event = next_event()
                handler = handlers.get(type(event))
                if handler is not None:
                    handler(event)
                elif event is None or type(event) is yaml.StreamEndEvent:
                    return
        finally:
            parser.dispose()
            # The handlers are this builder's bound methods: a reference cycle that only a full collection
            # frees, and the CLI raises the collector's thresholds so high that one rarely runs. Broken here,
            # the builder (its scalar cache, anchors, the last document's positions) goes when the caller
            # drops it: 30 MB of a 10,000-schedule plan's peak.
            self._handlers = {}

    def _document_start(self, event: yaml.DocumentStartEvent) -> None:
        self.index += 1
        self._reset()

    def _document_end(self, event: yaml.DocumentEndEvent) -> None:
        if self.root is not None:  # an empty document, e.g. after a trailing `---`, holds nothing
            self.documents.append(
                Document(self.file, self.index, self.root, self.values, self.keys, self.positions)
            )

    # -- placing nodes ------------------------------------------------------------------------------------

    def _expects_key(self) -> bool:
        top = self.stack[-1] if self.stack else None
        return top is not None and top.is_map and top.key is None

    def _path(self) -> Path_:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if not top.is_map:
            return (*top.path, len(top.value))
        assert top.key is not None
        return (*top.path, top.key)  # not `key_path`: a quiet mapping does not build it

    def _attach(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.value, list):
            top.value.append(value)
        else:
            assert top.key is not None
            top.value[top.key] = value
            top.key = None

    def _count(self, nodes: int, event: yaml.Event) -> None:
        self.visited += nodes
        if self.visited > MAX_NODES_PER_DOCUMENT:
            what = (
                "expands to more than {} nodes (anchors and aliases repeated too often?)"
                if self.aliased
                else "has more than {} nodes; split it into several documents or files"
            )
            raise self.fail(event, "document " + what.format(MAX_NODES_PER_DOCUMENT))
        self.budget.nodes -= nodes
        if self.budget.nodes < 0:
            raise self.fail(
                event, f"the bundles of this run hold more than {MAX_RUN_NODES} YAML nodes; split them"
            )

    def _mark(self, event: yaml.Event) -> Mark:
        mark = event.start_mark
        return Mark(mark.line + 1, mark.column + 1) if mark is not None else _NOWHERE

    # -- events -------------------------------------------------------------------------------------------

    def _open(self, event: yaml.MappingStartEvent | yaml.SequenceStartEvent) -> None:
        stack = self.stack
        top = stack[-1] if stack else None
        if top is not None and top.is_map and top.key is None:
            raise self.fail(event, "mapping keys must be plain strings")
        if event.tag not in _COLLECTION_TAGS:
            raise self.fail(event, f"YAML tags such as '{event.tag}' are not allowed")
        quiet = False
        if top is None:
            path: Path_ = ()
        else:
            quiet = top.quiet
            if top.is_map:
                path = (*top.path, top.key) if quiet else top.key_path  # type: ignore[arg-type]
            else:
                path = (*top.path, len(top.value))
            if len(path) >= MAX_DEPTH:
                raise self.fail(event, f"nested more than {MAX_DEPTH} levels deep")
        self.visited += 1  # `_count(1, event)`, written out as in `_scalar_event`
        self.budget.nodes -= 1
        if self.visited > MAX_NODES_PER_DOCUMENT or self.budget.nodes < 0:
            self.visited -= 1
            self.budget.nodes += 1
            self._count(1, event)  # raises, with the message
        if not quiet:
            mark = event.start_mark
            self.values.setdefault(
                path, _tuple_new(Mark, (mark.line + 1, mark.column + 1)) if mark is not None else _NOWHERE
            )
            # A schedule's own position is kept (each schedule's line, and where its problems fall back to);
            # the nodes inside it are not, unless asked.
            quiet = not self.positions and len(path) == 2 and path[0] == "schedules"
        is_map = type(event) is yaml.MappingStartEvent
        value: dict[str, Any] | list[Any] = {} if is_map else []
        if top is None:  # `_attach`, written out
            self.root = value
        elif top.is_map:
            top.value[top.key] = value  # type: ignore[index, call-overload]
            top.key = None
        else:
            top.value.append(value)  # type: ignore[union-attr]
        stack.append(_Open(path, value, event.anchor, self.visited - 1, is_map, quiet=quiet))

    def _close(self, event: yaml.MappingEndEvent | yaml.SequenceEndEvent) -> None:
        done = self.stack.pop()
        if done.anchor is not None:
            self._remember(done.anchor, done.path, done.value, self.visited - done.visited_before, None)

    def _scalar_event(self, event: yaml.ScalarEvent) -> None:
        stack = self.stack
        path: Path_ = ()
        if not stack:
            top = None
            quiet = False
        else:
            top = stack[-1]
            quiet = top.quiet
            if top.is_map:
                if top.key is None:
                    self._key(event, top)
                    return
                if not quiet:
                    path = top.key_path
            elif not quiet:
                path = (*top.path, len(top.value))
        self.visited += 1
        self.budget.nodes -= 1
        if self.visited > MAX_NODES_PER_DOCUMENT or self.budget.nodes < 0:
            self.visited -= 1
            self.budget.nodes += 1
            self._count(1, event)  # raises, with the message
        if not quiet and path not in self.values:
            mark = event.start_mark
            self.values[path] = (
                _tuple_new(Mark, (mark.line + 1, mark.column + 1)) if mark is not None else _NOWHERE
            )
        if event.tag is None and not event.style:  # untagged plain: most values, resolved once per text
            value = self._plain.get(event.value, _UNSEEN)
            if value is _UNSEEN:
                value = self._scalar(event)
        else:
            value = self._scalar(event)
        if event.anchor is not None:
            if quiet:
                path = self._path()
            self._remember(event.anchor, path, value, 1, event.value)
        if top is None:  # `_attach`, written out: this runs for every value of every bundle
            self.root = value
        elif top.is_map:
            top.value[top.key] = value  # type: ignore[index, call-overload]
            top.key = None
        else:
            top.value.append(value)  # type: ignore[union-attr]

    def _key(self, event: yaml.ScalarEvent, top: _Open) -> None:
        text: str = event.value
        if event.tag is None and not event.style:  # the usual key: untagged and plain
            if text == "<<":  # (a plain scalar's style is "" from libyaml, None from the pure parser)
                raise self.fail(
                    event, "merge keys (<<) are not supported; put shared settings in `defaults:`"
                )
            key = self._plain.get(text, _UNSEEN)
            if key is _UNSEEN:
                key = self._scalar(event)
        elif event.tag == _MERGE:
            raise self.fail(event, "merge keys (<<) are not supported; put shared settings in `defaults:`")
        else:
            key = self._scalar(event)
        self._use_key(top, key if isinstance(key, str) else text, event)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchored(key, (), (), 1, 0, event.value)

    def _use_key(self, top: _Open, key: str, event: yaml.Event) -> None:
        if "{{" in key or "{%" in key:
            raise self.fail(event, f"templates are allowed in values only, not in keys ('{key}')")
        start = event.start_mark
        line = start.line + 1 if start is not None else 1
        lines = top.key_lines
        first = lines.get(key)
        if first is not None:
            raise self.fail(event, f"duplicate key '{key}' (first defined at line {first})")
        lines[key] = line
        top.key = key
        if not top.quiet:
            path = top.key_path = (*top.path, key)
            self.keys[path] = _tuple_new(Mark, (line, start.column + 1)) if start is not None else _NOWHERE

    def _alias(self, event: yaml.AliasEvent) -> None:
        anchored = self.anchors.get(event.anchor or "")
        if anchored is None:
            raise self.fail(
                event, f"alias '*{event.anchor}' refers to no anchor defined before it (or to its own parent)"
            )
        if self._expects_key():
            if anchored.text is None:
                raise self.fail(event, "mapping keys must be plain strings")
            key = anchored.data if isinstance(anchored.data, str) else anchored.text
            self._use_key(self.stack[-1], key, event)
            return
        path = self._path()
        if len(path) + anchored.depth > MAX_DEPTH:
            raise self.fail(
                event, f"nested more than {MAX_DEPTH} levels deep (through alias '*{event.anchor}')"
            )
        self.aliased = True
        self._count(anchored.nodes, event)
        if not (self.stack and self.stack[-1].quiet):
            for relative, mark in anchored.values:
                self.values.setdefault(path + relative, mark)
            for relative, mark in anchored.keys:
                self.keys.setdefault(path + relative, mark)
        self._attach(copy.deepcopy(anchored.data))

    def _remember(self, anchor: str, path: Path_, value: Any, nodes: int, text: str | None) -> None:
        """Keep an anchored node for later aliases (a later anchor of the same name replaces it, as in YAML)."""
        cut = len(path)
        values = []
        keys = []
        depth = 0
        for inner, _ in iter_paths(value, path):
            depth = max(depth, len(inner) - cut)
            mark = self.values.get(inner)
            if mark is not None:
                values.append((inner[cut:], mark))
            key = self.keys.get(inner) if len(inner) > cut else None
            if key is not None:
                keys.append((inner[cut:], key))
        self.anchors[anchor] = _Anchored(value, tuple(values), tuple(keys), nodes, depth, text)

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        text: str = event.value
        tag = event.tag
        if tag is None:
            if event.style:  # quoted or block: text as written
                return text
            known = self._plain.get(text, _UNSEEN)
            if known is not _UNSEEN:
                return known
            value = self._resolve(event)
            self._plain[text] = value
            return value
        return self._resolve(event)

    def _resolve(self, event: yaml.ScalarEvent) -> Any:
        text: str = event.value
        tag = event.tag
        if tag not in (None, "!", _STR) and tag not in _RESOLVED_TAGS:
            raise self.fail(event, f"YAML tags such as '{tag}' are not allowed")
        if event.style not in (None, "") or tag in ("!", _STR):  # quoted, block, or plainly text
            return text
        # What YAML 1.1 would make of it (an explicit `!!int` etc. gets every check below).
        kind = tag or _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        if kind in _TEXT_TAGS:
            return text
        lowered = text.lower()
        if kind == _NULL or text in ("", "~") or lowered == "null":
            return None
        if lowered in ("true", "false"):
            return lowered == "true"
        if kind == _BOOL or lowered in _YAML11_BOOLS:
            raise self.fail(
                event,
                f"unquoted '{text}' is ambiguous (YAML 1.1 reads it as a boolean); "
                f"write '\"{text}\"' for text or true/false for a boolean",
            )
        if _INT.match(text):
            if len(text) > MAX_NUMBER_DIGITS:
                raise self.fail(
                    event,
                    f"a number of {len(text.lstrip('+-'))} digits is beyond any a bundle needs (at most "
                    f"{MAX_NUMBER_DIGITS}); quote it if it is text",
                )
            return int(text)
        if _FLOAT.match(text):
            value = float(text)
            if not math.isfinite(value):
                raise self.fail(event, f"unquoted '{text}' is too large for a number; quote it if it is text")
            return value
        if _SEXAGESIMAL.match(text):
            raise self.fail(
                event,
                f"unquoted '{text}' is ambiguous (YAML 1.1 reads it as a base-60 number); quote it: \"{text}\"",
            )
        if _LEADING_ZERO_INT.match(text):
            raise self.fail(
                event,
                f"unquoted '{text}' is ambiguous (YAML 1.1 reads it as an octal number); quote it: \"{text}\"",
            )
        return text  # 0x1F, 1_000, .inf: YAML 1.1 numbers that 1.2 reads as text, and so do we


def iter_paths(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) in a plain data tree, depth first."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from iter_paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from iter_paths(value, (*path, i))
