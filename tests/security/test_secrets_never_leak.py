"""A secret passed with `secret()` and the platform API key never appear anywhere a person or a CI log can see.

For every provider (and API revision), one scenario runs the real CLI against its sandbox, with the most
verbose log there is (`RECONCILER_LOG=debug`), through every command and failure path:

    validate (an invalid bundle next to a valid one), plan --format markdown --out, apply --plan
    --format json, plan (converged: secrets compare by digest, never by value), export of every schedule
    (stdout and --out: secrets in messages, data, labels, workflow params and prompts become `secret()`
    placeholders), plan --format json --out with the secret rotated, apply (rotation), apply --plan of the now stale plan, plan with a wrong
    API key (401), apply of a create the platform rejects (4xx), apply while every request fails
    (500/503/429, dropped connections, committed-but-lost answers), and preview / calendar / schema.

Everything is kept (stdout, stderr, every file the CLI wrote, the sandbox server's own stdout/stderr) and
searched for each canary at the end, raw and in the encodings a value takes on its way out (JSON, URL, base64).
A request timeout takes the client's 30 s to happen for real, so it is exercised in process, through the same
HTTP client, with a transport that times out (`test_secrets_never_leak_in_process.py`). The canaries are in
`canaries.py`, the platforms and their bundles in `leak_variants.py`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Run
from tests.sandbox_server import admin_request
from tests.security.canaries import API_KEY, CANARIES, ROTATED, SECRET, WRONG_KEY, _encodings
from tests.security.leak_variants import VARIANTS, Variant, bundle, invalid_bundle


@dataclass
class Evidence:
    """Everything the scenario showed anyone: output of every run and every file written."""

    runs: list[tuple[str, Run]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    def add_file(self, name: str, path: Path) -> None:
        self.texts[name] = path.read_text(errors="replace") if path.exists() else ""

    def leaks(self) -> list[str]:
        found = []
        sources = [(f"{what} stdout", run.out) for what, run in self.runs]
        sources += [(f"{what} stderr", run.err) for what, run in self.runs]
        sources += list(self.texts.items())
        for where, text in sources:
            for canary in CANARIES:
                for form in _encodings(canary):
                    if form in text:
                        found.append(f"{canary!r} (as {form!r}) in {where}")
        return found


@dataclass
class Sandbox:
    url: str
    env: dict[str, str]
    log: Path

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        return admin_request(self.url, API_KEY, method, path, body)


@contextmanager
def serve(variant: Variant, log: Path) -> Iterator[Sandbox]:
    """`reconciler sandbox serve` with the canary key; its stdout and stderr go to `log`, kept as evidence."""
    command = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--provider", variant.provider]
    command += ["--port", "0", "--api-key", API_KEY, "--seed", "7", *variant.serve]
    with log.open("w") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, text=True, env=_env())
        try:
            exports = _wait_for_exports(log, proc)
            url = next(v for k, v in exports.items() if k.endswith(("_BASE_URL", "_SERVER_URL")))
            yield Sandbox(url, exports, log)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for_exports(log: Path, proc: subprocess.Popen[str]) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = log.read_text()
        if "# Ctrl-C" in text:
            found = re.findall(r"^export (\w+)=(\S+)$", text, re.M)
            return {name: value.strip("'") for name, value in found}
        if proc.poll() is not None:
            raise AssertionError(f"sandbox exited: {text}")
        time.sleep(0.05)
    raise AssertionError("sandbox did not start in time")


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_TOKEN")) and k != "NO_COLOR"}
    return {**base, "PYTHONUNBUFFERED": "1", **extra}


def cli(evidence: Evidence, what: str, env: dict[str, str], *args: str, cwd: Path = ROOT) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        cwd=cwd,
        timeout=240,
    )
    run = Run(proc.returncode, proc.stdout, proc.stderr)
    evidence.runs.append((what, run))
    assert "Traceback" not in run.err, f"{what}: {run.err}"
    assert run.code != 3, f"{what}: internal error: {run.err}"
    return run


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_no_secret_or_api_key_in_any_output(variant: Variant, tmp_path: Path) -> None:
    evidence = Evidence()
    good, bad, rejected = tmp_path / "good.yaml", tmp_path / "bad.yaml", tmp_path / "rejected.yaml"
    good.write_text(bundle(variant, {"name": "s1", **variant.schedule}, {"name": "vault", **variant.vault}))
    bad.write_text(invalid_bundle(variant))
    # The same bundleKey from another file: it says it moved here, or the plan refuses it for that first.
    moved = json.loads(bundle(variant, {"name": "s1", **variant.schedule, "agent": variant.rejected_agent}))
    rejected.write_text(json.dumps({**moved, "movedFrom": str(good)}))
    first_plan, second_plan, exported = (
        tmp_path / "first.json",
        tmp_path / "second.json",
        tmp_path / "export.yaml",
    )

    with serve(variant, tmp_path / "sandbox.log") as sandbox:
        env = {**sandbox.env, variant.key_env: API_KEY, "TOKEN": SECRET, "RECONCILER_LOG": "debug"}
        rotated = {**env, "TOKEN": ROTATED}

        run = cli(evidence, "validate", env, "validate", "--format", "github", str(good), str(bad))
        assert run.code == 1 and "bad.yaml" in run.out, run.out + run.err
        run = cli(evidence, "validate json", env, "validate", "--format", "json", str(bad))
        assert run.code == 1
        run = cli(
            evidence,
            "plan markdown",
            env,
            "plan",
            "--format",
            "markdown",
            "--out",
            str(first_plan),
            str(good),
        )
        assert run.code == 0 and "2 to create" in run.out, run.out + run.err
        run = cli(
            evidence,
            "apply --plan",
            env,
            "apply",
            "--plan",
            str(first_plan),
            "--auto-approve",
            "--format",
            "json",
        )
        assert run.code == 0, run.out + run.err
        run = cli(evidence, "plan again", env, "plan", "--detailed-exitcode", str(good))
        assert run.code == 0, f"a secret compared by value, not digest, never converges:\n{run.out}{run.err}"
        export = ("export", "--provider", variant.provider, "--bundle-key", "leak", *variant.export)
        run = cli(evidence, "export --out", env, *export, "--out", str(exported))
        assert run.code == 0, run.err
        shown = cli(evidence, "export", env, *export)
        assert shown.code == 0, shown.err
        # Every schedule, the one with secrets in clear-stored fields included; each such field a placeholder.
        for text in (shown.out, exported.read_text()):
            assert "name: s1" in text and "name: vault" in text, text
            assert text.count("{{ secret(") >= variant.placeholders, text

        run = cli(
            evidence,
            "plan rotated",
            rotated,
            "plan",
            "--format",
            "json",
            "--out",
            str(second_plan),
            str(good),
        )
        assert run.code == 0 and '"update": ' in run.out, run.out + run.err
        assert "(sensitive)" in run.out
        run = cli(evidence, "apply rotated", rotated, "apply", "--auto-approve", str(good))
        assert run.code == 0, run.out + run.err
        run = cli(evidence, "apply stale", rotated, "apply", "--plan", str(second_plan), "--auto-approve")
        assert run.code == 1 and "stale" in run.err, run.out + run.err

        run = cli(evidence, "plan 401", {**env, variant.key_env: WRONG_KEY}, "plan", str(good))
        assert run.code == 1 and "authentication failed" in run.err, run.out + run.err
        run = cli(evidence, "apply 4xx", env, "apply", "--auto-approve", str(rejected))
        # refused when the create fails, or while planning where the platform says the agent is unknown
        assert run.code == 1 and ("failed" in run.err or "has no agent" in run.err), run.out + run.err

        sandbox.admin(
            "POST", "traffic", {"faultRate": 1.0, "faultKinds": ["500", "503", "429", "drop", "lost"]}
        )
        run = cli(evidence, "apply faults", env, "apply", "--auto-approve", str(good))
        assert run.code == 1, run.out + run.err

    for name, path in (("plan file", first_plan), ("rotated plan file", second_plan), ("export", exported)):
        evidence.add_file(name, path)
    evidence.add_file("sandbox stdout/stderr", tmp_path / "sandbox.log")
    assert len(evidence.runs) == 13
    assert not evidence.leaks(), "\n".join(evidence.leaks())


def test_offline_commands_never_show_a_secret(tmp_path: Path) -> None:
    """preview, calendar (text, json, html) and schema, over every provider's bundle at once."""
    evidence = Evidence()
    for variant in VARIANTS:
        (tmp_path / f"{variant.id}.yaml").write_text(
            bundle(variant, {"name": "s1", **variant.schedule}).replace('"leak"', f'"leak-{variant.id}"')
        )
    env = {"TOKEN": SECRET, "RECONCILER_LOG": "debug"}
    html = tmp_path / "calendar.html"
    for what, args in (
        ("preview", ("preview", str(tmp_path), "--from", "2026-12-01T00:00:00Z")),
        ("preview json", ("preview", str(tmp_path), "--format", "json", "--from", "2026-12-01T00:00:00Z")),
        ("calendar", ("calendar", str(tmp_path), "--from", "2026-12-01", "--html", str(html))),
        ("calendar json", ("calendar", str(tmp_path), "--format", "json", "--from", "2026-12-01")),
        ("schema", ("schema",)),
    ):
        run = cli(evidence, what, env, *args)
        assert run.code == 0, f"{what}: {run.out}{run.err}"
    evidence.add_file("calendar.html", html)
    assert not evidence.leaks(), "\n".join(evidence.leaks())
