"""Machine output through the real CLI against the Cadenya sandbox: one plan JSON shape for any number of
bundles (checked against schemas/plan.schema.json), saved plans shown offline and applied with `apply
PLANFILE`, and failures under `--format json` as JSON documents that never carry a secret."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT, Run
from tests.e2e.support import bundle_text, cli, requests_made, write
from tests.sandbox_server import Server, running_sandbox

WS = "ws_machine"
PLAN_SCHEMA = jsonschema.Draft202012Validator(
    json.loads((ROOT / "schemas" / "plan.schema.json").read_text()),
    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
)
SECRET = "canary-machine-secret-7f3a"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", "agent_a,agent_b") as srv:
        yield srv


def bundle(key: str, *names: str, agent: str = "agent_a") -> str:
    schedules = [
        {
            "name": name,
            "agent": agent,
            "when": {"cron": "0 9 * * 1-5"},
            "input": {"message": f"Briefing {name}", "secrets": {"token": "{{ secret('TOKEN') }}"}},
        }
        for name in names
    ]
    return bundle_text({"provider": "cadenya", "workspace": WS}, schedules, key)


def conforms(document: Any) -> None:
    errors = sorted(PLAN_SCHEMA.iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def json_of(run: Run) -> dict[str, Any]:
    assert "Traceback" not in run.err, run.err
    document: dict[str, Any] = json.loads(run.out)
    return document


def test_plan_json_has_one_shape_for_one_bundle_and_for_two(sandbox: Server, tmp_path: Path) -> None:
    one = write(tmp_path, bundle("first", "a", "b"), "first.yaml")
    two = write(tmp_path, bundle("second", "c", agent="agent_b"), "second.yaml")
    env = {"TOKEN": SECRET, "TMPDIR": str(tmp_path)}  # where apply --format json saves the plan it shows

    single = json_of(cli(sandbox, "plan", "--format", "json", one, env=env))
    both = json_of(cli(sandbox, "plan", "--format", "json", one, two, env=env))
    for document in (single, both):
        conforms(document)
        # `load`: runs and cost before and after, per bundle and agent, for the bundles together
        assert list(document) == ["format_version", "summary", "bundles", "load"]
        assert document["format_version"] == 2
        assert [b["bundle_key"] for b in document["load"]["bundles"]] == [
            b["bundle_key"] for b in document["bundles"]
        ]
    assert [b["bundle_key"] for b in single["bundles"]] == ["first"]
    assert [b["bundle_key"] for b in both["bundles"]] == ["first", "second"]
    assert single["summary"]["create"] == 2 and both["summary"]["create"] == 3  # every bundle together
    assert [a["name"] for a in both["bundles"][1]["actions"]] == ["c"]

    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", "--out", str(saved), one, two, env=env).code == 0
    file = json.loads(saved.read_text())
    conforms(file)
    assert file["source"] == {"paths": [one, two], "vars": [], "allow_empty": False}

    asked = cli(sandbox, "apply", "--format", "json", one, two, env=env)
    assert asked.code == 4, asked.err
    conforms(json_of(asked)["plan"])
    applied = cli(sandbox, "apply", "--format", "json", "--auto-approve", one, two, env=env)
    assert applied.code == 0, applied.err
    conforms(json_of(applied)["plan"])
    after = json_of(cli(sandbox, "plan", "--format", "json", one, two, env=env))
    conforms(after)
    assert after["summary"]["noop"] == 3 and sum(after["summary"].values()) == 3
    for document in (single, both, file, after):
        assert SECRET not in json.dumps(document)
    assert "(sensitive)" in json.dumps(both)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_show_prints_a_saved_plan_as_plan_did_without_contacting_the_platform(
    sandbox: Server, tmp_path: Path, fmt: str
) -> None:
    path = write(tmp_path, bundle("team", "a", "b"))
    assert cli(sandbox, "apply", "--auto-approve", path, env={"TOKEN": SECRET}).code == 0
    edited = write(tmp_path, bundle("team", "a", "c"))  # b archived, c created
    saved = tmp_path / "plan.json"
    planned = cli(sandbox, "plan", "--format", fmt, "--out", str(saved), edited, env={"TOKEN": "rotated"})
    assert planned.code == 0, planned.err

    before = requests_made(sandbox)
    shown = cli(sandbox, "show", str(saved), "--format", fmt)
    assert shown.code == 0, shown.err
    assert shown.out == planned.out  # the same explainer over the same frozen plan
    assert requests_made(sandbox) == before  # offline
    assert "archive" in shown.out and "(sensitive)" in shown.out and "rotated" not in shown.out


def test_show_refuses_what_is_not_a_current_plan(sandbox: Server, tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"format_version": 1, "bundle_key": "team", "actions": []}))
    text = cli(sandbox, "show", str(old))
    assert text.code == 1
    assert "format_version 1 is not supported: this reconciler reads format_version 2" in text.err
    as_json = cli(sandbox, "show", str(old), "--format", "json")
    assert as_json.code == 1 and json_of(as_json)["error"]["kind"] == "invalid_plan_file"
    bundle_file = write(tmp_path, bundle("team", "a"))
    assert cli(sandbox, "show", bundle_file).code == 1


def test_apply_planfile_applies_the_reviewed_plan_without_asking_and_refuses_it_once_stale(
    sandbox: Server, tmp_path: Path
) -> None:
    path = write(tmp_path, bundle("team", "a", "b"))
    saved = tmp_path / "plan.json"
    assert cli(sandbox, "plan", "--out", str(saved), path, env={"TOKEN": SECRET}).code == 0

    asks = cli(sandbox, "apply", "--plan", str(saved), env={"TOKEN": SECRET})  # --plan still asks
    assert asks.code == 1 and "--auto-approve" in asks.err
    applied = cli(sandbox, "apply", str(saved), env={"TOKEN": SECRET})  # no terminal, no --auto-approve
    assert applied.code == 0, applied.err
    assert "Plan: 2 to create" in applied.out and "Apply complete: 2 action(s) done." in applied.out
    assert cli(sandbox, "plan", "--detailed-exitcode", path, env={"TOKEN": SECRET}).code == 0

    again = cli(sandbox, "apply", str(saved), env={"TOKEN": SECRET})
    assert again.code == 1 and "is stale" in again.err
    mixed = cli(sandbox, "apply", str(saved), path, env={"TOKEN": SECRET})
    assert mixed.code == 1 and "apply it alone" in mixed.err


def test_apply_json_confirmation_command_applies_the_saved_plan(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle("team", "a"))
    env = {**sandbox.env, "TOKEN": SECRET}
    asked = cli(
        sandbox,
        "apply",
        "--format",
        "json",
        "--parallelism",
        "2",
        path,
        env={"TOKEN": SECRET, "TMPDIR": str(tmp_path)},
    )
    assert asked.code == 4, asked.err
    result = json_of(asked)
    assert result["result"] == "confirmation_required"
    assert Path(result["plan_file"]).parent == tmp_path
    argv = shlex.split(result["command"])
    assert argv[:3] == ["reconciler", "apply", result["plan_file"]] and "--auto-approve" not in argv
    confirmed = subprocess.run(
        [sys.executable, "-m", "reconciler", *argv[1:]],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
    )
    assert confirmed.returncode == 0, confirmed.stderr
    assert json.loads(confirmed.stdout)["result"] == "applied"


# ---- failures under --format json ---------------------------------------------------------------------------


def test_an_invalid_bundle_is_a_json_error_with_located_diagnostics(sandbox: Server, tmp_path: Path) -> None:
    broken = json.loads(bundle("team", "a"))
    broken["schedules"][0]["when"]["cron"] = "0 25 * * *"
    broken["schedules"].append({**broken["schedules"][0], "name": "{{ secret('TOKEN') }} x"})
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(broken, indent=2))
    cron_line = 1 + next(i for i, line in enumerate(path.read_text().splitlines()) if "0 25 * * *" in line)
    before = requests_made(sandbox)
    for verb in (["plan"], ["apply", "--auto-approve"], ["validate"], ["preview"], ["calendar"]):
        run = cli(sandbox, *verb, "--format", "json", str(path), env={"TOKEN": SECRET})
        assert run.code == 1, (verb, run.out, run.err)
        document = json_of(run)
        assert document["error"]["kind"] == "invalid_bundle", verb
        assert SECRET not in run.out + run.err
        cron = next(d for d in document["diagnostics"] if "0 25 * * *" in d["message"])
        assert (
            (ROOT / cron["file"]).resolve() == path.resolve()
            and cron["line"] == cron_line
            and cron["col"] > 0
        )
        assert cron["field"] == "schedules[0].when.cron"
        assert any(d.get("field") == "schedules[1].name" for d in document["diagnostics"]), document
    assert requests_made(sandbox) == before  # nothing was sent


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_platform_is_a_json_error_without_secrets(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle("team", "a"))
    url = f"http://127.0.0.1:{_closed_port()}"
    key = "canary-machine-apikey-91c2"
    env = {"TOKEN": SECRET, "CADENYA_API_KEY": key, "RECONCILER_LOG": "debug"}
    run = cli(sandbox, "plan", "--format", "json", "--endpoint", url, path, env=env)
    assert run.code == 1
    document = json_of(run)
    assert (
        document["error"]["kind"] == "transport" and f"could not reach {url}" in document["error"]["message"]
    )
    assert document["diagnostics"] == []
    assert SECRET not in run.out + run.err and key not in run.out + run.err


def test_usage_errors_and_validate_success_are_json_too(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path, bundle("team", "a"))
    unknown = cli(sandbox, "plan", "--format", "json", "--no-such-option", path)
    assert unknown.code == 1 and json_of(unknown)["error"]["kind"] == "usage"
    assert "--no-such-option" in json_of(unknown)["error"]["message"]
    listing = cli(
        sandbox, "bundles", "--matrix", "--format", "json", "--shards", "x", path
    )  # a CI job's input
    assert listing.code == 1 and json_of(listing)["error"]["kind"] == "usage"
    missing = cli(sandbox, "apply", "--format=json")
    assert missing.code == 1 and json_of(missing)["error"]["kind"] == "config"
    valid = cli(sandbox, "validate", "--format", "json", path, env={"TOKEN": SECRET})
    assert valid.code == 0
    assert json_of(valid) == {"bundles": 1, "schedules": 1, "skipped": [], "diagnostics": []}
    text = cli(sandbox, "plan", "--no-such-option", path)  # without --format json: as before, for people
    assert text.code == 1 and text.out == "" and "No such option" in text.err
