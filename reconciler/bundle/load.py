"""Load bundle files into plain data, remembering where every key and value came from.

First step of the pipeline: YAML text -> `Document`s (data + positions). Safe loading only; duplicate keys,
unbounded alias expansion and YAML 1.1's silent conversions (`on`, `1:30`, `0755`) are errors here, so no
later stage ever sees a value the author did not mean. Hostile input is bounded before it costs anything:
file size, bytes and nodes per run, nesting depth (`reconciler/bundle/limits.py`). The limits are read
here, from this module's names, so a test may lower them with `monkeypatch.setattr(load, ...)`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from reconciler.bundle import limits
from reconciler.bundle.document import Document, document_from_plain, document_to_plain
from reconciler.bundle.files import display_name, find_bundle_files
from reconciler.bundle.limits import MAX_DEPTH as MAX_DEPTH  # re-exported: callers read `load.MAX_...`
from reconciler.bundle.limits import MAX_FILE_BYTES, MAX_RUN_BYTES, MAX_RUN_NODES
from reconciler.bundle.limits import MAX_NODES_PER_DOCUMENT as MAX_NODES_PER_DOCUMENT
from reconciler.bundle.yaml_reader import DocumentBuilder
from reconciler.errors import BundleError, Diagnostic

if TYPE_CHECKING:  # `parsed_cache` imports this module (for its fingerprint): a type here only
    from reconciler.bundle.parsed_cache import ParsedFiles

# The parsers that produce the event stream `DocumentBuilder` turns into documents. libyaml's (C) is several
# times faster; the pure-Python one is the fallback where PyYAML was built without libyaml. Both give every
# event its line and column, and tests/bundle/test_load_parsers.py checks they give the same documents and errors.
PURE_PARSER: type[Any] = yaml.SafeLoader
try:
    FAST_PARSER: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    FAST_PARSER = PURE_PARSER


@dataclass
class Budget:
    """What one run may still read, across all its files."""

    bytes: int = field(default_factory=lambda: MAX_RUN_BYTES)
    nodes: int = field(default_factory=lambda: MAX_RUN_NODES)


def load_file(
    path: Path, budget: Budget | None = None, *, positions: bool = True, cache: ParsedFiles | None = None
) -> list[Document]:
    """The documents of one file. `positions=False` skips the positions of the nodes inside schedules (most
    of a bundle): every check made while reading (duplicate keys, YAML 1.1 surprises, the limits) is the
    same, only a message about a schedule's field would be placed at the schedule instead of the field.

    `cache`: what these very bytes parsed to in an earlier run, if kept there (`parsed_cache`), instead of
    parsing them again; a file that parses is kept there for the next run."""
    name = display_name(path)
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
    if cache is not None and not cache.wants(raw):
        cache = None
    slot = _slot(name, positions)
    if cache is not None:
        kept = _recalled(cache, slot, raw, name, budget)
        if kept is not None:
            return kept
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError([Diagnostic(name, 1, 1, f"file is not UTF-8 text ({exc.reason})")]) from None
    nodes_before = budget.nodes
    documents = load_text(text, name, budget, positions=positions)
    if cache is not None:
        cache.keep(slot, raw, (nodes_before - budget.nodes, [document_to_plain(d) for d in documents]))
    return documents


def _slot(name: str, positions: bool) -> str:
    """What, besides the bytes, decides what a file parses to: its name (messages quote it), whether
    positions are kept, and the limits the reader applies (tests lower them)."""
    return f"{name}\0{positions}\0{limits.MAX_DEPTH}\0{limits.MAX_NODES_PER_DOCUMENT}"


def _recalled(cache: ParsedFiles, slot: str, raw: bytes, name: str, budget: Budget) -> list[Document] | None:
    """The documents kept for `raw`, their nodes taken from the run's budget; None when nothing usable is
    kept, or when the run's budget cannot afford them (parsing again says where it runs out)."""
    kept = cache.recall(slot, raw)
    try:
        nodes, plain = kept  # type: ignore[misc]
        if not isinstance(nodes, int) or nodes > budget.nodes:
            return None
        documents = [document_from_plain(name, p) for p in plain]
    except (TypeError, ValueError):  # nothing kept, or an entry of another shape
        return None
    budget.nodes -= nodes
    return documents


def load_text(
    text: str,
    file: str,
    budget: Budget | None = None,
    *,
    parser: type[Any] = FAST_PARSER,
    positions: bool = True,
) -> list[Document]:
    builder = DocumentBuilder(file, budget or Budget(), positions=positions)
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
