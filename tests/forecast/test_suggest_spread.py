"""`calendar --suggest-spread [--window N] [--write]` as a user runs it, and the suggestion's promises over
seeded random inputs: the peak never rises, every move stays in its window, `H(a-b)` ranges hold."""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.bundle.desired import Bundle
from reconciler.cli.main import main
from reconciler.forecast.collisions import most_in_one_minute
from reconciler.forecast.suggest import suggest
from reconciler.forecast.view import build
from reconciler.timing import Timing, parse_cron
from tests.forecast.helpers import bundle, schedule

START = "2026-03-02T00:00:00Z"
MINUTE = re.compile(r"cron: (\"?)[0-9]+ ")


def colliding_bundle() -> str:
    """12 schedules at 09:00 on 3 agents, comments on every kind of line, both quoting styles."""
    lines = [
        "# Morning jobs: everything at nine",
        "apiVersion: reconciler/v1",
        "kind: Bundle",
        "bundleKey: team  # the owner",
        "target: {provider: cadenya, workspace: ws}",
        "schedules:",
    ]
    for i in range(12):
        cron = '"0 9 * * mon-fri"' if i % 2 else "0 9 * * *"
        lines += [
            f"  # job {i} runs for agent {'abc'[i % 3]}",
            f"  - name: job-{i}  # named",
            f"    agent: agent_{'abc'[i % 3]}",
            "    when:  # timing",
            f"      cron: {cron}  # nine",
            "      timezone: UTC",
            "    input: {message: 'Go'}  # the prompt",
        ]
    return "\n".join(lines) + "\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, _ = capsys.readouterr()
    return code, out


def peak(capsys: pytest.CaptureFixture[str], path: str) -> int:
    code, out = run(capsys, "calendar", path, "--from", START, "--format", "json")
    assert code == 0
    return int(json.loads(out)["most_schedules_in_one_minute"])


def test_write_halves_the_peak_and_changes_only_the_moved_scalars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    original = colliding_bundle()
    Path("team.yaml").write_text(original)
    before = peak(capsys, "team.yaml")
    assert before == 12

    args = ("calendar", "team.yaml", "--from", START, "--suggest-spread", "--window", "30")
    code, out = run(capsys, *args, "--write", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert result["before"]["overall"] == 12 and result["after"]["overall"] <= 6
    assert result["written_files"] == ["team.yaml"]

    after = peak(capsys, "team.yaml")
    assert after * 2 <= before and after == result["after"]["overall"]
    old_lines, new_lines = original.splitlines(), Path("team.yaml").read_text().splitlines()
    assert len(old_lines) == len(new_lines)
    changed = {n for n, (old, new) in enumerate(zip(old_lines, new_lines, strict=True), 1) if old != new}
    assert changed == {move["line"] for move in result["moves"]}
    for n in changed:  # the same line, quoting and comment: only the minute differs
        old, new = old_lines[n - 1], new_lines[n - 1]
        assert MINUTE.sub("cron: \\1M ", old) == MINUTE.sub("cron: \\1M ", new) != new

    def comments(lines: list[str]) -> list[str]:
        return [line.split("#", 1)[1] for line in lines if "#" in line]

    assert comments(old_lines) == comments(new_lines) and len(comments(new_lines)) == 2 + 12 * 5

    assert run(capsys, "validate", "team.yaml")[0] == 0
    code, out = run(capsys, *args, "--format", "json")
    assert code == 0 and json.loads(out)["moves"] == []


def test_text_shows_before_after_and_each_change_and_writes_nothing_without_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("team.yaml").write_text(colliding_bundle())
    code, out = run(capsys, "calendar", "team.yaml", "--suggest-spread", "--window", "30")
    assert code == 0
    assert "peak before: 12 schedules in one minute" in out
    assert 'team/job-1  cron: "0 9 * * mon-fri" → "' in out
    assert Path("team.yaml").read_text() == colliding_bundle()


def test_without_window_plain_crons_stay_and_are_listed_as_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("team.yaml").write_text(colliding_bundle())
    code, out = run(capsys, "calendar", "team.yaml", "--suggest-spread", "--format", "json")
    result = json.loads(out)
    assert code == 0 and result["moves"] == [] and len(result["fixed"]) == 12


MIXED = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: mixed
target: {provider: temporal, taskQueue: q}
defaults:
  when: {cron: "0 9 * * *"}  # shared
schedules:
  - name: hashed  # may move within 0-4 only
    agent: wf_a
    when: {cron: "H(0-4) 9 * * *"}
  - name: from-defaults
    agent: wf_b
  - name: fan-{{ item }}
    agent: wf_c
    for_each: [x, y]
    when: {cron: "0 9 * * *"}
  - name: hourly
    agent: wf_d
    when: {every: 1h}  # no offset yet
  - name: hourly-too
    agent: wf_d
    when:
      every: 1h  # block style
"""


def test_defaults_and_templates_are_suggested_not_written_and_offsets_are_added(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mixed.yaml").write_text(MIXED)
    args = ("calendar", "mixed.yaml", "--from", START, "--suggest-spread", "--window", "10", "--write")
    code, out = run(capsys, *args, "--format", "json")
    assert code == 0
    result = json.loads(out)
    moves = {m["schedule"]: m for m in result["moves"]}
    # what the calendar then shows is the peak of the written moves alone, and the report says so
    assert peak(capsys, "mixed.yaml") == result["after_writable_only"]["overall"] > result["after"]["overall"]
    assert "comes from defaults at mixed.yaml:6" in moves["mixed/from-defaults"]["not_written"]
    fan = [m for name, m in moves.items() if name.startswith("mixed/fan-")]
    assert fan and all("for_each template at mixed.yaml:13" in m["not_written"] for m in fan)
    text = Path("mixed.yaml").read_text()
    assert 'when: {cron: "0 9 * * *"}  # shared' in text and "for_each: [x, y]" in text
    offsets = [text.count("when: {every: 1h, offset: "), text.count("      offset: ")]
    assert sorted(offsets) == [0, 1] and "# no offset yet" in text and "every: 1h  # block style" in text
    assert run(capsys, "validate", "mixed.yaml")[0] == 0


def test_window_and_write_need_suggest_spread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("team.yaml").write_text(colliding_bundle())
    assert run(capsys, "calendar", "team.yaml", "--write")[0] == 1
    assert run(capsys, "calendar", "team.yaml", "--window", "5")[0] == 1
    assert Path("team.yaml").read_text() == colliding_bundle()


SEED = int(os.environ.get("SUGGEST_SEED", "20261207"))


def random_bundles(rng: random.Random) -> tuple[list[Bundle], dict[str, dict[str, str]]]:
    """Daily, weekday and every-N-hours schedules crowded into a few minutes, some with `H(a-b)`."""
    schedules, written = [], {}
    for n in range(rng.randint(2, 14)):
        minute, hour = rng.choice([0, 0, 5, 15, 30, 58]), rng.choice([8, 9])
        kind = rng.random()
        if kind < 0.25:
            low = rng.randint(0, 50)
            high = rng.randint(low, min(59, low + rng.choice([0, 3, 9])))
            minute = rng.randint(low, high)
            written[f"team/s{n}"] = {"when.cron": f"H({low}-{high}) {hour} * * *"}
            timing = Timing(cron=(f"{minute} {hour} * * *",))
        elif kind < 0.7:
            timing = Timing(cron=(f"{minute} {hour} * * {rng.choice(['*', '1-5'])}",))
        else:
            timing = Timing(every=rng.choice([2, 3, 6]) * 3600, offset=60 * rng.choice([0, 0, 5]))
        schedules.append(schedule(f"s{n}", timing, agent=rng.choice(["a", "b", "c"])))
    return [bundle("temporal", *schedules, taskQueue="q")], written


def test_suggestions_never_raise_the_peak_and_stay_in_their_windows() -> None:
    rng = random.Random(SEED)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    for case in range(120):
        bundles, written = random_bundles(rng)
        window = rng.choice([None, 0, 3, 20])
        view = build(bundles, start, 3)
        result = suggest(view.fires, written, view.start, view.end, window)
        where = f"seed {SEED} case {case}"
        assert result.before.overall == most_in_one_minute(view.report), where
        assert result.after.overall <= result.before.overall, where
        moved = {move.schedule: move for move in result.moves}
        for index, move in moved.items():
            ref = view.fires[index].ref
            hashed = written.get(ref.label, {}).get("when.cron")
            if hashed is not None:
                low, high = map(int, hashed[2 : hashed.index(")")].split("-"))
                assert parse_cron(move.timing.cron[0]).minutes <= set(range(low, high + 1)), where
            else:
                assert window is not None and 0 < abs(move.shift) <= window, where
                if move.timing.cron:  # the minute stays in its hour: days and hours as written
                    old, new = parse_cron(ref.timing.cron[0]), parse_cron(move.timing.cron[0])
                    assert (old.hours, old.days_of_week) == (new.hours, new.days_of_week), where
        # the promised peak is the one the calendar then shows
        moved_bundles = [
            replace(
                b,
                schedules=tuple(
                    replace(s, timing=moved[i].timing) if (i := _index(view, b, s.name)) in moved else s
                    for s in b.schedules
                ),
            )
            for b in bundles
        ]
        again = build(moved_bundles, start, 3)
        assert most_in_one_minute(again.report) == result.after.overall, where
        assert suggest(view.fires, written, view.start, view.end, window) == result, where


def _index(view: object, b: Bundle, name: str) -> int:
    fires = view.fires  # type: ignore[attr-defined]
    return next(i for i, item in enumerate(fires) if item.ref.label == f"{b.key}/{name}")


def test_an_h_range_is_respected_even_when_a_wider_move_would_help() -> None:
    crowd = [schedule(f"p{n}", Timing(cron=("0 9 * * *",)), agent="a") for n in range(5)]
    crowd += [schedule(f"q{n}", Timing(cron=("1 9 * * *",)), agent="a") for n in range(2)]
    hashed = schedule("h", Timing(cron=("1 9 * * *",)), agent="a")
    view = build([bundle("temporal", *crowd, hashed, taskQueue="q")], datetime(2026, 3, 2, tzinfo=UTC), 2)

    narrow = suggest(view.fires, {"team/h": {"when.cron": "H(0-1) 9 * * *"}}, view.start, view.end, None)
    assert narrow.moves == () and narrow.after == narrow.before

    wide = suggest(view.fires, {"team/h": {"when.cron": "H(0-5) 9 * * *"}}, view.start, view.end, None)
    (move,) = wide.moves
    assert move.timing.cron == ("2 9 * * *",) and wide.after.overall == 5


ORQ_SHAPES = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: orq-shapes
target: {provider: orq, api: display-name}
schedules:
  - name: digest
    agent: digest-agent
    when: {cron: "0 8 * * *"}
  - name: other-digest
    agent: digest-agent
    when: {cron: "0 8 * * *"}
"""


def test_a_platform_that_takes_only_minute_zero_is_never_given_another_minute(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("orq.yaml").write_text(ORQ_SHAPES)
    args = ("calendar", "orq.yaml", "--suggest-spread", "--window", "30", "--write", "--format", "json")
    code, out = run(capsys, *args)
    assert code == 0 and json.loads(out)["moves"] == []
    assert Path("orq.yaml").read_text() == ORQ_SHAPES


def test_written_files_that_would_not_validate_are_put_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend the platform check was missing: the write then produces a cron orq refuses.
    monkeypatch.setattr("reconciler.forecast.suggest._expressible", lambda item, timing: True)
    monkeypatch.chdir(tmp_path)
    Path("orq.yaml").write_text(ORQ_SHAPES)
    code = main(["calendar", "orq.yaml", "--suggest-spread", "--window", "30", "--write"])
    _, err = capsys.readouterr()
    assert code == 1 and "put back" in err and "orq.yaml:" in err
    assert Path("orq.yaml").read_text() == ORQ_SHAPES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orq.yaml"]  # no temporary file left
