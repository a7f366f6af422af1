"""A faster `__init__` for the frozen dataclasses a plan builds per schedule (LiveSchedule, Action, Change).

A frozen dataclass's own `__init__` sets each field through `object.__setattr__`, a call Python does not make
fast: about 0.7 µs a field, 13 µs for a LiveSchedule, which at 10,000 schedules was a quarter of decoding a
listing. This `__init__` turns the new instance into a plain twin class with the same slots for the time it
takes to fill them (plain attribute stores), then back. The result is the same frozen instance: equal, hashed,
printed and copied as before, and assigning to a field still raises `FrozenInstanceError`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")
_NO_VALUE: Any = object()  # an argument not given, where the field's default_factory supplies it


def quick_init(cls: type[T]) -> type[T]:
    """Give a `@dataclass(frozen=True, slots=True)` class (no `__post_init__`, no keyword-only fields) the
    faster `__init__`, with the same parameters and defaults."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    params = cls.__dict__.get("__dataclass_params__")
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: quick_init is for frozen dataclasses with slots")
    if hasattr(cls, "__post_init__") or any(f.kw_only is True for f in fields):
        raise TypeError(f"{cls.__name__}: quick_init does not run __post_init__ or take keyword-only fields")
    taken = {"self", "cls", "twin", "original", "set_class", "NO_VALUE"} & {f.name for f in fields}
    if taken:
        raise TypeError(f"{cls.__name__}: quick_init needs other names than {sorted(taken)} for fields")
    twin = type(f"_{cls.__name__}Filling", (), {"__slots__": cls.__dict__["__slots__"]})
    names: dict[str, Any] = {"cls": cls, "twin": twin, "NO_VALUE": _NO_VALUE, "set_class": object.__setattr__}
    names["original"] = cls.__init__
    params_text: list[str] = []
    body: list[str] = []
    values: list[str] = []  # each field's value, for the ordinary __init__
    for field in fields:
        if not field.init:
            raise TypeError(f"{cls.__name__}.{field.name}: quick_init needs every field in __init__")
        if field.default is not dataclasses.MISSING:
            names[f"default_{field.name}"] = field.default
            params_text.append(f"{field.name}=default_{field.name}")
            values.append(field.name)
        elif field.default_factory is not dataclasses.MISSING:
            names[f"factory_{field.name}"] = field.default_factory
            params_text.append(f"{field.name}=NO_VALUE")
            values.append(f"(factory_{field.name}() if {field.name} is NO_VALUE else {field.name})")
        else:
            params_text.append(field.name)
            values.append(field.name)
        body.append(f"    self.{field.name} = {values[-1]}")
    source = "\n".join(
        [
            f"def __init__(self, {', '.join(params_text)}):",
            "    if type(self) is not cls:  # a subclass: its own class must stay; the ordinary way",
            f"        return original(self, {', '.join(values)})",
            "    set_class(self, '__class__', twin)",
            *body,
            "    self.__class__ = cls",
        ]
    )
    exec(source, names)  # how dataclasses itself builds __init__
    init = names["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
