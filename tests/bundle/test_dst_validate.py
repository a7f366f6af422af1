"""`reconciler validate` warns about wall times a DST change skips or repeats: text, json, github, --strict; and
`plan` / `apply` are not stopped by a warning.

The CLI computes from the real "now": the expected dates are the EU's rule (last Sundays of March and
October) in the 12 months from today, worked out here without zoneinfo.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.e2e.support import cli
from tests.sandbox_server import Server, running_sandbox

TRAP = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: team
target: {provider: cadenya, workspace: ws_dst}
schedules:
  - name: fine
    agent: agent_a
    when: {cron: "30 3 * * *", timezone: Europe/Berlin}
  - name: nightly
    agent: agent_a
    when:
      timezone: Europe/Berlin
      cron: "30 2 * * *"
"""
CRON_LINE, CRON_COL = 13, 13


def eu_changes() -> tuple[str, str]:
    """The next last-Sunday-of-March and last-Sunday-of-October within 12 months of today (UTC)."""
    today = datetime.now(UTC).date()

    def last_sunday(year: int, month: int) -> date:
        day = date(year, month + 1, 1) - timedelta(days=1)
        return day - timedelta(days=day.isoweekday() % 7)

    def next_one(month: int) -> str:
        for year in (today.year, today.year + 1):
            day = last_sunday(year, month)
            if today < day <= today + timedelta(days=365):
                return day.isoformat()
        raise AssertionError("no change within a year")

    return next_one(3), next_one(10)


def write(tmp_path: Path, text: str = TRAP) -> str:
    path = tmp_path / "b.yaml"
    path.write_text(text)
    return str(path)


def test_text_warns_at_the_cron_with_the_dates_and_keeps_exit_0(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = run_cli("validate", path)
    assert result.code == 0, result.out + result.err
    march, october = eu_changes()
    [warning] = [line for line in result.out.splitlines() if ": warning: " in line]
    assert warning.split(": warning: ")[0].endswith(f"/b.yaml:{CRON_LINE}:{CRON_COL}")
    assert ": warning: schedule 'nightly': when.cron '30 2 * * *' in when.timezone Europe/Berlin" in warning
    assert f"02:30 does not exist on {march}" in warning and "cadenya skips it that day" in warning
    assert f"02:30 happens twice on {october}" in warning and "cadenya fires it twice that day" in warning
    assert "timezone: UTC" in warning and "03:30" in warning
    assert "1 bundle(s), 2 schedule(s): valid, 1 warning(s)." in result.out


def test_strict_makes_a_warning_fail(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = run_cli("validate", "--strict", path)
    assert result.code == 1
    assert ": warning: schedule 'nightly'" in result.out
    assert "--strict" in result.err


def test_without_a_trap_strict_passes_and_the_summary_is_unchanged(tmp_path: Path) -> None:
    path = write(tmp_path, TRAP.replace('"30 2 * * *"', '"30 3 * * *"'))
    result = run_cli("validate", "--strict", path)
    assert result.code == 0, result.out + result.err
    assert "warning" not in result.out
    assert result.out.strip() == "1 bundle(s), 2 schedule(s): valid."


def test_json_lists_warnings_beside_diagnostics(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = run_cli("validate", "--format", "json", path)
    assert result.code == 0
    document = json.loads(result.out)
    assert document["diagnostics"] == [] and document["bundles"] == 1 and document["schedules"] == 2
    [warning] = document["warnings"]
    assert warning["file"].endswith("/b.yaml") and (warning["line"], warning["col"]) == (CRON_LINE, CRON_COL)
    assert warning["field"] == "schedules[1].when.cron"
    assert eu_changes()[0] in warning["message"]
    assert run_cli("validate", "--format", "json", "--strict", path).code == 1


def test_json_of_an_invalid_run_keeps_the_error_document_and_adds_the_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, TRAP + '  - name: broken\n    agent: agent_a\n    when: {cron: "99 * * * *"}\n')
    result = run_cli("validate", "--format", "json", path)
    assert result.code == 1
    document = json.loads(result.out)
    assert document["error"]["kind"] == "invalid_bundle"
    assert [d["line"] for d in document["diagnostics"]] == [16]
    assert "warnings" not in document  # an invalid bundle is not checked further; none: no key


def test_json_of_an_invalid_run_lists_the_warnings_of_the_valid_bundles(tmp_path: Path) -> None:
    write(tmp_path)
    broken = TRAP.replace("bundleKey: team", "bundleKey: other").replace("30 3 * * *", "bad")
    (tmp_path / "c.yaml").write_text(broken)
    result = run_cli("validate", "--format", "json", str(tmp_path))
    assert result.code == 1
    document = json.loads(result.out)
    assert document["error"]["kind"] == "invalid_bundle"
    assert [d["file"].rsplit("/", 1)[1] for d in document["diagnostics"]] == ["c.yaml"]
    assert [w["file"].rsplit("/", 1)[1] for w in document["warnings"]] == ["b.yaml"]


def test_errors_come_first_then_the_warnings_of_the_other_bundles(tmp_path: Path) -> None:
    write(tmp_path)
    broken = TRAP.replace("bundleKey: team", "bundleKey: other").replace("30 3 * * *", "bad")
    (tmp_path / "c.yaml").write_text(broken)
    result = run_cli("validate", str(tmp_path))
    assert result.code == 1
    lines = result.out.splitlines()
    assert "c.yaml:8:" in lines[0] and ": warning: " not in lines[0]
    assert "b.yaml:13:13: warning: schedule 'nightly'" in lines[-1]
    assert "1 problem(s) found, 1 warning(s)." in result.err


def test_github_prints_warning_annotations(tmp_path: Path) -> None:
    path = write(tmp_path)
    result = run_cli("validate", "--format", "github", path)
    assert result.code == 0
    [line] = result.out.splitlines()
    assert line.startswith("::warning file=") and "/b.yaml," in line
    assert f",line={CRON_LINE},col={CRON_COL}::schedule 'nightly': when.cron '30 2 * * *'" in line


def test_a_utc_only_platform_gets_no_warning(tmp_path: Path) -> None:
    text = TRAP.replace("{provider: cadenya, workspace: ws_dst}", "{provider: orq}").replace(
        "timezone: Europe/Berlin", "timezone: UTC"
    )
    result = run_cli("validate", "--strict", write(tmp_path, text))
    assert result.code == 0, result.out + result.err
    assert "warning" not in result.out


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", "ws_dst", "--agents", "agent_a") as srv:
        yield srv


@pytest.fixture
def sandbox(server: Server) -> Server:
    server.admin("POST", "reset")
    return server


def test_plan_and_apply_are_not_stopped_by_a_warning(sandbox: Server, tmp_path: Path) -> None:
    path = write(tmp_path)
    planned = cli(sandbox, "plan", "--detailed-exitcode", path)
    assert planned.code == 2, planned.out + planned.err
    assert "warning" not in planned.out + planned.err
    applied = cli(sandbox, "apply", "--auto-approve", path)
    assert applied.code == 0, applied.out + applied.err
    assert cli(sandbox, "plan", "--detailed-exitcode", path).code == 0
