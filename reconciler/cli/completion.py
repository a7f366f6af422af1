"""Shell completion: `reconciler --show-completion [SHELL]`, `--install-completion [SHELL]`, and the Tab key.

Typer writes the scripts and answers the requests a shell sends on Tab (`_RECONCILER_COMPLETE=complete_bash
COMP_WORDS='reconciler pl' COMP_CWORD=1 reconciler` prints `plan`); this module picks the shell. Typer's own
two options ignore a shell named after them (they always guess it), and its vendored click has no option
whose value may be left out, so `main` passes the arguments through `name_the_shell` first: an option given
without a shell gets `auto`, which means the shell this runs from, or else `$SHELL`.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

import typer

from reconciler.errors import ConfigError

PROG_NAME = "reconciler"
COMPLETE_VAR = "_RECONCILER_COMPLETE"  # what the scripts set; typer derives the same name from PROG_NAME
OPTIONS = ("--show-completion", "--install-completion")


class Shell(StrEnum):
    auto = "auto"
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"
    pwsh = "pwsh"


SUPPORTED = tuple(s.value for s in Shell if s is not Shell.auto)


def name_the_shell(args: list[str]) -> list[str]:
    """`--show-completion` / `--install-completion` followed by no value (the end, or another option) get
    `auto`. Arguments after `--` are left alone."""
    named: list[str] = []
    for index, arg in enumerate(args):
        if arg == "--":
            return named + args[index:]
        named.append(arg)
        following = args[index + 1] if index + 1 < len(args) else "-"
        if arg in OPTIONS and following.startswith("-"):
            named.append(Shell.auto.value)
    return named


def register_shells() -> None:
    """Typer's answers to the shells' Tab requests (click's own answer bash in another format, which typer's
    scripts do not read). Only needed when a shell asks: `main` calls this when COMPLETE_VAR is set."""
    from typer._completion_classes import completion_init

    completion_init()


def show_completion(shell: Shell | None) -> None:
    if shell is None:
        return
    from typer._completion_shared import get_completion_script

    print(get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=resolve(shell)))
    raise typer.Exit()


def install_completion(shell: Shell | None) -> None:
    if shell is None:
        return
    from typer._completion_shared import install

    name, path = install(shell=resolve(shell), prog_name=PROG_NAME, complete_var=COMPLETE_VAR)
    print(f"{name} completion installed in {path}; it works in shells started from now on.")
    raise typer.Exit()


def resolve(shell: Shell) -> str:
    """The shell to write for: the one named, or the one this runs from (the nearest shell among the parent
    processes), or else the login shell in `$SHELL` (when run from `sh -c`, say, which typer cannot complete)."""
    if shell is not Shell.auto:
        return shell.value
    candidates = [_parent_shell(), Path(os.environ.get("SHELL", "")).name.lower()]
    for candidate in candidates:
        if candidate in SUPPORTED:
            return candidate
    seen = ", ".join(dict.fromkeys(c for c in candidates if c)) or "none"
    raise ConfigError(
        f"cannot tell which shell to complete for (found: {seen}); name it, e.g. "
        f"`reconciler --show-completion bash` ({', '.join(SUPPORTED)})"
    )


def _parent_shell() -> str:
    from typer._completion_shared import _get_shell_name  # shellingham's guess, as typer makes it

    return (_get_shell_name() or "").lower()
