"""Many schedules writing the same `when` (the usual generated bundle): each still gets its own result.

`validate` checks a `when` written the same way by several schedules once per bundle; what a user sees must
not tell: every schedule with a bad one is reported at its own line, `H` still hashes each schedule's own
identity, and no schedule's timing leaks into another's.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.bundle.validate import load_bundles

HEAD = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: team
target: {provider: cadenya, workspace: ws_1}
schedules:
"""


def entry(name: str, when: str) -> str:
    return f"  - name: {name}\n    agent: agent_a\n    when: {when}\n    input: {{message: hi}}\n"


def test_a_bad_when_shared_by_schedules_is_reported_at_each_of_them(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(
        HEAD + "".join(entry(f"s{i}", "{every: 0s}") for i in range(3)) + entry("ok", "{every: 1h}")
    )
    loaded = load_bundles([str(path)], environ={})
    lines = [(d.line, d.field) for d in loaded.diagnostics]
    assert lines == [
        (8, "schedules[0].when.every"),
        (12, "schedules[1].when.every"),
        (16, "schedules[2].when.every"),
    ]
    assert all("zero" in d.message for d in loaded.diagnostics)


def test_a_shared_when_gives_each_schedule_the_same_timing(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(HEAD + "".join(entry(f"s{i}", "{every: 90m, timezone: Etc/UTC}") for i in range(3)))
    [bundle] = load_bundles([str(path)], environ={}).bundles
    assert [s.when for s in bundle.schedules] == [{"timezone": "Etc/UTC", "every": "1h30m"}] * 3
    bundle.schedules[0].when["every"] = "changed"  # each schedule holds its own mapping
    assert bundle.schedules[1].when["every"] == "1h30m"


def test_the_same_hashed_cron_still_differs_per_schedule(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(HEAD + "".join(entry(f"s{i}", '{cron: "H H * * *"}') for i in range(6)))
    [bundle] = load_bundles([str(path)], environ={}).bundles
    assert len({s.when["cron"] for s in bundle.schedules}) > 1
