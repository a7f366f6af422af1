"""The YAML event reader: turns a parser's event stream into `Document`s, without recursion, counting every
node against the limits and recording positions as it goes (docs/bundle-format.md, "Size limits")."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from reconciler.bundle.document import Document, Mark, Path_, iter_paths
from reconciler.bundle.limits import MAX_DEPTH, MAX_NODES_PER_DOCUMENT, MAX_RUN_NODES
from reconciler.bundle.yaml_scalars import MERGE_TAG, resolve_scalar
from reconciler.errors import BundleError, Diagnostic

if TYPE_CHECKING:  # `load` imports this module: the budget is only a type here
    from reconciler.bundle.load import Budget

_COLLECTION_TAGS = {None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


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


class DocumentBuilder:
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
        elif event.tag == MERGE_TAG:
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
            value = resolve_scalar(event, self.fail)
            self._plain[text] = value
            return value
        return resolve_scalar(event, self.fail)
