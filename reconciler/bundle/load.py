"""Load bundle files into plain data, remembering where every key and value came from.

First step of the pipeline: YAML text -> `Document`s (data + positions). Safe loading only; duplicate keys,
unbounded alias expansion and YAML 1.1's silent conversions (`on`, `1:30`, `0755`) are errors here, so no
later stage ever sees a value the author did not mean.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import BundleError, Diagnostic

try:  # the C parser is several times faster; the pure one behaves the same
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 5 * 1024 * 1024
# Aliases share one node, so loading is cheap; the blow-up comes when the tree is walked. We walk it once,
# counting every node visited, and stop long before memory or time becomes a problem.
MAX_NODES_PER_DOCUMENT = 200_000

Path_ = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = {_STR, "!"} | {f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null", "timestamp")}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_YAML11_BOOLS = {"y", "yes", "n", "no", "on", "off"}
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_LEADING_ZERO_INT = re.compile(r"^[-+]?0[0-9_]+$")
_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    col: int  # 1-based


@dataclass
class Document:
    """One YAML document of one file: its data and the position of every value and key in it."""

    file: str
    index: int
    data: Any
    values: dict[Path_, Mark] = field(default_factory=dict)
    keys: dict[Path_, Mark] = field(default_factory=dict)

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
        return Diagnostic(self.file, where.line, where.col, message)


def find_bundle_files(paths: Iterable[str]) -> list[tuple[Path, bool]]:
    """Expand directories into their `*.yaml`/`*.yml` files (sorted); files are taken as given.
    Each file comes with whether it was named explicitly (True) or found in a directory (False)."""
    found: list[tuple[Path, bool]] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                (p, False) for p in sorted(path.rglob("*")) if p.suffix in (".yaml", ".yml") and p.is_file()
            )
        elif path.is_file():
            found.append((path, True))
        else:
            problems.append(Diagnostic(raw, 0, 0, "no such file or directory"))
    if problems:
        raise BundleError(problems)
    return found


def load_file(path: Path) -> list[Document]:
    name = _display_name(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BundleError(
                [Diagnostic(name, 1, 1, f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")]
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError([Diagnostic(name, 1, 1, f"file is not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise BundleError([Diagnostic(name, 0, 0, f"cannot read file: {exc.strerror}")]) from None
    return load_text(text, name)


def load_text(text: str, file: str) -> list[Document]:
    documents: list[Document] = []
    try:
        for index, node in enumerate(yaml.compose_all(text, Loader=_Loader)):
            if node is None:
                continue
            builder = _Builder(file, index)
            data = builder.build(node, ())
            if data is None:  # an empty document, e.g. after a trailing `---`
                continue
            documents.append(Document(file, index, data, builder.values, builder.keys))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise BundleError([Diagnostic(file, line, col, f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise BundleError([Diagnostic(file, 1, 1, f"invalid YAML: {exc}")]) from None
    return documents


def load_paths(paths: Iterable[str]) -> list[Document]:
    """Every document of every bundle file; all files are read and all their errors reported together."""
    documents: list[Document] = []
    problems: list[Diagnostic] = []
    for path, _ in find_bundle_files(paths):
        try:
            documents.extend(load_file(path))
        except BundleError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise BundleError(problems)
    return documents


_BUNDLE_API_VERSION = re.compile(r"""^\s*(-\s+)?["']?apiVersion["']?\s*:\s*["']?reconciler/""", re.M)


def claims_to_be_bundle(path: Path) -> bool:
    """Does the file say `apiVersion: reconciler/...` anywhere? Other YAML (CI workflows, say) may share a
    folder with bundles; a file named explicitly is always read, whatever it says."""
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


class _Builder:
    """Turns a composed node graph into plain data, with YAML 1.2-style scalars and recorded positions."""

    def __init__(self, file: str, index: int) -> None:
        self.file = file
        self.index = index
        self.values: dict[Path_, Mark] = {}
        self.keys: dict[Path_, Mark] = {}
        self.visited = 0

    def fail(self, node: yaml.Node, message: str) -> BundleError:
        return BundleError(
            [Diagnostic(self.file, node.start_mark.line + 1, node.start_mark.column + 1, message)]
        )

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES_PER_DOCUMENT:
            raise self.fail(
                node,
                f"document expands to more than {MAX_NODES_PER_DOCUMENT} nodes "
                "(anchors and aliases repeated too often?)",
            )
        self.values.setdefault(path, Mark(node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _COLLECTION_TAGS:
            raise self.fail(node, f"YAML tags such as '{node.tag}' are not allowed")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(
                    key_node, "merge keys (<<) are not supported; put shared settings in `defaults:`"
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain strings")
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key_node.value)
            if "{{" in key or "{%" in key:
                raise self.fail(key_node, f"templates are allowed in values only, not in keys ('{key}')")
            line = key_node.start_mark.line + 1
            if key in first_seen:
                raise self.fail(key_node, f"duplicate key '{key}' (first defined at line {first_seen[key]})")
            first_seen[key] = line
            self.keys[(*path, key)] = Mark(line, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        text: str = node.value
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(node, f"YAML tags such as '{node.tag}' are not allowed")
        if node.style not in (None, "") or node.tag == _STR:  # quoted, block, or plainly text
            return text
        lowered = text.lower()
        if text in ("", "~") or lowered == "null":
            return None
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered in _YAML11_BOOLS:
            raise self.fail(
                node,
                f"unquoted '{text}' is ambiguous (YAML 1.1 reads it as a boolean); "
                f"write '\"{text}\"' for text or true/false for a boolean",
            )
        if _SEXAGESIMAL.match(text):
            raise self.fail(
                node,
                f"unquoted '{text}' is ambiguous (YAML 1.1 reads it as a base-60 number); quote it: \"{text}\"",
            )
        if _LEADING_ZERO_INT.match(text):
            raise self.fail(
                node,
                f"unquoted '{text}' is ambiguous (YAML 1.1 reads it as an octal number); quote it: \"{text}\"",
            )
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
        return text


def iter_paths(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every (path, value) in a plain data tree, depth first."""
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from iter_paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from iter_paths(value, (*path, i))
