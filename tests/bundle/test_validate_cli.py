"""`reconciler validate` on good bundles, several files, cross-bundle clashes and output formats."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, run_cli

GOOD = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: {key}
target: {{provider: cadenya, workspace: ws}}
schedules:
  - name: shared
    agent: agent_a
    when: {{cron: "0 9 * * *"}}
"""


def test_repository_bundles_and_examples_are_valid() -> None:
    result = run_cli("validate", "bundles", "examples")
    assert result.code == 0, result.out + result.err
    assert "valid" in result.out


def test_same_schedule_in_two_bundles_names_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD.format(key="team-a"))
    (tmp_path / "b.yaml").write_text(GOOD.format(key="team-b"))
    result = run_cli("validate", str(tmp_path))
    assert result.code == 1
    assert "b.yaml:6:1: schedule 'shared' for agent 'agent_a' is also declared at" in result.out
    assert "a.yaml:6" in result.out


def test_same_bundle_key_twice_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD.format(key="team") + "---\n" + GOOD.format(key="team"))
    result = run_cli("validate", str(tmp_path / "a.yaml"))
    assert result.code == 1
    assert "bundleKey 'team' is already used by the bundle at" in result.out


def test_all_errors_are_listed_not_just_the_first(tmp_path: Path) -> None:
    text = (
        GOOD.format(key="k") + '  - name: two\n    agent: b\n    when: {cron: "bad"}\n  - name: three\n'
        '    agent: c\n    when: {every: "x"}\n'
    )
    (tmp_path / "b.yaml").write_text(text)
    result = run_cli("validate", "--format", "json", str(tmp_path / "b.yaml"))
    assert result.code == 1
    lines = sorted(d["line"] for d in json.loads(result.out)["diagnostics"])
    assert lines == [11, 14]


def test_github_format_prints_annotations(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(GOOD.format(key="k").replace("0 9 * * *", "0 9 * *"))
    result = run_cli("validate", "--format", "github", str(tmp_path / "b.yaml"))
    assert result.code == 1
    assert result.out.startswith("::error file=")
    assert ",line=8,col=" in result.out


def test_var_override_is_rendered(tmp_path: Path) -> None:
    text = (
        GOOD.format(key="k").replace("name: shared", 'name: "s-{{ vars.suffix }}"') + "vars: {suffix: ok}\n"
    )
    (tmp_path / "b.yaml").write_text(text)
    assert run_cli("validate", str(tmp_path / "b.yaml")).code == 0
    bad = run_cli("validate", "--var", "suffix=has space", str(tmp_path / "b.yaml"))
    assert bad.code == 1 and "schedule name 's-has space' is invalid" in bad.out


def test_missing_path_is_an_error() -> None:
    result = run_cli("validate", "no/such/dir")
    assert result.code == 1
    assert "no/such/dir" in result.out and "Traceback" not in result.err


def test_python_dash_m_and_console_script_agree() -> None:
    import subprocess
    import sys

    script = Path(sys.executable).parent / "reconciler"
    proc = subprocess.run([str(script), "validate", "bundles"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_github_annotations_are_capped_at_ten_with_a_pointer(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"b{i:02d}.yaml").write_text(GOOD.format(key=f"k{i}").replace("0 9 * * *", "0 9 * *"))
    result = run_cli("validate", "--format", "github", str(tmp_path))
    annotations = [line for line in result.out.splitlines() if line.startswith("::error file=")]
    assert result.code == 1 and len(annotations) == 10
    assert "::error::2 more problem(s) not shown as annotations" in result.out
    assert result.out.count("invalid cron") == 12 + 10  # the full list follows the annotations


def test_folder_walk_skips_yaml_that_is_not_a_bundle_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "bundle.yaml").write_text(GOOD.format(key="k"))
    (tmp_path / "workflow.yml").write_text("on: push\njobs: {}\n")
    result = run_cli("validate", str(tmp_path))
    assert result.code == 0 and "Skipped 1 YAML file(s)" in result.err and "workflow.yml" in result.err
    named = run_cli("validate", str(tmp_path / "workflow.yml"))  # named explicitly: always checked
    assert named.code == 1
