"""No silent green: a command never reports on bundles it did not read. An empty (truncated) file, one of only
comments, `---` or `null`, a folder with no bundle, and a bundle whose header is mistyped are errors at
their place for validate, plan, apply, preview and calendar alike, unless `--allow-empty` says so; and
then `plan` says it compared nothing, never that the live schedules match."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Run, run_cli

NOT_A_BUNDLE = {"empty": "", "null": "null\n", "comments": "# nothing here yet\n", "dashes": "---\n---\n"}
COMMANDS = {
    "validate": ("validate",),
    "plan": ("plan", "--sandbox"),
    "apply": ("apply", "--sandbox", "--auto-approve"),
    "preview": ("preview",),
    "calendar": ("calendar",),
}
GOOD = """apiVersion: reconciler/v1
kind: Bundle
bundleKey: good
target: {provider: cadenya, workspace: ws}
schedules:
  - {name: digest, agent: agent_a, when: {cron: "0 9 * * *"}}
"""


def _run(tmp_path: Path, *args: str) -> Run:
    # in tmp_path: the embedded sandbox keeps its state in the working directory
    return run_cli(*args, cwd=tmp_path, env={"RECONCILER_SANDBOX": ""})


@pytest.mark.parametrize("content", NOT_A_BUNDLE.values(), ids=NOT_A_BUNDLE.keys())
def test_a_file_with_no_bundle_is_an_error(tmp_path: Path, content: str) -> None:
    (tmp_path / "bundle.yaml").write_text(content)
    result = _run(tmp_path, "validate", "bundle.yaml")
    assert result.code == 1, result.out
    assert "bundle.yaml:1:1: no bundle in this file" in result.out
    assert "valid" not in result.out


@pytest.mark.parametrize("command", COMMANDS, ids=COMMANDS.keys())
def test_every_command_refuses_a_truncated_file_and_an_empty_folder(tmp_path: Path, command: str) -> None:
    (tmp_path / "truncated.yaml").write_text("")
    (tmp_path / "bundles").mkdir()
    result = _run(tmp_path, *COMMANDS[command], "truncated.yaml", "bundles")
    assert result.code == 1, result.out + result.err
    text = result.out + result.err
    assert "truncated.yaml:1:1: no bundle in this file" in text
    assert "bundles:1:1: no bundle found in this folder" in text
    assert "No changes" not in text and "match" not in text


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_allow_empty_plans_nothing_and_says_so(tmp_path: Path, command: str) -> None:
    (tmp_path / "bundles").mkdir()
    result = _run(tmp_path, *COMMANDS[command], "--allow-empty", "bundles")
    assert result.code == 0, result.out + result.err
    assert "No bundles were read" in result.out
    assert "No changes" not in result.out and "match" not in result.out


@pytest.mark.parametrize("command", ["validate", "preview", "calendar"])
def test_allow_empty_lets_the_offline_commands_pass(tmp_path: Path, command: str) -> None:
    (tmp_path / "bundles").mkdir()
    (tmp_path / "bundles" / "truncated.yaml").write_text("")
    assert _run(tmp_path, *COMMANDS[command], "--allow-empty", "bundles").code == 0


@pytest.mark.parametrize(
    "header",
    ["apiVersion: reconciler/v2", "apiVersion: reconcilr/v1", "apiversion: reconciler/v1", "# no header"],
)
def test_a_bundle_with_a_mistyped_header_in_a_folder_is_an_error(tmp_path: Path, header: str) -> None:
    """Found by walking a folder, a file that says `kind: Bundle` or has a `bundleKey` is read (and its
    header refused at its line), never skipped as "not a bundle"."""
    folder = tmp_path / "bundles"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    (folder / "typo.yaml").write_text(
        GOOD.replace("apiVersion: reconciler/v1", header).replace("good", "typo")
    )
    result = _run(tmp_path, "validate", "bundles")
    assert result.code == 1, result.out
    assert "bundles/typo.yaml:" in result.out
    assert "apiVersion" in result.out


def test_a_folder_of_other_yaml_is_no_bundle(tmp_path: Path) -> None:
    folder = tmp_path / "bundles"
    folder.mkdir()
    (folder / "ci.yml").write_text("on: {push: {}}\njobs: {}\n")
    result = _run(tmp_path, "validate", "bundles")
    assert result.code == 1
    assert "no bundle found in this folder: its 1 YAML file(s) do not say apiVersion" in result.out
    (folder / "good.yaml").write_text(GOOD)
    result = _run(tmp_path, "validate", "bundles")
    assert result.code == 0, result.out  # other YAML next to a bundle is skipped, as before
    assert "Skipped 1 YAML file(s)" in result.err
