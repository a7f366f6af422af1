"""A loaded YAML document: its plain data and where every value and key of it is written (file:line:col).

Every later stage places its messages through `Document.diagnostic`, so a problem names the field's line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from reconciler.errors import Diagnostic

Path_ = tuple[str | int, ...]


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


def iter_paths(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) in a plain data tree, depth first."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from iter_paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from iter_paths(value, (*path, i))


# A document as plain builtins (tuples, dicts, lists, scalars), for `parsed_cache` to keep between runs.
PlainDocument = tuple[
    int,
    Any,
    tuple[Path_, ...],
    tuple[tuple[int, int], ...],
    tuple[Path_, ...],
    tuple[tuple[int, int], ...],
    bool,
]


def document_to_plain(document: Document) -> PlainDocument:
    return (
        document.index,
        document.data,
        tuple(document.values),
        tuple((mark.line, mark.col) for mark in document.values.values()),
        tuple(document.keys),
        tuple((mark.line, mark.col) for mark in document.keys.values()),
        document.positions,
    )


def document_from_plain(file: str, plain: PlainDocument) -> Document:
    index, data, value_paths, value_marks, key_paths, key_marks, positions = plain
    make = Mark._make
    return Document(
        file,
        index,
        data,
        dict(zip(value_paths, map(make, value_marks), strict=True)),
        dict(zip(key_paths, map(make, key_marks), strict=True)),
        positions,
    )
