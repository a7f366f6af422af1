"""Check a loaded document's shape against the bundle model and word pydantic's errors for a person.

Each error is placed on the exact key or value it is about; unknown fields get a "did you mean".

A document that fits the model plainly (every value of exactly the type written, see `fits`) is read here
without pydantic: importing it and building the model cost `validate` a third of its start-up. Any other
document, every invalid one among them, is validated by the pydantic model (`reconciler.bundle.model`), so
what is accepted and every message are the model's own; a test holds `SHAPES` to the model field by field.
"""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from reconciler.bundle.document import Document
from reconciler.errors import Diagnostic
from reconciler.providers import plugin

if TYPE_CHECKING:
    import pydantic

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


class TargetFields(NamedTuple):  # NamedTuples, not dataclasses: cheaper to define, for every start-up
    """The bundle's `target:` as checked."""

    provider: str
    workspace: str | None = None
    api: str | None = None
    namespace: str | None = None
    taskQueue: str | None = None

    def model_dump(self) -> dict[str, Any]:
        """Every field by name, as the model's `Target.model_dump()` gives them."""
        return self._asdict()


class BundleFields(NamedTuple):
    """What the rest of the pipeline reads from the checked structure; the rest it reads from the data."""

    bundleKey: str
    target: TargetFields
    prune: Literal["archive", "delete", "none"] = "archive"
    movedFrom: str | None = None
    pauses: Literal["respect", "heal"] = "respect"
    respectFor: str | None = None
    drift: Literal["heal", "report"] = "heal"


def check_structure(document: Document) -> tuple[BundleFields | None, list[Diagnostic]]:
    data = document.data
    if not isinstance(data, dict):
        return None, [document.diagnostic((), "a bundle document must be a mapping (apiVersion, kind, ...)")]
    if fits(data, ("model", "BundleSpec")):
        return _fields(data, data["target"]), []
    import pydantic

    from reconciler.bundle.model import BundleSpec

    try:
        spec = BundleSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        return None, _diagnostics(document, exc)
    return _fields(spec.model_dump(), spec.target.model_dump()), []


def _fields(bundle: dict[str, Any], target: dict[str, Any]) -> BundleFields:
    names = (name for name in BundleFields._fields if name != "target" and name in bundle)
    return BundleFields(
        target=TargetFields(**{name: target[name] for name in SHAPES["Target"] if name in target}),
        **{name: bundle[name] for name in names},
    )


# The model (reconciler/bundle/model.py) as shapes: each model's fields, each field as (shape, required,
# None allowed). A shape is "str", "bool", "float", "any", ("int", minimum), ("pattern", regex),
# ("literal", values), ("list", shape), ("dict", shape) (string keys), ("union", shapes...),
# ("model", name) or "provider" (an installed provider's name).
Shape = Any
Field = tuple[Shape, bool, bool]
_KEY = ("pattern", r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_TEXT: Field = ("str", False, True)
_RANGES: Field = (("list", ("model", "CalendarRange")), False, True)
_SCHEDULE_FIELDS: dict[str, Field] = {
    "agent": _TEXT,
    "state": (("literal", ("active", "paused")), False, True),
    "when": (("model", "When"), False, True),
    "input": (("model", "Input"), False, True),
    "labels": (("dict", "str"), False, True),
    "options": (("dict", "any"), False, True),
    "ignore": (("list", "str"), False, True),
}
SHAPES: dict[str, dict[str, Field]] = {
    "CalendarRange": {
        "start": (("int", 0), True, False),
        "end": (("int", 0), False, True),
        "step": (("int", 1), False, True),
    },
    "CalendarRule": {
        **{
            name: _RANGES for name in ("second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek", "year")
        },
        "comment": _TEXT,
    },
    "When": {
        "cron": (("union", "str", ("list", "str")), False, True),
        "every": _TEXT,
        "offset": _TEXT,
        "spread": (("union", "bool", "str"), False, True),
        "at": _TEXT,
        "calendars": (("list", ("model", "CalendarRule")), False, True),
        "timezone": _TEXT,
        "start": _TEXT,
        "end": _TEXT,
    },
    "Input": {
        "message": _TEXT,
        "data": (("dict", "any"), False, True),
        "secrets": (("dict", "str"), False, True),
    },
    "Defaults": _SCHEDULE_FIELDS,
    "RenamedFrom": {"bundleKey": (_KEY, True, False), "name": ("str", True, False)},
    "Schedule": {
        **_SCHEDULE_FIELDS,
        "name": ("str", True, False),
        "protect": ("bool", False, True),
        "adopt": ("bool", False, True),
        "renamedFrom": (("union", "str", ("model", "RenamedFrom")), False, True),
        "for_each": (("union", ("list", "any"), ("dict", "any")), False, True),
    },
    "Target": {
        "provider": ("provider", True, False),
        "workspace": _TEXT,
        "api": _TEXT,
        "namespace": _TEXT,
        "taskQueue": _TEXT,
    },
    "MoneySpec": {
        "amount": (("union", ("int", None), "float", "str"), True, False),
        "currency": (("pattern", r"^[A-Z]{3}$"), True, False),
    },
    "BundleLimits": {
        "maxRunsPerDay": (("int", 1), False, True),
        "maxMonthlyCost": (("union", "str", ("model", "MoneySpec")), False, True),
        "maxConcurrent": (("int", 1), False, True),
    },
    "BundleSpec": {
        "apiVersion": (("literal", ("reconciler/v1",)), True, False),
        "kind": (("literal", ("Bundle",)), True, False),
        "bundleKey": (_KEY, True, False),
        "target": (("model", "Target"), True, False),
        "prune": (("literal", ("archive", "delete", "none")), False, False),
        "movedFrom": _TEXT,
        "pauses": (("literal", ("respect", "heal")), False, False),
        "respectFor": _TEXT,
        "drift": (("literal", ("heal", "report")), False, False),
        "limits": (("model", "BundleLimits"), False, True),
        "vars": (("dict", "any"), False, True),
        "defaults": (("model", "Defaults"), False, True),
        "schedules": (("list", ("model", "Schedule")), False, False),
    },
}


def fits(value: Any, shape: Shape) -> bool:
    """Whether the model surely accepts `value` as `shape`. Types are exact (a str subclass, a bool for an
    int, a date for a string do not fit: the model decides those), so False means "ask the model", never
    "invalid"."""
    return _checker(shape)(value)


Check = Callable[[Any], bool]
_CHECKERS: dict[Shape, Check] = {}


def _checker(shape: Shape) -> Check:
    """`shape` as a function, made once: a bundle of 10,000 schedules is checked as fast as the model does."""
    found = _CHECKERS.get(shape)
    if found is None:
        found = _CHECKERS[shape] = _make_checker(shape)
    return found


def _make_checker(shape: Shape) -> Check:
    simple: dict[str, Check] = {
        "str": lambda value: type(value) is str,
        "any": lambda value: True,
        "bool": lambda value: type(value) is bool,
        "float": lambda value: type(value) is float,
        "provider": lambda value: type(value) is str and plugin.is_installed(value),
    }
    if isinstance(shape, str):
        return simple[shape]
    kind, *args = shape
    if kind == "int":
        least = -math.inf if args[0] is None else args[0]
        return lambda value: type(value) is int and value >= least
    if kind == "pattern":  # no newline: `$` in Python's re matches before a final one, the model's does not
        pattern = re.compile(args[0])
        return lambda value: type(value) is str and "\n" not in value and pattern.match(value) is not None
    if kind == "literal":
        return lambda value: type(value) is str and value in args[0]
    if kind == "list":
        item = _checker(args[0])
        return lambda value: type(value) is list and all(map(item, value))
    if kind == "dict":
        item = _checker(args[0])
        return lambda value: (
            type(value) is dict and all(type(key) is str for key in value) and all(map(item, value.values()))
        )
    if kind == "union":
        branches = [_checker(branch) for branch in args]
        return lambda value: any(branch(value) for branch in branches)
    return _model_checker(SHAPES[args[0]])


def _model_checker(fields: dict[str, Field]) -> Check:
    checks = {name: (_checker(shape), nullable) for name, (shape, _, nullable) in fields.items()}
    required = [name for name, (_, needed, _) in fields.items() if needed]

    def check(value: Any) -> bool:
        if type(value) is not dict:
            return False
        for name, item in value.items():
            entry = checks.get(name) if type(name) is str else None
            if entry is None or not ((item is None and entry[1]) or entry[0](item)):
                return False
        return all(name in value for name in required)

    return check


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
    from reconciler.bundle.model import BundleSpec

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
    import pydantic

    return isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)
