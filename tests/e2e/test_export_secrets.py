"""`export` never writes a value the reconciler read from secret() (issue 17, item 3): the real CLI against
each platform's sandbox server.

Platforms store a secret written into a message, data, a label or an option in clear. Where the ownership
marker can record which fields hold one, it does, and `export` writes a `secret()` placeholder there; where
it cannot (agentex legacy's workflow_params, tbd-agents' prompt), `export` writes no owned value of that
field and says so. (`tests/security/test_secrets_never_leak.py` runs export on every revision, with canaries.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, run_cli
from tests.e2e.support import bundle_text, cli, write
from tests.sandbox_server import Server, running_sandbox

SECRET = "canary-export-3b71d0"
S = "{{ secret('TOKEN') }}"
ENV = {"TOKEN": SECRET}

# revision -> (sandbox arguments, target, export arguments, schedule with a secret in a clear-stored field,
# the same with that field's value written out, where the field is in the exported YAML)
Platform = tuple[tuple[str, ...], dict[str, Any], tuple[str, ...], dict[str, Any], dict[str, Any], str]
WHEN = {"cron": "0 9 * * *"}
PLATFORMS: dict[str, Platform] = {
    "cadenya": (
        ("cadenya", "--workspace", "ws_x", "--agents", "agent_a"),
        {"provider": "cadenya", "workspace": "ws_x"},
        ("--provider", "cadenya", "--workspace", "ws_x"),
        {"agent": "agent_a", "when": WHEN, "input": {"message": f"Brief {S}"}, "labels": {"team": f"t{S}"}},
        {
            "agent": "agent_a",
            "when": WHEN,
            "input": {"message": f"Brief {SECRET}"},
            "labels": {"team": "ops"},
        },
        "message",
    ),
    "oz": (
        ("oz", "--workspace", "team_x", "--agents", "agent_ops"),
        {"provider": "oz"},
        ("--provider", "oz"),
        {"agent": "agent_ops", "when": WHEN, "input": {"message": f"Brief {S}"}},
        {"agent": "agent_ops", "when": WHEN, "input": {"message": f"Brief {SECRET}"}},
        "message",
    ),
    "agentex-run-schedules": (
        ("agentex", "--api", "run-schedules", "--agents", "agent-a"),
        {"provider": "agentex", "api": "run-schedules"},
        ("--provider", "agentex", "--api", "run-schedules"),
        {
            "agent": "agent-a",
            "when": WHEN,
            "input": {"message": "Brief"},
            "options": {"task_params": {"k": S}},
        },
        {
            "agent": "agent-a",
            "when": WHEN,
            "input": {"message": "Brief"},
            "options": {"task_params": {"k": SECRET}},
        },
        "k",
    ),
    "orq": (
        ("orq", "--agents", "digest"),
        {"provider": "orq"},
        ("--provider", "orq"),
        {"agent": "digest", "when": WHEN, "input": {"message": "Brief"}, "options": {"metadata": {"k": S}}},
        {
            "agent": "digest",
            "when": WHEN,
            "input": {"message": "Brief"},
            "options": {"metadata": {"k": SECRET}},
        },
        "k",
    ),
}


@pytest.fixture(scope="module", params=sorted(PLATFORMS))
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    with running_sandbox(*PLATFORMS[request.param][0]) as srv:
        srv.env["PLATFORM"] = request.param
        yield srv


def platform(sandbox: Server) -> Platform:
    return PLATFORMS[sandbox.env["PLATFORM"]]


def run(sandbox: Server, *args: str) -> Run:
    return cli(sandbox, *args, env=ENV)


def export(sandbox: Server) -> str:
    result = run(sandbox, "export", *platform(sandbox)[2], "--bundle-key", "sec")
    assert result.code == 0, result.err
    return result.out


def write_bundle(sandbox: Server, tmp_path: Path, schedule: dict[str, Any]) -> str:
    return write(tmp_path, bundle_text(platform(sandbox)[1], [{"name": "brief", **schedule}], key="sec"))


def test_export_writes_a_placeholder_where_the_bundle_read_a_secret(sandbox: Server, tmp_path: Path) -> None:
    path = write_bundle(sandbox, tmp_path, platform(sandbox)[3])
    assert run(sandbox, "apply", "--auto-approve", path).code == 0
    assert run(sandbox, "plan", "--detailed-exitcode", path).code == 0
    text = export(sandbox)
    assert SECRET not in text
    field = platform(sandbox)[5]
    assert f"{field}: '{{{{ secret(''{field.upper()}'') }}}}'" in text, text


def test_a_value_that_starts_or_stops_reading_a_secret_updates_the_marker(
    sandbox: Server, tmp_path: Path
) -> None:
    """Same text, now read from secret() (or no longer): an update, so the marker says so and export follows."""
    _, _, _, secret, clear, _ = platform(sandbox)
    path = write_bundle(sandbox, tmp_path, clear)
    assert run(sandbox, "apply", "--auto-approve", path).code == 0
    assert SECRET in export(sandbox)  # written as plain text: exported as it is

    write_bundle(sandbox, tmp_path, secret)
    plan = run(sandbox, "plan", "--format", "json", path)
    actions = [a for b in json.loads(plan.out)["bundles"] for a in b["actions"]]
    assert [a["action"] for a in actions] == ["update"], plan.out
    assert all(c.get("sensitive") for c in actions[0]["changes"]), plan.out
    assert run(sandbox, "apply", "--auto-approve", path).code == 0
    assert run(sandbox, "plan", "--detailed-exitcode", path).code == 0
    assert SECRET not in export(sandbox)

    write_bundle(sandbox, tmp_path, clear)
    assert run(sandbox, "plan", "--detailed-exitcode", path).code == 2
    assert run(sandbox, "apply", "--auto-approve", path).code == 0
    assert SECRET in export(sandbox)


# revision -> (sandbox arguments, target, export arguments, owned schedule, the field export must not write)
UNRECORDED: dict[str, tuple[tuple[str, ...], dict[str, Any], tuple[str, ...], dict[str, Any], str]] = {
    "agentex-legacy": (
        ("agentex", "--agents", "agent-a"),
        {"provider": "agentex"},
        ("--provider", "agentex"),
        {
            "agent": "agent-a",
            "when": WHEN,
            "options": {"workflow_name": "wf", "task_queue": "q", "workflow_params": {"token": S, "n": 2}},
        },
        "options.workflow_params.token",
    ),
    "tbd-agents": (
        ("tbd-agents", "--workspace", "x", "--agents", "wf_docs"),
        {"provider": "tbd-agents"},
        ("--provider", "tbd-agents"),
        {
            "agent": "wf_docs",
            "when": {"every": "1d", "start": "2026-12-01T00:00:00Z"},
            "input": {"message": S},
        },
        "input.message",
    ),
}


@pytest.mark.parametrize("revision", sorted(UNRECORDED))
def test_where_the_platform_cannot_record_it_no_owned_value_is_written(revision: str, tmp_path: Path) -> None:
    """agentex legacy and tbd-agents have no field for the record: export writes a placeholder for every
    owned value of the field a secret may be in, and names each on stderr; others' values stay as they are."""
    serve, target, args, schedule, field = UNRECORDED[revision]
    with running_sandbox(*serve) as sandbox:
        path = write(tmp_path, bundle_text(target, [{"name": "brief", **schedule}], key="sec"))
        assert run(sandbox, "apply", "--auto-approve", path).code == 0
        result = run(sandbox, "export", *args, "--bundle-key", "sec")
        assert result.code == 0, result.err
        assert SECRET not in result.out + result.err
        assert "{{ secret(" in result.out, result.out
        assert f"note: brief (agent {schedule['agent']}): {field} is written as a secret() placeholder" in (
            result.err
        ), result.err
        if revision == "agentex-legacy":
            assert "n: 2" in result.out  # a number is never a secret: kept

        other = run(sandbox, "export", *args, "--bundle-key", "someone-else")
        assert other.code == 0 and "name: brief" not in other.out  # another bundle's: left out, as before


def test_agentex_legacy_refuses_a_secret_where_it_is_never_one(tmp_path: Path) -> None:
    """workflow_name, task_queue and the timeout can hold no secret: nothing could keep it out of an export."""
    schedule = {"agent": "agent-a", "when": WHEN, "options": {"workflow_name": S, "task_queue": "q"}}
    path = write(tmp_path, bundle_text({"provider": "agentex"}, [{"name": "brief", **schedule}], key="sec"))
    result = run_cli("validate", path)  # offline: no secret value needed to say so
    assert result.code == 1
    assert "options.workflow_name: secret() is not allowed here: agentex legacy" in result.out, result.out
