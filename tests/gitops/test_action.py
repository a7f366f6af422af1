"""The reusable action's script, run as GitHub runs it (INPUT_* variables, summary and output files, a PR
event), against the embedded sandbox and a stand-in for GitHub's REST API on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.gitops.comment import GITHUB_COMMENT_LIMIT, MARKER
from tests.conftest import ROOT
from tests.gitops.fake_github import TOKEN, FakeGitHub, fake_github


@pytest.fixture
def github() -> object:
    with fake_github() as state:
        yield state


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "bundles", tmp_path / "bundles")
    (tmp_path / "event.json").write_text(json.dumps({"pull_request": {"number": 7}}))
    return tmp_path


def run_action(
    workdir: Path, github: FakeGitHub, command: str, paths: str = "bundles"
) -> tuple[int, dict[str, str], str]:
    summary, outputs = workdir / "summary.md", workdir / "outputs.txt"
    summary.write_text("")
    outputs.write_text("")
    env = {
        **os.environ,
        "INPUT_COMMAND": command,
        "INPUT_PATHS": paths,
        "INPUT_VARS": "",
        "RECONCILER_SANDBOX": "1",
        "RECONCILER_PLAN_PATH": str(workdir / "plan.json"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(workdir / "event.json"),
        "GITHUB_REPOSITORY": "acme/schedules",
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler.gitops.action"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert TOKEN not in proc.stdout + proc.stderr + summary.read_text()
    return proc.returncode, values, summary.read_text()


def test_plan_comments_once_and_updates_in_place(workdir: Path, github: FakeGitHub) -> None:
    code, outputs, summary = run_action(workdir, github, "plan")
    assert code == 0
    assert outputs == {"exit-code": "2", "has-changes": "true", "plan-path": str(workdir / "plan.json")}
    assert json.loads((workdir / "plan.json").read_text())["bundles"][0]["summary"]["create"] > 0
    assert "### reconciler plan" in summary and "to create" in summary
    [comment] = github.comments.values()
    assert comment["issue"] == 7 and comment["body"].startswith(MARKER)
    assert "https://github.example/acme/schedules/actions/runs/42" in comment["body"]

    code, outputs, summary = run_action(workdir, github, "apply")  # the plan the plan step saved, as shown
    assert code == 0 and outputs["plan-path"] == str(workdir / "plan.json")
    assert "Applied the plan saved by this job's plan step" in summary and "Apply complete" in summary
    code, outputs, _ = run_action(workdir, github, "plan")
    assert code == 0 and outputs["has-changes"] == "false" and outputs["exit-code"] == "0"
    [comment] = github.comments.values()  # the same comment, updated: no second one
    assert "No changes" in comment["body"]
    assert sum(r.startswith("POST") for r in github.requests) == 1
    assert sum(r.startswith("PATCH") for r in github.requests) == 1


def test_huge_plan_is_cut_to_fit_a_comment(workdir: Path, github: FakeGitHub) -> None:
    names = ", ".join(f"r{i:04d}" for i in range(2500))
    (workdir / "big").mkdir()
    (workdir / "big" / "big.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: big\ntarget: {provider: cadenya, workspace: ws_big}\n"
        f"schedules:\n  - name: 'digest-{{{{ item }}}}'\n    for_each: [{names}]\n    agent: agent_big\n"
        "    when: {every: 6h}\n    input: {message: 'A fairly long message for {{ item }} so the plan is big'}\n"
    )
    code, outputs, _ = run_action(workdir, github, "plan", "big")
    assert code == 0 and outputs["has-changes"] == "true"
    [comment] = github.comments.values()
    assert len(comment["body"]) <= GITHUB_COMMENT_LIMIT
    assert comment["body"].startswith(MARKER) and "too long" in comment["body"]


def test_validate_annotates_and_fails(workdir: Path, github: FakeGitHub) -> None:
    bad = workdir / "bad"
    bad.mkdir()
    for i in range(12):
        (bad / f"b{i:02d}.yaml").write_text(
            "apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: k\ntarget: {provider: cadenya}\nschedual: []\n"
        )
    summary_path = workdir / "summary.md"
    code, outputs, summary = run_action(workdir, github, "validate", "bad")
    assert code == 1 and outputs["exit-code"] == "1"
    assert "unknown field 'schedual'" in summary and summary_path.exists()
    assert github.comments == {}


def test_drift_and_status_reports_leave_markdown_for_the_nightly_issue(
    workdir: Path, github: FakeGitHub
) -> None:
    """Issue 18: the nightly job's two reports. Freshly applied bundles have no drift; status says whether
    any schedule needs attention (exit 2 through `has-changes`), and both leave a Markdown file for an issue."""
    assert run_action(workdir, github, "apply")[0] == 0
    code, outputs, summary = run_action(workdir, github, "drift")
    assert code == 0 and outputs["has-changes"] == "false" and outputs["exit-code"] == "0"
    assert Path(outputs["report-path"]).read_text().startswith("### reconciler drift")
    assert "No drift" in summary
    code, outputs, summary = run_action(workdir, github, "status")
    assert code == 0 and outputs["exit-code"] in ("0", "2")
    assert outputs["has-changes"] == str(outputs["exit-code"] == "2").lower()
    assert "### reconciler status" in Path(outputs["report-path"]).read_text()
    # reports go to the summary and the file, never into a PR comment
    assert all("reconciler drift" not in c["body"] for c in github.comments.values())


def test_action_metadata_matches_the_script() -> None:
    import yaml

    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(action["inputs"]) == {
        "command",
        "paths",
        "vars",
        "shards",
        "shard",
        "working-directory",
        "python-version",
    }
    assert set(action["outputs"]) == {"has-changes", "exit-code", "plan-path", "report-path", "matrix"}
    assert action["runs"]["using"] == "composite"
    assert all("shell" in step for step in action["runs"]["steps"] if "run" in step)
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install reconciler")
    # The action installs itself, pinned by the lock its tests passed with; never a package by a bare name
    # ("reconciler" on PyPI is somebody else's project).
    assert install["run"].split() == [
        "python", "-m", "pip", "install", "--quiet",
        "--constraint", '"$ACTION_PATH/constraints.txt"', '"$ACTION_PATH"',
    ]  # fmt: skip
    run_step = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    assert run_step["run"] == "python -m reconciler.gitops.action"


def test_actionlint_passes_on_every_workflow() -> None:
    actionlint = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not Path(actionlint).exists():
        pytest.fail("actionlint is a test dependency; it should be installed")
    files = sorted(
        str(p) for p in [*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("examples/github/*.yml")]
    )
    assert len(files) >= 6
    proc = subprocess.run([actionlint, *files], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pre_commit_hook_validates_examples(tmp_path: Path) -> None:
    """`pre-commit try-repo` installs the hook from this repository as a user's pre-commit would."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    proc = subprocess.run(
        [
            str(pre_commit),
            "try-repo",
            str(ROOT),
            "reconciler-validate",
            "--files",
            "examples/cadenya/bundle.yaml",
            "examples/orq/bundle.yaml",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "reconciler validate" in proc.stdout and "Passed" in proc.stdout


def test_apply_json_without_a_terminal_asks_for_confirmation(workdir: Path) -> None:
    """Exit 4 with a command that applies exactly the plan shown (saved to a file), once and only once."""
    env = {**os.environ, "RECONCILER_SANDBOX": "1", "TMPDIR": str(workdir)}  # the saved plan lands here

    def reconciler(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reconciler", *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )

    proc = reconciler("apply", "--format", "json", "bundles")
    assert proc.returncode == 4, proc.stderr
    result = json.loads(proc.stdout)
    assert result["result"] == "confirmation_required"
    assert result["command"] == f"reconciler apply {shlex.quote(result['plan_file'])} --format json"
    assert result["plan"]["bundles"][0]["summary"]["create"] > 0
    saved = json.loads(Path(result["plan_file"]).read_text())
    assert {k: saved[k] for k in result["plan"]} == result["plan"]  # the plan that was shown
    assert Path(result["plan_file"]).stat().st_mode & 0o077 == 0  # only its owner can read it
    assert Path(result["plan_file"]).parent == workdir  # in the temporary directory ($TMPDIR)

    command = shlex.split(result["command"])
    assert command[0] == "reconciler"
    confirmed = reconciler(*command[1:])
    assert confirmed.returncode == 0, confirmed.stdout + confirmed.stderr
    assert json.loads(confirmed.stdout)["result"] == "applied"
    again = reconciler(*command[1:])  # the platform has moved on: the same plan is now stale
    assert again.returncode == 1 and json.loads(again.stdout)["error"]["kind"] == "stale_plan"


def test_apply_refuses_the_saved_plan_once_the_platform_moved_on(workdir: Path, github: FakeGitHub) -> None:
    assert run_action(workdir, github, "plan")[0] == 0
    meanwhile = subprocess.run(
        [sys.executable, "-m", "reconciler", "apply", "--auto-approve", "bundles"],
        cwd=workdir,
        env={**os.environ, "RECONCILER_SANDBOX": "1"},
        capture_output=True,
        text=True,
    )
    assert meanwhile.returncode == 0, meanwhile.stderr
    code, outputs, summary = run_action(workdir, github, "apply")
    assert code == 1 and outputs["exit-code"] == "1"
    assert "is stale" in summary and "Run `reconciler plan` again" in summary
    (workdir / "plan.json").unlink()  # no plan step before it: apply plans afresh
    code, outputs, summary = run_action(workdir, github, "apply")
    assert code == 0 and outputs["plan-path"] == "" and "No changes" in summary
