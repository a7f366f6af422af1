"""The workflow templates can never drop an apply (docs/concurrency.md, "Which runs wait for which").

GitHub keeps at most one running and one pending run per concurrency group, and a newly queued run cancels
the pending one. So an apply is safe only in a group that nothing but applies of the same repository
join: there a pending apply is only ever replaced by a newer apply, whose commit holds its changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "examples" / "github"
OWN = ROOT / ".github" / "workflows"
SETS = {  # (plan, apply, drift) in each set of workflows
    "templates": (TEMPLATES / "plan.yml", TEMPLATES / "apply.yml", TEMPLATES / "drift.yml"),
    "this repository": (OWN / "bundles-plan.yml", OWN / "bundles-apply.yml", OWN / "bundles-drift.yml"),
}


def load(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text())
    return workflow


def group(path: Path) -> tuple[str, bool]:
    concurrency = load(path)["concurrency"]
    return concurrency["group"], bool(concurrency["cancel-in-progress"])


@pytest.mark.parametrize("which", SETS)
def test_plans_get_a_group_per_pull_request_that_cancels_older_plans(which: str) -> None:
    plan, apply, drift = SETS[which]
    name, cancels = group(plan)
    assert "github.event.pull_request.number" in name and cancels
    assert name not in {group(apply)[0], group(drift)[0]}


@pytest.mark.parametrize("which", SETS)
def test_applies_have_a_group_of_their_own_that_never_cancels(which: str) -> None:
    apply = SETS[which][1]
    name, cancels = group(apply)
    assert not cancels
    assert "pull_request" not in name  # one group for the whole repository: applies queue behind each other
    every_other = [p for p in [*TEMPLATES.glob("*.yml"), *OWN.glob("*.yml")] if p != apply]
    assert all(load(p).get("concurrency", {}).get("group") != name for p in every_other)


def test_the_drift_template_waits_for_applies_instead_of_sharing_their_group() -> None:
    name, cancels = group(TEMPLATES / "drift.yml")
    assert not cancels and name != group(TEMPLATES / "apply.yml")[0]
    first = load(TEMPLATES / "drift.yml")["jobs"]["drift"]["steps"][0]
    assert "gh run list --workflow apply.yml" in first["run"]


def test_every_job_has_a_timeout() -> None:
    for path in [*TEMPLATES.glob("*.yml"), *OWN.glob("*.yml")]:
        for job_name, job in load(path)["jobs"].items():
            assert isinstance(job.get("timeout-minutes"), int), f"{path.name}: job {job_name}"


def test_the_templates_name_this_release_tag() -> None:
    """docs/gitops.md: every release is tagged v<version>; the templates and the pre-commit example name it."""
    from reconciler import __version__

    tag = f"v{__version__}"
    uses = [
        step["uses"]
        for path in TEMPLATES.glob("*.yml")
        for job in load(path)["jobs"].values()
        for step in job["steps"]
        if "reconciler" in step.get("uses", "")
    ]
    assert uses and all(u.endswith(f"@{tag}") for u in uses), uses
    assert f"rev: {tag}" in (ROOT / "docs" / "gitops.md").read_text()
    assert f"## [{__version__}]" in (ROOT / "CHANGELOG.md").read_text()
