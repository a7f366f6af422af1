"""`python -m reconciler.gitops.action`: what the reusable GitHub Action (action.yml) runs.

Inputs arrive as INPUT_* variables (as GitHub passes them to actions); the command runs as the CLI, its
result goes to the job summary, the outputs file and, on pull requests, to one PR comment kept up to date.

As a matrix (docs/deploying.md, "CI: one job per shard"): `command: matrix` prints the shards of the bundles
(output `matrix`, for `strategy.matrix: ${{ fromJSON(...) }}`), and each plan job passes its `shard`, which
keeps its PR comment and plan artifact apart from the other shards'.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from reconciler.cli.planfile import read_plan_file
from reconciler.controller.shards import parse_shard
from reconciler.gitops.comment import artifact_name, comment_body, marker
from reconciler.gitops.github import github_client, upsert_comment
from reconciler.plan.errors import PlanFileError

SUMMARY_LIMIT = 1_000_000  # GitHub refuses step summaries over 1 MiB
COMMANDS = ("validate", "plan", "apply", "drift", "status", "matrix")
# The nightly reports: `drift` is `plan --drift-only`, `status` is `status`; both exit 2 when something needs
# attention, and leave their Markdown in a file (output `report-path`) for an issue body.
REPORTS = {"drift": ["plan", "--drift-only"], "status": ["status"]}


@dataclass(frozen=True)
class Inputs:
    command: str
    paths: list[str]
    vars: list[str]
    plan_path: str
    shard: str = ""  # i/N: this job's shard of a matrix; "" without one
    shards: str = "1"  # `matrix`: into how many shards

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Inputs:
        command = env.get("INPUT_COMMAND", "plan").strip()
        if command not in COMMANDS:
            raise SystemExit(
                f"::error::input 'command' must be one of {', '.join(COMMANDS)}, not '{command}'"
            )
        paths = shlex.split(env.get("INPUT_PATHS", "bundles"))
        variables = [line.strip() for line in env.get("INPUT_VARS", "").splitlines() if line.strip()]
        shard = env.get("INPUT_SHARD", "").strip()
        shards = env.get("INPUT_SHARDS", "").strip() or "1"
        try:
            if shard:
                parse_shard(shard)
            if not shards.isdigit() or int(shards) < 1:
                raise ValueError(f"input 'shards' must be a whole number from 1, not '{shards}'")
        except ValueError as exc:
            raise SystemExit(f"::error::{exc}") from None
        plan_path = env.get("RECONCILER_PLAN_PATH", "") or "reconciler-plan.json"
        return cls(command, paths, variables, plan_path, shard, shards)


def main(env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    inputs = Inputs.from_env(env)
    var_args = [arg for v in inputs.vars for arg in ("--var", v)]
    if inputs.command == "validate":
        code, out = _run(["validate", "--format", "github", *var_args, *inputs.paths])
        print(out, end="")  # GitHub reads the ::error annotations from the step's output
        full = _run(["validate", *var_args, *inputs.paths])[1] if code else ""
        _summary(
            env,
            "### reconciler validate\n\n"
            + ("All bundles are valid.\n" if code == 0 else f"```\n{full}```\n"),
        )
        _outputs(env, {"exit-code": str(code), "has-changes": "false", "plan-path": ""})
        return code
    if inputs.command == "matrix":
        return _matrix(env, inputs, var_args)
    if inputs.command in REPORTS:
        code, markdown = _run([*REPORTS[inputs.command], "--format", "markdown", *var_args, *inputs.paths])
        print(markdown, end="")
        _summary(env, markdown)
        report = str(Path(inputs.plan_path).with_name(f"reconciler-{inputs.command}.md"))
        if code in (0, 2):
            Path(report).write_text(markdown, encoding="utf-8")
        _outputs(
            env,
            {
                "exit-code": str(code),
                "has-changes": str(code == 2).lower(),
                "plan-path": "",
                "report-path": report if code in (0, 2) else "",
            },
        )
        return 0 if code in (0, 2) else code
    if inputs.command == "plan":
        code, markdown = _run(
            [
                "plan",
                "--detailed-exitcode",
                "--format",
                "markdown",
                "--out",
                inputs.plan_path,
                *var_args,
                *inputs.paths,
            ]
        )
        print(markdown, end="")
        has_changes = code == 2
        _summary(env, markdown)
        _outputs(
            env,
            {
                "exit-code": str(code),
                "has-changes": str(has_changes).lower(),
                "plan-path": inputs.plan_path if code in (0, 2) else "",
                # only in a matrix: each shard uploads its plan under a name of its own
                **({"artifact-name": artifact_name(inputs.shard)} if inputs.shard else {}),
            },
        )
        if code in (0, 2):
            _comment(env, markdown, inputs.shard)
        return 0 if code in (0, 2) else code
    saved = _saved_plan(inputs)
    if saved:  # apply exactly the plan this job's plan step recorded (refused as stale if the platform moved)
        code, text = _run(["apply", saved])
        heading = f"### reconciler apply\n\nApplied the plan saved by this job's plan step (`{saved}`).\n\n"
    else:
        code, text = _run(["apply", "--auto-approve", *var_args, *inputs.paths])
        heading = "### reconciler apply\n\n"
    print(text, end="")
    _summary(env, f"{heading}```\n{text}```\n")
    _outputs(env, {"exit-code": str(code), "has-changes": "false", "plan-path": saved})
    return code


def _matrix(env: dict[str, str], inputs: Inputs, var_args: list[str]) -> int:
    """`reconciler bundles --matrix`: the matrix as output `matrix`, and the shards in the summary."""
    code, out = _run(["bundles", "--matrix", "--shards", inputs.shards, *var_args, *inputs.paths])
    if code != 0:  # the problems as text (file:line: message), not the JSON error document
        out = _run(["bundles", *var_args, *inputs.paths])[1]
        print(out, end="")
        _summary(env, f"### reconciler matrix\n\n```\n{out}```\n")
        _outputs(env, {"exit-code": str(code), "has-changes": "false", "plan-path": "", "matrix": ""})
        return code
    matrix = json.loads(out)
    rows = [
        f"| {job['shard']} | {len(job['bundles'].split())} | `{job['paths']}` |" for job in matrix["include"]
    ]
    _summary(
        env,
        f"### reconciler matrix\n\n{len(rows)} job(s) for {inputs.shards} shard(s)\n\n"
        "| shard | bundles | paths |\n|---|---|---|\n" + "\n".join(rows) + "\n",
    )
    print(out, end="")
    _outputs(env, {"exit-code": "0", "has-changes": "false", "plan-path": "", "matrix": out.strip()})
    return 0


def _saved_plan(inputs: Inputs) -> str:
    """The plan file an earlier `plan` step of this job saved for the same paths and vars, or "". Applying it
    (`reconciler apply PLANFILE`) carries out exactly the plan shown in the summary, and is refused if the live
    schedules changed in between; without one, apply plans afresh."""
    try:
        source = read_plan_file(Path(inputs.plan_path)).get("source")
    except PlanFileError:
        return ""
    if not isinstance(source, dict):
        return ""
    same = source.get("paths") == inputs.paths and source.get("vars", []) == inputs.vars
    return inputs.plan_path if same else ""


def _run(args: list[str]) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "reconciler", *args], capture_output=True, text=True)
    sys.stderr.write(proc.stderr)
    return proc.returncode, proc.stdout + (proc.stderr if proc.returncode not in (0, 2) else "")


def _summary(env: dict[str, str], markdown: str) -> None:
    path = env.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(markdown[:SUMMARY_LIMIT] + "\n")


def _outputs(env: dict[str, str], values: dict[str, str]) -> None:
    path = env.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as outputs:
            outputs.writelines(f"{key}={value}\n" for key, value in values.items())


def _comment(env: dict[str, str], markdown: str, shard: str) -> None:
    """On a pull request with a token, keep one plan comment on it (one per shard) up to date, found by its
    marker."""
    if env.get("GITHUB_EVENT_NAME") not in ("pull_request", "pull_request_target") or not env.get(
        "GITHUB_TOKEN"
    ):
        return
    event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
    number = int(event["pull_request"]["number"])
    run_url = None
    if env.get("GITHUB_RUN_ID"):
        run_url = (
            f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env['GITHUB_REPOSITORY']}/actions/runs/"
            f"{env['GITHUB_RUN_ID']}"
        )
    with github_client(env.get("GITHUB_API_URL", "https://api.github.com"), env["GITHUB_TOKEN"]) as client:
        how, comment_id = upsert_comment(
            client,
            env["GITHUB_REPOSITORY"],
            number,
            comment_body(markdown, run_url=run_url, shard=shard),
            marker(shard),
        )
    print(f"plan comment {how} (id {comment_id})", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
