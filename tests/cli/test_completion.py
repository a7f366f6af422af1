"""Shell completion: the scripts `--show-completion` prints, what `--install-completion` writes, and the
answers the real CLI gives a shell that asks what Tab should complete (typer's protocol: the shell runs
`reconciler` with `_RECONCILER_COMPLETE` and the words typed so far in its environment)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Run, run_cli

SCRIPT_MARKS = {
    "bash": "complete -o default -F _reconciler_completion reconciler",
    "zsh": "compdef _reconciler_completion reconciler",
    "fish": "complete --command reconciler",
}


def from_shell(shell: str, *args: str, env: dict[str, str] | None = None) -> Run:
    """`reconciler ARGS` run by `shell -c`, which stays its parent (the `; exit` keeps it from exec'ing)."""
    command = shlex.join([sys.executable, "-m", "reconciler", *args]) + "; exit $?"
    proc = subprocess.run(
        [shell, "-c", command],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        timeout=60,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def tab(words: str) -> list[str]:
    """What bash offers on Tab after `words` (the last one being completed)."""
    typed = words.split(" ")
    result = run_cli(
        env={"_RECONCILER_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(typed) - 1)}
    )
    assert result.code == 0, result.err
    return result.out.split()


@pytest.mark.parametrize("shell", sorted(SCRIPT_MARKS))
def test_show_completion_prints_the_script_of_the_shell_named(shell: str) -> None:
    result = run_cli("--show-completion", shell)
    assert result.code == 0, result.err
    assert SCRIPT_MARKS[shell] in result.out
    assert "_RECONCILER_COMPLETE" in result.out  # the variable the CLI answers to (even run as python -m)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_show_completion_without_a_shell_writes_for_the_shell_it_is_run_from() -> None:
    result = from_shell("bash", "--show-completion", env={"SHELL": "/usr/bin/zsh"})
    assert result.code == 0, result.err
    assert SCRIPT_MARKS["bash"] in result.out


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs sh")
def test_from_a_shell_it_cannot_complete_it_writes_for_the_login_shell_in_SHELL() -> None:
    result = from_shell("sh", "--show-completion", env={"SHELL": "/usr/bin/zsh"})
    assert result.code == 0, result.err
    assert SCRIPT_MARKS["zsh"] in result.out


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs sh")
def test_when_no_shell_can_be_told_it_asks_for_one_to_be_named() -> None:
    result = from_shell("sh", "--show-completion", env={"SHELL": ""})
    assert result.code == 1
    assert result.out == ""
    assert "reconciler --show-completion bash" in result.err


def test_a_shell_it_cannot_complete_is_refused() -> None:
    result = run_cli("--show-completion", "tcsh")
    assert result.code == 1
    assert result.out == ""
    assert "tcsh" in result.err


def test_install_completion_writes_the_script_and_sources_it(tmp_path: Path) -> None:
    result = run_cli("--install-completion", "bash", env={"HOME": str(tmp_path)})
    assert result.code == 0, result.err
    script = tmp_path / ".bash_completions" / "reconciler.sh"
    assert str(script) in result.out
    assert SCRIPT_MARKS["bash"] in script.read_text()
    assert f"source '{script}'" in (tmp_path / ".bashrc").read_text()


def test_tab_completes_commands_subcommands_and_options() -> None:
    assert tab("reconciler pl") == ["plan"]
    assert tab("reconciler ap") == ["apply"]
    assert tab("reconciler sandbox s") == ["serve"]
    assert "--auto-approve" in tab("reconciler apply --auto")
    assert set(tab("reconciler --show-completion ")) >= {"bash", "zsh", "fish"}


def test_tab_completes_for_zsh_too() -> None:
    result = run_cli(env={"_RECONCILER_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "reconciler pre"})
    assert result.code == 0, result.err
    assert "preview" in result.out
