"""Check a loaded document's shape against the bundle model and word pydantic's errors for a person.

Each error is placed on the exact key or value it is about; unknown fields get a "did you mean".
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

import pydantic

from reconciler.bundle.load import Document
from reconciler.bundle.model import BundleSpec
from reconciler.errors import Diagnostic

Path_ = tuple[str | int, ...]

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "list_type": "a list",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def check_structure(document: Document) -> tuple[BundleSpec | None, list[Diagnostic]]:
    if not isinstance(document.data, dict):
        return None, [document.diagnostic((), "a bundle document must be a mapping (apiVersion, kind, ...)")]
    try:
        return BundleSpec.model_validate(document.data), []
    except pydantic.ValidationError as exc:
        return None, _diagnostics(document, exc)


def _diagnostics(document: Document, exc: pydantic.ValidationError) -> list[Diagnostic]:
    seen: dict[Path_, Diagnostic] = {}
    for error in exc.errors(include_url=False):
        path = _data_path(document.data, error["loc"])
        if path in seen:  # a union reports once per branch; one message per place is enough
            continue
        at_key = error["type"] in ("extra_forbidden",)
        seen[path] = document.diagnostic(path, _message(error, path), at_key=at_key)
    return list(seen.values())


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path_:
    """pydantic's location minus its union-branch tags: the path into the document's data."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and part not in node and path[-1:] != [part]:
            path.append(part)  # a missing field: point at its parent, name it in the message
            node = None
    return tuple(path)


def _message(error: Any, path: Path_) -> str:
    kind = error["type"]
    field = str(path[-1]) if path else "document"
    value = error.get("input")
    if kind == "extra_forbidden":
        allowed = _fields_at(path[:-1])
        hint = difflib.get_close_matches(field, allowed, n=1, cutoff=0.6)
        suggestion = f"; did you mean '{hint[0]}'?" if hint else f"; allowed: {', '.join(sorted(allowed))}"
        return f"unknown field '{field}'{suggestion}"
    if kind == "missing":
        return f"missing required field '{field}'"
    if kind in _TYPE_NAMES:
        got = _describe(value)
        extra = (
            " (quote it to make it text)" if kind == "string_type" and isinstance(value, int | float) else ""
        )
        return f"'{field}' must be {_TYPE_NAMES[kind]}, got {got}{extra}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"'{field}' must be one of {expected}, got {_describe(value)}"
    if kind == "string_pattern_mismatch" and field == "bundleKey":
        return (
            f"bundleKey {_describe(value)} is invalid: use lower-case letters, digits and dashes, "
            "start and end with a letter or digit, at most 63 characters"
        )
    return f"'{field}': {error['msg']}"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"'{value}'" if len(value) < 60 else f"'{value[:57]}...'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else type(value).__name__


def _fields_at(path: Path_) -> list[str]:
    """The field names the model allows at `path` (for suggestions)."""
    annotation: Any = BundleSpec
    for part in path:
        annotation = _unwrap(annotation, isinstance(part, int))
        if isinstance(part, str) and _is_model(annotation):
            field_info = annotation.model_fields.get(part)
            if field_info is None:
                return []
            annotation = field_info.annotation
    annotation = _unwrap(annotation, False)
    return list(annotation.model_fields) if _is_model(annotation) else []


def _unwrap(annotation: Any, into_list: bool) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin in (typing.Union, types.UnionType):
            models = [a for a in args if _is_model(_unwrap(a, into_list))]
            lists = [a for a in args if typing.get_origin(a) is list]
            annotation = lists[0] if into_list and lists else models[0] if models else args[0]
            continue
        if into_list and origin is list:
            annotation, into_list = args[0], False
            continue
        return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)
