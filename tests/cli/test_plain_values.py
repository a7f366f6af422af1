"""Option values read without typer's pydantic adapters (reconciler/cli/commands.py, PlainValues) are the
values typer itself gives; anything else is still typer's to coerce and to refuse."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import typer.main
from typer._click import Context
from typer._coercion import build_runtime_param

from reconciler.cli.commands import GROUPS, UNSURE, VERBS, load_group, load_verb, plain_value
from reconciler.cli.main import app
from tests.conftest import ROOT

RAW: tuple[Any, ...] = (
    None,
    True,
    False,
    "",
    "0",
    "1",
    "5",
    "007",
    "-1",
    " 3",
    "3 ",
    "1_000",
    "0x10",
    "+4",
    "64",
    "65",
    "10000",
    "10001",
    "1e3",
    "٣",
    "x",
    "text",
    "json",
    "JSON",
    "github",
    "bash",
    ("a", "b"),
    ["a"],
    (),
    ("a", 1),
    5,
)


def typers_own(param: Any, value: Any, ctx: Any) -> tuple[str, Any]:
    try:
        return "value", build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)
    except Exception as exc:  # typer refuses it: the plain reading must have left it to typer
        return "refused", type(exc).__name__


def every_param() -> list[tuple[str, Any, Any]]:
    """(name, its command, the parameter) of every verb, group and the `reconciler` group itself."""
    commands = [load_verb(verb) for verb in VERBS] + [load_group(group) for group in GROUPS]
    commands.append(typer.main.get_command(app))
    return [
        (f"{command.name}.{param.name}", command, param)
        for command in commands
        for param in command.get_params(Context(command))
        if hasattr(param, "type_descriptor")
    ]


PARAMS = every_param()


@pytest.mark.parametrize(("name", "command", "param"), PARAMS, ids=[name for name, _, _ in PARAMS])
def test_a_plain_value_is_the_value_typer_gives(name: str, command: Any, param: Any) -> None:
    ctx = Context(command)
    descriptor = param.type_descriptor
    for raw in RAW:
        plain = plain_value(descriptor.annotation, descriptor.parameter_info, raw, ctx)
        if plain is UNSURE:
            continue
        kind, value = typers_own(param, raw, ctx)
        assert (kind, value) == ("value", plain), (name, raw)
        assert type(value) is type(plain), (name, raw)


def test_the_plain_reading_covers_validate_and_preview() -> None:
    """What `validate` and `preview` are given most (paths, a format, a count) is read without typer's
    adapters, so that neither loads pydantic (tests/cli/test_lazy_verbs.py)."""
    ctx = Context(load_verb("preview"))
    by_name = {name: param for name, _, param in PARAMS}
    cases = {
        "validate.paths": (("a.yaml", "b"), ["a.yaml", "b"]),
        "validate.format": ("github", "github"),
        "preview.count": ("12", 12),
        "preview.from_": ("2026-01-01", "2026-01-01"),
    }
    for name, (raw, value) in cases.items():
        descriptor = by_name[name].type_descriptor
        assert plain_value(descriptor.annotation, descriptor.parameter_info, raw, ctx) == value


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["preview", "examples/cadenya", "--count", "0"], "--count"),
        (["preview", "examples/cadenya", "--count", "x"], "--count"),
        (["preview", "examples/cadenya", "--format", "yaml"], "--format"),
        (["plan", "examples/cadenya", "--parallelism", "65"], "--parallelism"),
    ],
)
def test_a_bad_value_is_still_refused_naming_its_option(args: list[str], option: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 1 and option in done.stderr and done.stdout == ""
