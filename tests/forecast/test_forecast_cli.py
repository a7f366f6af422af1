"""`reconciler preview` and `reconciler calendar` as a user runs them: files in, text / JSON / HTML out,
exit codes (0; 1 invalid bundle or option; 2 calendar --fail-on-collision), no secret in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli.main import main
from tests.conftest import run_cli

BUNDLE = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: team
target: {provider: cadenya, workspace: ws}
schedules:
  - name: briefing
    agent: agent_a
    when: {cron: "0 9 * * mon-fri", timezone: Europe/Berlin}
    input: {message: "Morning", secrets: {token: "{{ secret('FORECAST_TOKEN') }}"}}
  - name: sync
    agent: agent_b
    when: {every: 1h}
  - name: nine-utc
    agent: agent_c
    when: {cron: "0 8 * * *"}
"""
TBD = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: tbd
target: {provider: tbd-agents}
schedules:
  - name: sweep
    agent: wf_1
    when: {every: 2h, start: "2026-03-01T00:00:00Z"}
"""
SECRET = "s3cr3t-value-never-printed"


@pytest.fixture
def bundles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FORECAST_TOKEN", SECRET)
    (tmp_path / "team.yaml").write_text(BUNDLE)
    (tmp_path / "tbd.yaml").write_text(TBD)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    return code, out, err


def test_preview_text_shows_local_and_utc_and_notes(
    bundles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "preview", str(bundles), "--from", "2026-03-27T10:00:00Z", "--count", "2")
    assert code == 0
    assert "team/briefing  (cadenya · agent agent_a · cron 0 9 * * 1-5 · Europe/Berlin)" in out
    assert "Mon 2026-03-30 09:00:00 +02:00 CEST   =  2026-03-30 07:00:00 UTC" in out
    assert "note: Europe/Berlin changes its UTC offset" in out
    assert "   Fri 2026-03-27 11:00:00 UTC" in out  # sync, hourly
    assert " ~ Fri 2026-03-27 12:00:00 UTC" in out  # tbd: 2h lattice from start, marked approximate
    assert "shown as if registered at 2026-03-01T00:00:00Z" in out


def test_preview_json(bundles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "preview",
        str(bundles / "team.yaml"),
        "--from",
        "2026-03-27T10:00",
        "--count",
        "3",
        "--format",
        "json",
    )
    assert code == 0
    document = json.loads(out)
    assert document["from"] == "2026-03-27T10:00:00Z" and document["count"] == 3
    briefing = document["schedules"][0]
    assert briefing["name"] == "briefing" and briefing["provider"] == "cadenya" and briefing["exact"] is True
    assert briefing["fires"][0] == {"utc": "2026-03-30T07:00:00Z", "local": "2026-03-30T09:00:00+02:00"}
    assert briefing["when"] == {"timezone": "Europe/Berlin", "cron": "0 9 * * 1-5"}
    assert "input" not in briefing
    assert [len(s["fires"]) for s in document["schedules"]] == [3, 3, 3]


def test_preview_default_from_is_now(bundles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "preview", str(bundles), "--count", "1")
    assert code == 0 and "Next 1 fire(s) after" in out


def test_bad_from_is_a_usage_error(bundles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "preview", str(bundles), "--from", "next tuesday")
    assert code == 1 and "'--from'" in err and "ISO 8601" in err
    code, _, err = run(capsys, "calendar", str(bundles), "--timezone", "Europe/Berln")
    assert code == 1 and "did you mean 'Europe/Berlin'" in err


def test_invalid_bundle_exits_1_with_the_location(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text(TBD.replace("every: 2h", "every: 2w"))
    for verb in ("preview", "calendar"):
        code, _, err = run(capsys, verb, str(tmp_path))
        assert code == 1 and "bad.yaml:8:" in err


def test_calendar_text_heatmap_legend_and_report(bundles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", str(bundles), "--from", "2026-03-23", "--max-fires-per-day", "20")
    assert code == 0
    assert "Fires per hour, Mon 2026-03-23 00:00 → Mon 2026-03-30 00:00 (UTC) · 4 schedule(s)" in out
    assert "\x1b[" not in out  # not a terminal: no colour
    assert "legend, fires per hour: ·· 0" in out and "█" in out
    assert "Busiest minutes (UTC)" in out and "Busiest hours (UTC)" in out
    assert "Fires per agent per day (UTC)" in out and "cadenya:ws/agent_b" in out
    assert (
        "Over the budget of 20 fire(s) a day (UTC days)" in out and "team/sync: 24 on Mon 2026-03-23" in out
    )
    assert "Europe/Berlin changes from UTC+01:00 to UTC+02:00 at 2026-03-29T01:00:00Z" in out
    assert "tbd/sweep: tbd-agents counts 'every 2h'" in out


def test_fail_on_collision_exit_codes(bundles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 08:00Z on weekdays: briefing (09:00 CET), sync, nine-utc and the tbd sweep all fire: 4 in one minute.
    args = ("calendar", str(bundles), "--from", "2026-03-23", "--days", "1")
    code, out, err = run(capsys, *args, "--fail-on-collision", "3")
    assert code == 2
    assert (
        "Most schedules in one minute: 4 (Mon 2026-03-23 08:00 UTC): more than --fail-on-collision 3." in out
    )
    assert "collision: 4 schedules fire in the same minute, more than --fail-on-collision 3" in err
    code, out, err = run(capsys, *args, "--fail-on-collision", "4")
    assert code == 0 and "within --fail-on-collision 4" in out and "collision" not in err
    assert run(capsys, *args)[0] == 0


def test_calendar_json(bundles: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "calendar",
        str(bundles),
        "--from",
        "2026-03-23T00:00:00+01:00",
        "--days",
        "2",
        "--timezone",
        "Europe/Berlin",
        "--format",
        "json",
        "--fail-on-collision",
        "3",
    )
    assert code == 2
    document = json.loads(out)
    assert document["from"] == "2026-03-22T23:00:00Z" and document["to"] == "2026-03-24T23:00:00Z"
    assert document["timezone"] == "Europe/Berlin" and document["collision"] is True
    assert document["most_schedules_in_one_minute"] == 4
    assert document["heatmap"]["days"] == ["2026-03-23", "2026-03-24"]
    assert sum(map(sum, document["heatmap"]["counts"])) == document["total_fires"] == 2 * (1 + 24 + 1 + 12)
    assert document["same_instant"][0]["schedules"] == [
        "tbd/sweep",
        "team/briefing",
        "team/sync",
        "team/nine-utc",
    ]


def test_calendar_html_file(bundles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "calendar.html"
    code, _, err = run(capsys, "calendar", str(bundles), "--from", "2026-03-23", "--html", str(target))
    assert code == 0 and f"HTML report written to {target}" in err
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<svg id="heatmap"' in page and SECRET not in page


def test_paused_schedules_are_left_out_unless_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "b.yaml").write_text(TBD.replace("    when:", "    state: paused\n    when:"))
    _, out, _ = run(capsys, "calendar", str(tmp_path), "--from", "2026-03-23", "--days", "1")
    assert "0 schedule(s)" in out and "left out, paused: tbd/sweep" in out
    _, out, _ = run(
        capsys, "calendar", str(tmp_path), "--from", "2026-03-23", "--days", "1", "--include-paused"
    )
    assert "1 schedule(s) · 12 fire(s)" in out


def test_repository_examples_through_the_real_cli(tmp_path: Path) -> None:
    result = run_cli("preview", "bundles", "examples", "--from", "2026-03-23", "--count", "2")
    assert result.code == 0, result.err
    assert "example-orq/launch-announcement" in result.out
    result = run_cli(
        "calendar",
        "bundles",
        "examples",
        "--from",
        "2026-03-23",
        "--fail-on-collision",
        "2",
        "--html",
        str(tmp_path / "c.html"),
    )
    assert result.code == 2, result.err
    assert (tmp_path / "c.html").stat().st_size > 10_000


def test_calendar_defaults_to_today_in_its_timezone(
    bundles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "calendar", str(bundles), "--days", "1", "--timezone", "Asia/Kolkata")
    assert code == 0 and " 00:00 → " in out.splitlines()[0] and "(Asia/Kolkata)" in out
