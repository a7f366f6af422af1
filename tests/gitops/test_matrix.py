"""Plan and apply as a matrix (docs/gitops.md, "One job per shard"): the action's `matrix` command feeds
`strategy.matrix`, each shard's job plans only its bundles and keeps a PR comment of its own, and the
workflow templates are wired that way."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.controller.shards import shard_of
from reconciler.gitops.comment import MARKER, artifact_name, comment_body, marker
from tests.conftest import ROOT
from tests.gitops.fake_github import TOKEN, FakeGitHub, fake_github

KEYS = [f"team-{i}" for i in range(6)]
SETS = {  # (plan, apply) in each set of workflows
    "templates": (ROOT / "examples/github/plan.yml", ROOT / "examples/github/apply.yml"),
    "this repository": (
        ROOT / ".github/workflows/bundles-plan.yml",
        ROOT / ".github/workflows/bundles-apply.yml",
    ),
}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with fake_github() as state:
        yield state


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "bundles").mkdir()
    for key in KEYS:
        (tmp_path / "bundles" / f"{key}.yaml").write_text(
            f"apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: {key}\n"
            "target: {provider: cadenya, workspace: ws_matrix}\nschedules:\n"
            f"  - {{name: daily, agent: agent_{key}, when: {{cron: '0 9 * * *'}}, input: {{message: hi}}}}\n"
        )
    (tmp_path / "event.json").write_text(json.dumps({"pull_request": {"number": 9}}))
    return tmp_path


def run_action(workdir: Path, github: FakeGitHub, **inputs: str) -> tuple[int, dict[str, str], str]:
    summary, outputs = workdir / "summary.md", workdir / "outputs.txt"
    summary.write_text("")
    outputs.write_text("")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INPUT_")},
        **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
        "RECONCILER_SANDBOX": "1",
        "RECONCILER_PLAN_PATH": str(workdir / "plan.json"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(workdir / "event.json"),
        "GITHUB_REPOSITORY": "acme/schedules",
        "GITHUB_API_URL": github.url,
        "GITHUB_TOKEN": TOKEN,
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
    return proc.returncode, values, summary.read_text()


def test_each_shard_plans_its_own_bundles_and_keeps_its_own_comment(
    workdir: Path, github: FakeGitHub
) -> None:
    code, outputs, summary = run_action(workdir, github, command="matrix", paths="bundles", shards="3")
    assert code == 0 and "| shard | bundles | paths |" in summary
    jobs = json.loads(outputs["matrix"])["include"]
    assert sorted(k for job in jobs for k in job["bundles"].split()) == KEYS
    assert len(jobs) >= 2  # these keys hash to more than one shard of 3

    for job in jobs:  # the matrix, one job after the other
        code, outputs, summary = run_action(
            workdir, github, command="plan", paths=job["paths"], shard=job["shard"]
        )
        assert code == 0 and outputs["has-changes"] == "true"
        assert outputs["artifact-name"] == artifact_name(job["shard"]) and "/" not in outputs["artifact-name"]
        planned = json.loads((workdir / "plan.json").read_text())["bundles"]
        assert sorted(b["bundle_key"] for b in planned) == job["bundles"].split()
    comments = sorted(github.comments.values(), key=lambda c: c["body"])
    assert len(comments) == len(jobs)  # one per shard: none overwrote another
    for job in jobs:
        [mine] = [c for c in comments if c["body"].startswith(marker(job["shard"]))]
        others = [k for k in KEYS if k not in job["bundles"].split()]
        assert all(key in mine["body"] for key in job["bundles"].split())
        assert not any(key in mine["body"] for key in others)
        assert f"Shard {job['shard']}" in mine["body"]

    first = jobs[0]  # a new push: the shard's comment is updated in place
    run_action(workdir, github, command="plan", paths=first["paths"], shard=first["shard"])
    assert len(github.comments) == len(jobs)
    assert sum(r.startswith("POST") for r in github.requests) == len(jobs)


def test_without_a_shard_the_comment_and_artifact_are_the_ones_they_always_were() -> None:
    assert marker("") == MARKER and artifact_name("") == "reconciler-plan"
    assert comment_body("plan", run_url="https://x/runs/1").startswith(MARKER + "\nplan")
    # no shard's marker is found by another's search (the search is a substring match)
    markers = [marker(""), *(marker(f"{i}/12") for i in range(12))]
    assert all(a == b or a not in b for a in markers for b in markers)


def test_bad_inputs_are_refused_before_anything_runs(workdir: Path, github: FakeGitHub) -> None:
    code, _, _ = run_action(workdir, github, command="plan", paths="bundles", shard="3/3")
    assert code != 0
    code, _, _ = run_action(workdir, github, command="matrix", paths="bundles", shards="many")
    assert code != 0
    assert github.requests == []


def test_a_bad_bundle_fails_the_matrix_job_with_the_problem_in_the_summary(
    workdir: Path, github: FakeGitHub
) -> None:
    (workdir / "bundles" / "bad.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: bad\ntarget: {provider: cadenya}\nschedual: []\n"
    )
    code, outputs, summary = run_action(workdir, github, command="matrix", paths="bundles", shards="2")
    assert code == 1 and outputs["matrix"] == ""
    assert "bundles/bad.yaml:5:1" in summary and "schedual" in summary


def load(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text())
    return workflow


def action_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if "reconciler" in s.get("uses", "") or s.get("uses") == "./"]


@pytest.mark.parametrize("which", SETS)
@pytest.mark.parametrize("kind", ["plan", "apply"])
def test_the_workflows_run_one_job_per_shard_from_the_matrix_job(which: str, kind: str) -> None:
    path = SETS[which][0 if kind == "plan" else 1]
    jobs = load(path)["jobs"]
    [(first_name, first)] = [(n, j) for n, j in jobs.items() if "needs" not in j]
    [step] = [s for s in action_steps(first) if s["with"]["command"] == "matrix"]
    assert first["outputs"]["matrix"] == f"${{{{ steps.{step['id']}.outputs.matrix }}}}"
    work = jobs[kind]
    assert work["needs"] == first_name
    assert work["strategy"]["matrix"] == f"${{{{ fromJSON(needs.{first_name}.outputs.matrix) }}}}"
    assert work["strategy"]["fail-fast"] is False  # a failing shard never cancels another mid-apply
    for shard_step in action_steps(work):
        assert shard_step["with"]["paths"] == "${{ matrix.paths }}"
        assert shard_step["with"]["shard"] == "${{ matrix.shard }}"
    assert kind in [s["with"]["command"] for s in action_steps(work)]


@pytest.mark.parametrize("which", SETS)
def test_plan_and_apply_shard_the_same_way(which: str) -> None:
    def shards(path: Path) -> str:
        steps = [s for job in load(path)["jobs"].values() for s in action_steps(job)]
        [found] = [s["with"] for s in steps if s["with"]["command"] == "matrix"]
        return f"{found['paths']} / {found['shards']}"

    plan, apply = SETS[which]
    assert shards(plan) == shards(apply)


def test_this_repositorys_bundles_make_a_matrix_the_workflows_can_use(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "bundles", "--matrix", "--shards", "2", "bundles"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    jobs = json.loads(proc.stdout)["include"]
    assert jobs and all(set(job) >= {"shard", "paths"} for job in jobs)
    files = [f for job in jobs for f in shlex.split(job["paths"])]
    assert sorted(files) == sorted(str(p.relative_to(ROOT)) for p in (ROOT / "bundles").glob("*.yaml"))
    keys = [k for job in jobs for k in job["bundles"].split()]
    assert all(job["shard"] == f"{shard_of(k, 2)}/2" for job in jobs for k in job["bundles"].split())
    assert len(keys) == len(set(keys))
