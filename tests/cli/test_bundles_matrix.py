"""`reconciler bundles`: the listing a user reads, and the GitHub Actions matrix the workflow templates feed
to `strategy.matrix` (docs/deploying.md, "CI: one job per shard")."""

from __future__ import annotations

import json
import random
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from reconciler.controller.shards import shard_of

KEYS = [f"team-{i:02d}" for i in range(12)]


def bundle_doc(key: str, schedules: int = 1) -> str:
    items = "".join(
        f"  - {{name: s{i}, agent: agent_{key}, when: {{cron: '0 9 * * *'}}, input: {{message: hi}}}}\n"
        for i in range(schedules)
    )
    return (
        f"apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: {key}\n"
        f"target: {{provider: cadenya, workspace: ws_{key}}}\nschedules:\n{items}"
    )


def fleet(root: Path, keys: list[str] = KEYS, prefix: str = "") -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    files = []
    for number, key in enumerate(keys):
        path = root / f"{prefix}{key}.yaml"
        path.write_text(bundle_doc(key, schedules=number % 3 + 1))
        files.append(path)
    return files


def reconciler(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def matrix(cwd: Path, *args: str) -> list[dict[str, str]]:
    proc = reconciler(cwd, "bundles", "--matrix", *args)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.strip().splitlines()) == 1  # one line: `echo "matrix=$(...)" >> $GITHUB_OUTPUT`
    include: list[dict[str, str]] = json.loads(proc.stdout)["include"]
    return include


def test_the_listing_names_each_bundle_with_its_file_provider_and_schedules(tmp_path: Path) -> None:
    fleet(tmp_path / "bundles", KEYS[:3])
    proc = reconciler(tmp_path, "bundles", "bundles")
    assert proc.returncode == 0, proc.stderr
    rows = proc.stdout.splitlines()
    assert rows[1].split() == ["team-00", "cadenya", "1", "bundles/team-00.yaml:3"]
    assert rows[3].split() == ["team-02", "cadenya", "3", "bundles/team-02.yaml:3"]
    assert rows[-1] == "3 bundle(s), 6 schedule(s)."

    listed = json.loads(
        reconciler(tmp_path, "bundles", "--format", "json", "--shards", "4", "bundles").stdout
    )
    assert listed["shards"] == 4
    assert [(b["key"], b["file"], b["provider"], b["schedules"]) for b in listed["bundles"]] == [
        ("team-00", "bundles/team-00.yaml", "cadenya", 1),
        ("team-01", "bundles/team-01.yaml", "cadenya", 2),
        ("team-02", "bundles/team-02.yaml", "cadenya", 3),
    ]
    assert all(b["shard"] == f"{shard_of(b['key'], 4)}/4" for b in listed["bundles"])


def test_every_bundle_lands_in_exactly_one_job_the_shard_its_key_hashes_to(tmp_path: Path) -> None:
    fleet(tmp_path / "bundles")
    jobs = matrix(tmp_path, "--shards", "3", "bundles")
    seen: dict[str, str] = {}
    for job in jobs:
        index, count = (int(n) for n in job["shard"].split("/"))
        assert count == 3
        for key in job["bundles"].split():
            assert key not in seen
            seen[key] = job["shard"]
            assert shard_of(key, 3) == index
        # the job's paths, as the action splits them, hold exactly its bundles
        planned = reconciler(tmp_path, "bundles", "--format", "json", *shlex.split(job["paths"]))
        assert sorted(b["key"] for b in json.loads(planned.stdout)["bundles"]) == job["bundles"].split()
    assert sorted(seen) == KEYS
    assert [job["shard"] for job in jobs] == sorted(job["shard"] for job in jobs)


def test_the_matrix_is_the_same_whatever_the_order_of_the_files(tmp_path: Path) -> None:
    files = [str(p.relative_to(tmp_path)) for p in fleet(tmp_path / "bundles")]
    by_folder = matrix(tmp_path, "--shards", "4", "bundles")
    shuffled = files[:]
    random.Random(7).shuffle(shuffled)
    assert matrix(tmp_path, "--shards", "4", *shuffled) == by_folder
    assert matrix(tmp_path, "--shards", "4", *reversed(files)) == by_folder
    assert matrix(tmp_path, "--shards", "4", "bundles") == by_folder  # and from one run to the next


def test_a_bundle_keeps_its_shard_when_others_come_and_go_or_its_file_is_renamed(tmp_path: Path) -> None:
    def shards_by_key(jobs: list[dict[str, str]]) -> dict[str, str]:
        return {key: job["shard"] for job in jobs for key in job["bundles"].split()}

    fleet(tmp_path / "a", KEYS)
    fleet(tmp_path / "b", KEYS[::2], prefix="renamed-")  # half the bundles, in files of other names
    before, after = (
        shards_by_key(matrix(tmp_path, "--shards", "5", "a")),
        shards_by_key(matrix(tmp_path, "--shards", "5", "b")),
    )
    assert after == {key: before[key] for key in KEYS[::2]}


def test_empty_shards_get_no_job_and_one_shard_is_one_job_with_everything(tmp_path: Path) -> None:
    fleet(tmp_path / "bundles", KEYS[:2])
    jobs = matrix(tmp_path, "--shards", "16", "bundles")
    assert len(jobs) == len({shard_of(k, 16) for k in KEYS[:2]}) <= 2
    assert all(job["paths"] for job in jobs)
    [only] = matrix(tmp_path, "bundles")
    assert only["shard"] == "0/1" and shlex.split(only["paths"]) == [
        "bundles/team-00.yaml",
        "bundles/team-01.yaml",
    ]


def test_a_file_of_several_bundles_goes_whole_to_one_shard_and_says_so(tmp_path: Path) -> None:
    split = next(
        (a, b) for a in KEYS for b in KEYS if a < b and shard_of(a, 2) != shard_of(b, 2)
    )  # two keys that hash apart
    (tmp_path / "both.yaml").write_text(bundle_doc(split[0]) + "---\n" + bundle_doc(split[1]))
    proc = reconciler(tmp_path, "bundles", "--matrix", "--shards", "2", "both.yaml")
    assert proc.returncode == 0, proc.stderr
    [job] = json.loads(proc.stdout)["include"]
    assert job["shard"] == f"{shard_of(split[0], 2)}/2" and job["bundles"].split() == list(split)
    assert f"both.yaml: bundles {split[0]}, {split[1]} hash to shards 0/2, 1/2 but go together" in proc.stderr


def test_bundles_a_schedule_moves_between_are_planned_in_the_same_job(tmp_path: Path) -> None:
    """docs/refactoring.md: a move between bundles is safe only when both are planned in one run."""
    old, new = next((a, b) for a in KEYS for b in KEYS if a != b and shard_of(a, 2) != shard_of(b, 2))
    fleet(tmp_path / "bundles", KEYS)
    (tmp_path / "bundles" / f"{new}.yaml").write_text(
        bundle_doc(new).rstrip("\n")
        + f"\n  - {{name: moved, agent: agent_x, when: {{cron: '0 9 * * *'}}, input: {{message: hi}}, "
        f"renamedFrom: {{bundleKey: {old}, name: s9}}}}\n"
    )
    proc = reconciler(tmp_path, "bundles", "--matrix", "--shards", "2", "bundles")
    assert proc.returncode == 0, proc.stderr
    [together] = [job for job in json.loads(proc.stdout)["include"] if new in job["bundles"].split()]
    assert old in together["bundles"].split()
    assert f"bundles/{min(old, new)}.yaml" in shlex.split(together["paths"])
    assert "a schedule moves between them (renamedFrom)" in proc.stderr


def test_every_job_gets_the_costs_document(tmp_path: Path) -> None:
    fleet(tmp_path / "bundles")
    (tmp_path / "bundles" / "costs.yaml").write_text(
        'apiVersion: reconciler/v1\nkind: Costs\nagents:\n  agent_team-00: {perRun: "0.10 USD"}\n'
    )
    jobs = matrix(tmp_path, "--shards", "3", "bundles")
    assert len(jobs) > 1
    assert all(shlex.split(job["paths"])[-1] == "bundles/costs.yaml" for job in jobs)


def test_a_bad_bundle_is_reported_at_its_line_and_exits_1(tmp_path: Path) -> None:
    fleet(tmp_path / "bundles", KEYS[:2])
    (tmp_path / "bundles" / "bad.yaml").write_text(bundle_doc("bad").replace("schedules:", "schedual:"))
    proc = reconciler(tmp_path, "bundles", "bundles")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "bundles/bad.yaml:5:1:" in proc.stderr and "schedual" in proc.stderr
    proc = reconciler(tmp_path, "bundles", "--matrix", "--shards", "2", "bundles")
    assert proc.returncode == 1
    error: dict[str, Any] = json.loads(
        proc.stdout
    )  # never a matrix: a workflow must not plan half the bundles
    assert "include" not in error
    [where] = error["diagnostics"]
    assert (where["file"], where["line"], where["field"]) == ("bundles/bad.yaml", 5, "schedual")
