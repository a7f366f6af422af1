"""The offline commands (`validate`, `preview`, `calendar`) need no secret value: a pre-commit hook, a pull
request's validate step and a fork's pull request have none. Only `plan` and `apply` read them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Run

# The README's example bundle when issue 17 was reported (now docs/bundle-format.md): it reads DIGEST_TOKEN.
README_BUNDLE = """\
# yaml-language-server: $schema=../schemas/bundle.schema.json
apiVersion: reconciler/v1
kind: Bundle
bundleKey: support-digests        # owns every schedule below
target: {provider: cadenya, workspace: ws_support}
prune: archive                    # archive (default) | delete | none
vars: {region: EMEA}
defaults:
  agent: agent_briefer
  when: {timezone: Europe/Berlin}
schedules:
  - name: weekday-briefing
    when: {cron: "0 9 * * mon-fri"}
    input: {message: "Morning briefing for {{ vars.region }}"}
  - name: "digest-{{ item }}"
    for_each: [emea, apac]
    when: {every: 6h, offset: 15m}
    input: {message: "Digest for {{ item }}", secrets: {token: "{{ secret('DIGEST_TOKEN') }}"}}
"""


def readme_bundle() -> str:
    return README_BUNDLE


def offline(*args: str, cwd: Path = ROOT) -> Run:
    """The CLI as a fork's pull request runs it: no secret in its environment, whatever this shell holds."""
    env = {k: v for k, v in os.environ.items() if not re.search(r"TOKEN|SECRET|_KEY$", k) and k != "NO_COLOR"}
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def readme(tmp_path: Path) -> Path:
    text = readme_bundle()
    assert "secret('DIGEST_TOKEN')" in text  # the point: the README's own bundle reads a secret
    path = tmp_path / "support.yaml"
    path.write_text(text)
    return path


def test_validate_the_readme_bundle_without_its_secret(readme: Path) -> None:
    for fmt in ("text", "json", "github"):
        result = offline("validate", "--format", fmt, str(readme))
        assert result.code == 0, f"{fmt}: {result.out}{result.err}"
        assert "DIGEST_TOKEN" not in result.out + result.err


def test_the_repositorys_own_bundles_validate_as_the_pre_commit_hook_runs_it() -> None:
    result = offline("validate", "bundles", "examples")
    assert result.code == 0, result.out + result.err


def test_preview_and_calendar_without_the_secret(readme: Path, tmp_path: Path) -> None:
    result = offline("preview", str(readme), "--count", "2", "--from", "2026-03-27T00:00Z")
    assert result.code == 0 and "weekday-briefing" in result.out, result.out + result.err
    result = offline("calendar", str(readme), "--from", "2026-03-23", "--format", "json")
    assert result.code == 0, result.out + result.err


def test_validate_still_checks_what_a_secret_may_not_do(tmp_path: Path) -> None:
    """The placeholder is still a secret: where a secret is refused, it is refused without the value too."""
    path = tmp_path / "b.yaml"
    path.write_text(readme_bundle().replace("agent: agent_briefer", "agent: \"{{ secret('AGENT_TOKEN') }}\""))
    result = offline("validate", str(path))
    assert result.code == 1 and "secret() is not allowed here" in result.out, result.out + result.err


def test_plan_still_needs_the_secret(readme: Path) -> None:
    """Only the offline commands use a placeholder: `plan` must never send one to a platform. It names the
    missing variable where the bundle reads it (this was a `validate` error before; it is a `plan` one now)."""
    result = offline("plan", "--sandbox", str(readme), cwd=readme.parent)
    assert result.code == 1
    line = next(n for n, text in enumerate(readme.read_text().splitlines(), 1) if "DIGEST_TOKEN" in text)
    assert re.search(
        rf"support.yaml:{line}:\d+: .*environment variable DIGEST_TOKEN is not set "
        r"\(needed by secret\('DIGEST_TOKEN'\)\)",
        result.out + result.err,
    ), result.out + result.err
