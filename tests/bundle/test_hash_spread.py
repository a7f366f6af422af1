"""`H` in a cron and `spread` on an `every`, as a user meets them: validate locates a bad one, plan shows the
concrete value with what was written beside it, apply sends the concrete value (Cadenya; Oz, a UTC-only cron
platform), a second plan has nothing to do, preview and export show the concrete times."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler.sandbox.temporal_dev import DevServer
from tests.conftest import Run, run_cli

# What the pinned hash (tests/timing/test_hashed.py) gives team/briefing and team/digest.
BRIEFING = "55 9 * * 1-5"
DIGEST_OFFSET = "1h57m"
STANDUP = "13 9 * * 1-5"  # team/standup: `0 9 * * mon-fri` with spread: 30m


def bundle(target: str, briefing: str = "H 9 * * mon-fri", extra: str = "") -> str:
    return f"""\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: team
target: {target}
schedules:
  - name: briefing
    agent: agent_a
    when: {{cron: "{briefing}"}}
    input: {{message: hi}}
  - name: digest
    agent: agent_a
    when: {{every: 6h, spread: true}}
    input: {{message: hi}}
  - name: standup
    agent: agent_a
    when: {{cron: "0 9 * * mon-fri", spread: 30m}}
    input: {{message: hi}}
{extra}"""


def run(tmp_path: Path, *args: str) -> Run:
    return run_cli(*args, cwd=tmp_path)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "team.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "target", ["{provider: cadenya, workspace: ws_demo}", "{provider: oz}"], ids=["cadenya", "oz"]
)
def test_validate_plan_apply_and_a_second_plan_has_nothing_to_do(tmp_path: Path, target: str) -> None:
    path = write(tmp_path, bundle(target))
    assert run(tmp_path, "validate", path).code == 0
    planned = run(tmp_path, "plan", "--sandbox", path)
    assert f'when.cron: "{BRIEFING}"  (H 9 * * mon-fri)' in planned.out, planned.out
    assert f'when.offset: "{DIGEST_OFFSET}"  (spread: true)' in planned.out, planned.out
    assert f'when.cron: "{STANDUP}"  (0 9 * * mon-fri, spread: 30m)' in planned.out, planned.out
    applied = run(tmp_path, "apply", "--sandbox", "--auto-approve", path)
    assert applied.code == 0, applied.out + applied.err
    again = run(tmp_path, "plan", "--sandbox", "--detailed-exitcode", path)
    assert again.code == 0 and "No changes" in again.out, again.out + again.err
    exported = run(tmp_path, "export", "--sandbox", "--bundle-key", "team", *_scope(target))
    # The concrete values, each with a comment naming what the bundle wrote (the marker recorded it).
    assert f"cron: {BRIEFING}  # from: H 9 * * mon-fri" in exported.out, exported.out
    assert f"offset: {DIGEST_OFFSET}  # from: spread: true" in exported.out, exported.out
    assert f"cron: {STANDUP}  # from: 0 9 * * mon-fri, spread: 30m" in exported.out, exported.out
    Path(path).write_text(exported.out)  # over the bundle's own file, as a user round-trips it
    replanned = run(tmp_path, "plan", "--sandbox", "--detailed-exitcode", path)
    assert replanned.code == 0 and "No changes" in replanned.out, replanned.out + replanned.err


def _scope(target: str) -> list[str]:
    provider = re.search(r"provider: (\w+)", target)
    assert provider is not None
    workspace = re.search(r"workspace: (\w+)", target)
    return ["--provider", provider[1], *(["--workspace", workspace[1]] if workspace else [])]


def test_preview_shows_the_concrete_times(tmp_path: Path) -> None:
    path = write(tmp_path, bundle("{provider: cadenya, workspace: ws_demo}"))
    shown = run(tmp_path, "preview", "--count", "2", "--from", "2026-12-07T00:00:00Z", path)
    assert shown.code == 0, shown.err
    assert "Mon 2026-12-07 09:55:00 UTC" in shown.out
    assert "Mon 2026-12-07 01:57:00 UTC" in shown.out  # every 6h from the epoch, shifted by 1h57m
    assert "Mon 2026-12-07 09:13:00 UTC" in shown.out  # standup: 09:00 spread over 30 minutes


def test_calendar_counts_the_concrete_minutes(tmp_path: Path) -> None:
    """Briefing (`H 9`) and standup (`0 9`, spread) both ask for 09:something: without H and spread they
    would collide at 09:00."""
    target = "{provider: cadenya, workspace: ws_demo}"
    for text, most in (
        (bundle(target, briefing="0 9 * * mon-fri").replace("spread: 30m", ""), 2),
        (bundle(target), 1),
    ):
        shown = run(
            tmp_path, "calendar", "--from", "2026-12-07T00:00:00Z", "--days", "1", write(tmp_path, text)
        )
        assert shown.code == 0, shown.err
        assert f"Most schedules in one minute: {most}" in shown.out, shown.out


def test_a_rename_keeps_the_minute(tmp_path: Path) -> None:
    renamed = bundle("{provider: cadenya, workspace: ws_demo}").replace(
        "  - name: briefing\n", "  - name: morning\n    renamedFrom: briefing\n"
    )
    shown = run(tmp_path, "plan", "--sandbox", write(tmp_path, renamed))
    assert f'when.cron: "{BRIEFING}"' in shown.out, shown.out


def test_another_name_gets_its_own_minute(tmp_path: Path) -> None:
    other = bundle("{provider: cadenya, workspace: ws_demo}").replace("name: briefing", "name: evening")
    shown = run(tmp_path, "plan", "--sandbox", write(tmp_path, other))
    assert "(H 9 * * mon-fri)" in shown.out and f'"{BRIEFING}"' not in shown.out, shown.out


def _located(text: str, needle: str) -> str:
    line = next(n for n, row in enumerate(text.splitlines(), 1) if needle in row)
    return f"team.yaml:{line}:"


@pytest.mark.parametrize(
    ("cron", "why"),
    [
        ("H(50-70) 9 * * *", "within 0-59"),
        ("H/0 * * * *", "at least 1"),
        ("0 H(20-30) * * *", "within 0-23"),
    ],
)
def test_validate_refuses_a_bad_h_at_the_field(tmp_path: Path, cron: str, why: str) -> None:
    text = bundle("{provider: cadenya, workspace: ws_demo}", briefing=cron)
    result = run(tmp_path, "validate", write(tmp_path, text))
    assert result.code == 1
    assert _located(text, cron) in result.out + result.err and why in result.out + result.err


@pytest.mark.parametrize(
    ("target", "when", "why"),
    [
        ("{provider: cadenya, workspace: ws_demo}", '{cron: "45 9 * * *", spread: 30m}', "at most 15m here"),
        (
            "{provider: cadenya, workspace: ws_demo}",
            '{at: "2030-01-01T00:00:00Z", spread: 30m}',
            "not a one-off",
        ),
        ("{provider: cadenya, workspace: ws_demo}", "{every: 1h, spread: 2h}", "must fit within"),
        ("{provider: orq}", "{every: 1h, spread: true}", "no interval offset"),
    ],
)
def test_validate_refuses_a_spread_it_cannot_honour(tmp_path: Path, target: str, when: str, why: str) -> None:
    extra = f"  - name: extra\n    agent: agent_a\n    when: {when}\n    input: {{message: hi}}\n"
    text = bundle(target, extra=extra)
    if "orq" in target:  # orq's own rules for the other two schedules are not the point here
        text = text.split("schedules:\n")[0] + "schedules:\n" + extra
    result = run(tmp_path, "validate", write(tmp_path, text))
    assert result.code == 1
    assert _located(text, when) in result.out + result.err and why in result.out + result.err, result.out


def test_temporal_runs_the_concrete_values_and_a_second_plan_is_empty(
    temporal_server: DevServer, tmp_path: Path
) -> None:
    """A real Temporal server: the cron (sent as a calendar), the spread offset and a spread calendar."""
    extra = (
        "  - name: weekly\n    agent: agent_a\n"
        "    when: {spread: 20m, calendars: [{hour: [{start: 10}], minute: [{start: 0, end: 59, step: 20}]}]}\n"
    )
    text = bundle("{provider: temporal, taskQueue: agents}", extra=extra).replace("team", "hashed")
    path = write(tmp_path, text)
    env = {"TEMPORAL_HTTP_ADDRESS": temporal_server.http_url, "TEMPORAL_NAMESPACE": temporal_server.namespace}
    try:
        applied = run_cli("apply", "--auto-approve", path, env=env, cwd=tmp_path)
        assert applied.code == 0, applied.out + applied.err
        assert "(H 9 * * mon-fri)" in applied.out and "(calendars, spread: 20m)" in applied.out, applied.out
        again = run_cli("plan", "--detailed-exitcode", path, env=env, cwd=tmp_path)
        assert again.code == 0 and "No changes" in again.out, again.out + again.err
        flags = ["--provider", "temporal", "--task-queue", "agents", "--bundle-key", "hashed", "--out", path]
        exported = run_cli("export", *flags, env=env, cwd=tmp_path)
        assert exported.code == 0, exported.err
        written = Path(path).read_text()
        assert "  # from: H 9 * * mon-fri" in written, written  # bundleKey hashed: its own minute
        assert "# from: spread: 20m" in written and "# from: spread: true" in written, written
        replanned = run_cli("plan", "--detailed-exitcode", path, env=env, cwd=tmp_path)
        assert replanned.code == 0 and "No changes" in replanned.out, replanned.out + replanned.err
    finally:
        emptied = text.split("schedules:\n")[0] + "prune: delete\nschedules: []\n"
        write(tmp_path, emptied)
        run_cli("apply", "--auto-approve", "--allow-empty", path, env=env, cwd=tmp_path)
