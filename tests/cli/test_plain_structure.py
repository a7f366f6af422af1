"""`validate` reads a plainly written bundle without pydantic (reconciler/bundle/structure.py): the shapes it
checks must be the model's, and whatever it accepts the model must accept with the same values. Anything it
does not accept goes to the model, so the messages stay the model's (tests/bundle/test_invalid_corpus.py)."""

from __future__ import annotations

import copy
import datetime
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pydantic
import pytest

from reconciler.bundle import model
from reconciler.bundle.load import Document, load_file
from reconciler.bundle.structure import SHAPES, BundleFields, TargetFields, check_structure, fits
from reconciler.errors import BundleError
from tests.conftest import ROOT

EXAMPLES = sorted(p for p in (ROOT / "examples").rglob("*.yaml") if "kind: Bundle" in p.read_text())
INVALID = sorted((ROOT / "tests" / "data" / "invalid").glob("*.yaml"))


def shape_of(annotation: Any, metadata: list[Any]) -> Any:
    """The shape (structure.py's notation) a model annotation and its constraints describe."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        shapes = [shape_of(a, metadata) for a in args]
        return shapes[0] if len(shapes) == 1 else ("union", *shapes)
    if origin is Literal:
        return ("literal", tuple(args))
    if origin is list:
        return ("list", shape_of(args[0], []))
    if origin is dict:
        assert args[0] is str
        return ("dict", shape_of(args[1], []))
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return ("model", annotation.__name__)
    pattern = next((m.pattern for m in metadata if getattr(m, "pattern", None)), None)
    minimum = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    simple = {str: "str", bool: "bool", float: "float", Any: "any"}
    if annotation is int:
        return ("int", minimum)
    if annotation is str and pattern:
        return ("pattern", pattern)
    return simple[annotation]


def test_the_shapes_are_the_models_field_by_field() -> None:
    models = {name: getattr(model, name) for name in SHAPES}
    for name, fields in SHAPES.items():
        declared = models[name].model_fields
        assert list(fields) == list(declared), name
        for field_name, (shape, required, nullable) in fields.items():
            info = declared[field_name]
            expected = shape_of(info.annotation, info.metadata)
            if (name, field_name) == ("Target", "provider"):  # a str checked by the model's validator
                assert expected == "str" and shape == "provider"
                continue
            assert shape == expected, f"{name}.{field_name}"
            assert required == info.is_required(), f"{name}.{field_name}"
            assert nullable == (type(None) in typing.get_args(info.annotation)), f"{name}.{field_name}"
    defaults = {
        name: field.default
        for name, field in model.BundleSpec.model_fields.items()
        if name in BundleFields._fields and not field.is_required()
    }
    assert defaults == BundleFields._field_defaults
    assert TargetFields._fields == tuple(model.Target.model_fields)


def model_fields(data: Any) -> BundleFields | None:
    """What the model reads from `data`, as check_structure returns it; None when the model refuses it."""
    try:
        spec = model.BundleSpec.model_validate(data)
    except pydantic.ValidationError:
        return None
    names = [name for name in BundleFields._fields if name != "target"]
    return BundleFields(
        target=TargetFields(**spec.target.model_dump()), **{name: getattr(spec, name) for name in names}
    )


def plain_fields(data: Any) -> BundleFields | None:
    fields, _ = check_structure(Document("bundle.yaml", 0, data))
    return fields


@pytest.mark.parametrize("path", EXAMPLES, ids=[str(p.relative_to(ROOT)) for p in EXAMPLES])
def test_every_example_is_read_without_the_model(path: Path) -> None:
    for doc in load_file(path):
        assert fits(doc.data, ("model", "BundleSpec"))
        assert plain_fields(doc.data) == model_fields(doc.data) is not None


ODD_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    7,
    1.5,
    "",
    "x",
    "Bundle",
    "ab\n",
    "USD",
    "USD\n",
    "reconciler/v1",
    "active",
    [],
    ["x"],
    [{"start": 1}],
    {},
    {"a": 1},
    {"a": "b"},
    {1: "a"},
    {"start": 1},
    datetime.date(2026, 5, 1),
)


def paths(data: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*at, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, (*at, index))


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(data)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


def removed(data: Any, path: tuple[Any, ...]) -> Any:
    changed = copy.deepcopy(data)
    node = changed
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return changed


RICH = {
    "apiVersion": "reconciler/v1",
    "kind": "Bundle",
    "bundleKey": "rich-1",
    "target": {"provider": "temporal", "namespace": "ns", "taskQueue": "q", "workspace": "w", "api": "a"},
    "prune": "delete",
    "movedFrom": "old.yaml",
    "pauses": "respect",
    "respectFor": "72h",
    "drift": "report",
    "limits": {"maxRunsPerDay": 5, "maxMonthlyCost": {"amount": 0.4, "currency": "USD"}, "maxConcurrent": 2},
    "vars": {"team": "x"},
    "defaults": {
        "agent": "a",
        "state": "paused",
        "labels": {"k": "v"},
        "options": {"o": [1]},
        "ignore": ["x"],
    },
    "schedules": [
        {
            "name": "one",
            "when": {
                "calendars": [{"hour": [{"start": 1, "end": 3, "step": 1}], "comment": "c"}],
                "timezone": "UTC",
                "start": "2026-01-01T00:00:00Z",
                "end": "2027-01-01T00:00:00Z",
            },
            "input": {"message": "m", "data": {"d": None}, "secrets": {"s": "v"}},
            "protect": True,
            "adopt": False,
            "renamedFrom": {"bundleKey": "old", "name": "one"},
            "for_each": {"a": 1},
        },
        {
            "name": "two",
            "when": {"cron": ["0 9 * * *"], "every": "1h", "offset": "5m", "spread": "30m", "at": "x"},
        },
    ],
}


def test_the_plain_reading_never_accepts_what_the_model_refuses() -> None:
    """Every value of every field of a bundle that uses them all, changed to each odd value, removed, or
    joined by an unknown key: whatever the plain reading accepts, the model accepts with the same values."""
    assert fits(RICH, ("model", "BundleSpec"))
    variants: list[Any] = [RICH]
    for path in paths(RICH):
        if not path:
            continue
        variants.extend(replaced(RICH, path, value) for value in ODD_VALUES)
        variants.append(removed(RICH, path))
        if isinstance(path[-1], str):
            variants.append(replaced(RICH, (*path[:-1], path[-1] + "x"), 1))
    accepted = 0
    for data in variants:
        if fits(data, ("model", "BundleSpec")):
            accepted += 1
            assert plain_fields(data) == model_fields(data) is not None, data
    assert 0 < accepted < len(variants)


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_an_invalid_bundle_is_left_to_the_model(path: Path) -> None:
    try:
        docs = load_file(path)
    except BundleError:  # refused while loading: never reaches the structure check
        return
    for doc in docs:
        if isinstance(doc.data, dict) and fits(doc.data, ("model", "BundleSpec")):
            assert model_fields(doc.data) is not None  # its shape is fine: the problem lies beyond the model
