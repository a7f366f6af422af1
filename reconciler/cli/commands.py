"""The verbs, loaded when one runs: `reconciler --help` and each verb import only what they use.

Every verb's module imports the part of the pipeline it drives (`apply` the providers and httpx, `validate`
the loader and the models); importing them all for every command cost `reconciler --help` about half a
second. The group lists each verb from the table below, with its short help written here (a test checks
it against the function's docstring), and imports the verb's module only when the verb is looked up to run,
to complete or to print its own help.
"""

from __future__ import annotations

import gc
import importlib
import re
from collections.abc import Callable
from enum import Enum
from typing import Any

import typer
import typer.main
from typer import _click
from typer._coercion import RuntimeParam, build_runtime_param
from typer.core import MarkupMode, TyperCommand, TyperGroup, _TyperParameter

# verb: (module, the help `reconciler --help` shows: the first paragraph of the function's docstring)
VERBS: dict[str, tuple[str, str]] = {
    "validate": ("reconciler.cli.validate", "Check bundles without contacting any platform."),
    "schema": (
        "reconciler.cli.schema",
        "Print the JSON Schema (draft 2020-12) of bundle format v1, or of the plan document.",
    ),
    "plan": ("reconciler.cli.plan", "Show the changes `apply` would make."),
    "apply": ("reconciler.cli.apply", "Make the live schedules match the bundles."),
    "export": (
        "reconciler.cli.export",
        "Write a bundle for the live schedules: owned ones as they are, unowned ones with `adopt: true`.",
    ),
    "preview": (
        "reconciler.cli.preview",
        "Show when each schedule will fire next, in its own timezone and in UTC.",
    ),
    "calendar": (
        "reconciler.cli.calendar",
        "Show when fires pile up: a week-by-hour heatmap and a collision report; with a Costs document, the "
        "concurrent runs and cost per hour and the schedules whose runs overlap themselves.",
    ),
    "bundles": (
        "reconciler.cli.bundles",
        "List the bundles (key, file, provider, schedules) without contacting any platform.",
    ),
    "show": ("reconciler.cli.show", "Show a saved plan without contacting any platform."),
    "status": (
        "reconciler.cli.status",
        "Did each schedule fire as declared? Exit 2 when any needs attention.",
    ),
    "controller": (
        "reconciler.cli.controller",
        "Reconcile continuously from a git ref: apply new commits, heal or report drift, serve metrics.",
    ),
    "providers": (
        "reconciler.cli.providers",
        "List the installed providers: origin, API revisions, timing forms and limits, options, connection "
        "variables, target fields, and whether a local sandbox is available.",
    ),
}


# Command groups, loaded like the verbs: name: (module, its typer.Typer, the help `reconciler --help` shows).
GROUPS: dict[str, tuple[str, str, str]] = {
    "sandbox": (
        "reconciler.cli.sandbox",
        "sandbox_app",
        "Run a local emulator of a provider's schedule API.",
    ),
}

# Set by `reconciler.cli.main.run` (a process of its own): what a verb imports lives for the whole run, so it
# is frozen out of garbage collection like everything imported before it.
freeze_on_load = False


def load_verb(name: str, markup_mode: MarkupMode = None) -> _click.Command:
    """The verb's click command, built by typer from the function `reconciler.cli.<name>.<name>`; its help
    drawn as the group's is (`markup_mode`: "rich", or None for plain text, which never imports rich)."""
    module, _ = VERBS[name]
    function = getattr(importlib.import_module(module), name)
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=markup_mode)
    single.command(name=name, cls=PlainCommand)(function)
    command = typer.main.get_command(single)
    if freeze_on_load:
        gc.freeze()
    return command


_WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]{0,17}")  # what every parser reads alike: no sign, space, _ or 0x
UNSURE = object()


class PlainValues(RuntimeParam):  # typer's frozen dataclass, with its fields: no @dataclass of its own
    """How a parameter's command-line text becomes its value: the plain cases (a string, strings, a whole
    number within bounds, a choice written exactly) here, every other value by typer's own coercion.

    typer (0.29) coerces each parameter but a bool flag with a pydantic TypeAdapter, built on first use:
    importing pydantic and building the adapters cost `validate` and `preview` a fifth of their start-up,
    for values that need no more than `int(text)`. Anything else (a bad number, an unknown choice, a path
    with checks) goes to typer's adapter, so its errors and results are typer's own, word for word."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        plain = plain_value(self.annotation, self.parameter_info, value, ctx)
        if plain is not UNSURE:
            return plain
        return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


def plain_value(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    """`value` coerced to `annotation` as typer's adapter would, or UNSURE when only the adapter can say."""
    if info.parser is not None or info.clamp:
        return UNSURE
    if annotation is str:
        return value if type(value) is str else UNSURE
    if annotation is bool:
        return value if type(value) is bool else UNSURE
    if annotation == list[str]:
        if type(value) in (list, tuple) and all(type(item) is str for item in value):
            return list(value)
        return UNSURE
    if annotation is int:
        number = value if type(value) is int else _whole_number(value)
        if number is None or (info.min is not None and number < info.min):
            return UNSURE
        return UNSURE if info.max is not None and number > info.max else number
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        if isinstance(value, annotation):
            return value
        if not info.case_sensitive or getattr(ctx, "token_normalize_func", None) is not None:
            return UNSURE
        return next((member for member in annotation if str(member.value) == value), UNSURE)
    return UNSURE


def _whole_number(value: Any) -> int | None:
    return int(value) if type(value) is str and _WHOLE_NUMBER.fullmatch(value) else None


def plain_values_first(params: list[Any]) -> None:
    """Give each of typer's parameters the coercion above (see PlainValues)."""
    for param in params:
        if isinstance(param, _TyperParameter) and param.type_descriptor.file_annotation is None:
            descriptor = param.type_descriptor
            param._runtime_param = PlainValues(
                annotation=descriptor.annotation, parameter_info=descriptor.parameter_info
            )


class PlainCommand(TyperCommand):
    """A verb: typer's command, its parameters (`--help` among them) coerced by PlainValues first."""

    def __init__(self, *args: Any, **attrs: Any) -> None:
        super().__init__(*args, **attrs)
        plain_values_first(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        plain_values_first([option])
        return option


def load_group(name: str, markup_mode: MarkupMode = None) -> _click.Command:
    """The command group `name` of GROUPS, built by typer as `app.add_typer(group, name=name)` would."""
    module, attribute, _ = GROUPS[name]
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=markup_mode)
    holder.add_typer(getattr(importlib.import_module(module), attribute), name=name)
    group = typer.main.get_group(holder).commands[name]
    if freeze_on_load:
        gc.freeze()
    return group


Loader = Callable[[str, MarkupMode], _click.Command]


class LazyVerb(TyperCommand):
    """Stands in for a verb (or a group of them) in the group's listing; becomes the real command when it is
    used."""

    def __init__(self, name: str, short_help: str, markup_mode: MarkupMode, load: Loader = load_verb) -> None:
        super().__init__(name=name, help=short_help, short_help=short_help, rich_markup_mode=markup_mode)
        self._real: _click.Command | None = None
        self._load = load

    def real(self) -> _click.Command:
        if self._real is None:
            self._real = self._load(str(self.name), self.rich_markup_mode)
        return self._real

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def get_params(self, ctx: Any) -> list[Any]:
        return self.real().get_params(ctx)

    def invoke(self, ctx: Any) -> Any:
        return self.real().invoke(ctx)


class LazyGroup(TyperGroup):
    """The `reconciler` group: typer's own, plus the groups of GROUPS and the verbs of VERBS as LazyVerb
    stand-ins, listed in that order."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        plain_values_first(self.params)  # the group's own options are read on every command
        for name, (_, _, short_help) in GROUPS.items():
            self.commands.setdefault(name, LazyVerb(name, short_help, self.rich_markup_mode, load_group))
        for name, (_, short_help) in VERBS.items():
            self.commands.setdefault(name, LazyVerb(name, short_help, self.rich_markup_mode))

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        plain_values_first([option])
        return option
