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
HTTP client, with a transport that times out (`test_timeouts_and_transport_errors_are_redacted`).
"""

from __future__ import annotations

import base64
import json
import logging
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
from urllib.parse import quote, quote_plus

import httpx
import pytest

from reconciler.apply.executor import execute
from reconciler.bundle.export import export_bundle
from reconciler.bundle.sensitive import Sensitive
from reconciler.errors import ReconcilerError, RejectedError
from reconciler.plan.explain import to_json, to_text
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Plan
from reconciler.plan.planner import plan_bundle
from reconciler.providers.cadenya.provider import CadenyaProvider
from reconciler.providers.http import ApiClient, RetryPolicy
from tests.conftest import ROOT, Run
from tests.plan import factories
from tests.sandbox_server import admin_request

SECRET = "canary-secret-5f0c1e77"
ROTATED = "canary-rotated-8d2b4731"
API_KEY = "canary-apikey-3e9a71c4"
WRONG_KEY = "canary-wrongkey-1c7d0b9e"
CANARIES = (SECRET, ROTATED, API_KEY, WRONG_KEY)
S = "{{ secret('TOKEN') }}"


@dataclass(frozen=True)
class Variant:
    """One platform (and API revision): how to serve it, its credentials, a bundle that uses secrets."""

    id: str
    provider: str
    serve: tuple[str, ...]
    key_env: str
    target: dict[str, str]
    schedule: dict[str, Any]  # uses TOKEN wherever this platform lets a secret go
    rejected_agent: str  # an agent the sandbox does not know: creating a schedule for it is refused (4xx)
    # A second agent's schedule with the secret only where the platform keeps it write-only (`input.secrets`
    # on cadenya and orq; elsewhere nowhere). A secret inside a message, data, a label or an option is stored
    # in clear by every platform; the ownership marker records where, so `export` (which reads the platform,
    # not a bundle) writes a placeholder there (or, where the platform has no room to record it, writes none
    # of the values of an owned schedule's field that may hold one).
    vault: dict[str, Any] = field(default_factory=dict)
    export: tuple[str, ...] = ()
    placeholders: int = 1  # at least this many `secret()` placeholders in the export


VARIANTS = (
    Variant(
        "cadenya",
        "cadenya",
        ("--workspace", "ws_leak", "--agents", "agent_a,agent_b"),
        "CADENYA_API_KEY",
        {"workspace": "ws_leak"},
        {
            "agent": "agent_a",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}", "data": {"d": f"x-{S}"}, "secrets": {"token": S}},
            "labels": {"team": f"t{S}"},
            "options": {"userData": {"u": S}},
        },
        "agent_missing",
        {
            "agent": "agent_b",
            "when": {"cron": "0 10 * * *"},
            "input": {"message": "Vault", "secrets": {"token": S}},
        },
        ("--workspace", "ws_leak"),
        placeholders=6,
    ),
    Variant(
        "agentex-legacy",
        "agentex",
        ("--agents", "agent-a,agent-b"),
        "AGENTEX_SDK_API_KEY",
        {},
        {
            "agent": "agent-a",
            "when": {"cron": "0 9 * * *"},
            "options": {"workflow_name": "wf", "task_queue": "q", "workflow_params": {"token": S}},
        },
        "agent-missing",
        {
            "agent": "agent-b",
            "when": {"cron": "0 10 * * *"},
            "options": {"workflow_name": "v", "task_queue": "q"},
        },
    ),
    Variant(
        "agentex-run-schedules",
        "agentex",
        ("--api", "run-schedules", "--agents", "agent-a,agent-b"),
        "AGENTEX_SDK_API_KEY",
        {"api": "run-schedules"},
        {
            "agent": "agent-a",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}"},
            "options": {"task_params": {"token": S}},
        },
        "agent-missing",
        {"agent": "agent-b", "when": {"cron": "0 10 * * *"}, "input": {"message": "Vault"}},
        ("--api", "run-schedules"),
        placeholders=2,
    ),
    Variant(
        "orq",
        "orq",
        ("--agents", "digest,vault"),
        "ORQ_API_KEY",
        {},
        {
            "agent": "digest",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}", "data": {"d": f"x-{S}"}, "secrets": {"token": S}},
            "labels": {"team": S},
            "options": {"metadata": {"api": S}, "agent_tag": S},
        },
        "agent_missing",
        {
            "agent": "vault",
            "when": {"cron": "0 10 * * *"},
            "input": {"message": "Vault", "secrets": {"token": S}},
        },
        placeholders=7,
    ),
    Variant(
        "orq-display-name",
        "orq",
        ("--api", "display-name", "--agents", "digest,vault"),
        "ORQ_API_KEY",
        {"api": "display-name"},
        {
            "agent": "digest",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}", "secrets": {"token": S}},
            "options": {"metadata": {"api": S}},
        },
        "agent_missing",
        {
            "agent": "vault",
            "when": {"cron": "0 10 * * *"},
            "input": {"message": "Vault", "secrets": {"token": S}},
        },
        ("--api", "display-name"),
        placeholders=4,
    ),
    Variant(
        "oz",
        "oz",
        ("--workspace", "team_leak", "--agents", "agent_ops"),
        "WARP_API_KEY",
        {},
        {
            "agent": "agent_ops",
            "when": {"cron": "0 9 * * *"},
            "input": {"message": f"Brief {S}"},
            "labels": {"team": S},
        },
        "agent_missing",
        {"agent": "default", "when": {"cron": "0 10 * * *"}, "input": {"message": "Vault"}},
        placeholders=2,
    ),
    Variant(
        "tbd-agents",
        "tbd-agents",
        ("--workspace", "leak", "--agents", "wf_docs,wf_ops"),
        "TBD_AGENTS_TOKEN",
        {},
        {
            "agent": "wf_docs",
            "when": {"every": "1d", "start": "2026-12-01T00:00:00Z"},
            "input": {"message": f"Brief {S}"},
        },
        "wf_missing",
        {
            "agent": "wf_ops",
            "when": {"every": "1d", "start": "2026-12-01T00:00:00Z"},
            "input": {"message": "Vault"},
        },
    ),
)


def bundle(variant: Variant, *schedules: dict[str, Any]) -> str:
    return json.dumps(
        {
            "apiVersion": "reconciler/v1",
            "kind": "Bundle",
            "bundleKey": "leak",
            "target": {"provider": variant.provider, **variant.target},
            "schedules": list(schedules),
        }
    )


def invalid_bundle(variant: Variant) -> str:
    """Wrong in several ways right next to the secret, so every error path has it at hand."""
    broken = json.loads(json.dumps(variant.schedule))
    broken["when"] = {**broken["when"], "cron": "61 * * * *"} if "cron" in broken["when"] else {"every": "7x"}
    return bundle(
        variant,
        {"name": "broken", **broken},
        {"name": f"bad name {S}", **variant.schedule},
        {"name": "agent-secret", **{**variant.schedule, "agent": S}},
        {"name": "unknown-field", "labelz": {"k": S}, **variant.schedule},
        {"name": "s1", **variant.schedule, "when": {"cron": S}},
    )


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


def _encodings(value: str) -> set[str]:
    raw = value.encode()
    return {
        value,
        json.dumps(value)[1:-1],
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode(),
        base64.b64encode(f"x:{value}".encode()).decode()[4:],  # inside a basic-auth header
        raw.hex(),
    }


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


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout(f"timed out reading https://x/?token={SECRET}&key={API_KEY}"),
        httpx.ConnectTimeout(f"timed out connecting with {API_KEY}"),
        httpx.RemoteProtocolError(f"peer closed connection; last body {json.dumps({'token': SECRET})}"),
    ],
    ids=["read-timeout", "connect-timeout", "dropped"],
)
def test_timeouts_and_transport_errors_are_redacted(
    failure: httpx.TransportError, caplog: pytest.LogCaptureFixture
) -> None:
    """The client's own messages and debug log, when the network fails with the secret in the request."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    client = ApiClient(
        "https://platform.example",
        api_key=API_KEY,
        transport=httpx.MockTransport(fail),
        retry=RetryPolicy(max_attempts=2, jitter=False, base_delay=0),
        sleep=lambda _: None,
        secrets=[SECRET],
    )
    caplog.set_level(logging.DEBUG, logger="reconciler")
    messages = []
    for method in ("GET", "POST"):
        with pytest.raises(ReconcilerError) as info:
            client.request(method, "/schedules", params={"q": SECRET}, json={"message": f"Brief {SECRET}"})
        messages.append(str(info.value))
    shown = "\n".join(messages) + "\n" + caplog.text
    assert "(sensitive)" in shown
    assert not [c for c in CANARIES if any(form in shown for form in _encodings(c))], shown


def test_export_writes_secret_placeholders_never_values_or_digests() -> None:
    """What a provider recognised as a secret (through its marker) comes back as a digest; `export` writes a
    `secret()` for the author to fill in, named after its field."""
    digest = "hmac-sha256:" + "0" * 64
    live = LiveSchedule(
        remote_id="r1",
        agent="digest",
        name="s1",
        owner="leak",
        state="active",
        when={"cron": "0 9 * * *"},
        input={"message": digest, "data": {"d": digest, "plain": "kept"}, "secrets": {"token": digest}},
        labels={},
        options={"metadata": {"api-key": digest}},
    )
    [entry] = export_bundle([live], bundle_key="leak", provider="orq", target={}).document["schedules"]
    assert entry["input"] == {
        "message": "{{ secret('MESSAGE') }}",
        "data": {"d": "{{ secret('D') }}", "plain": "kept"},
        "secrets": {"token": "{{ secret('TOKEN') }}"},
    }
    assert entry["options"] == {"metadata": {"api-key": "{{ secret('API_KEY') }}"}}


def test_a_secret_the_platform_returns_in_clear_is_compared_by_digest() -> None:
    """Pure planner: a secret message, data value and option, read back in clear, is no change; a different
    value is one change per field, shown only as `(sensitive)` on both sides."""
    wanted = factories.desired(
        "s",
        input={"message": Sensitive(f"Brief {SECRET}"), "data": {"d": Sensitive(SECRET), "plain": "p"}},
        options={"workflow_params": {"token": Sensitive(SECRET)}},
    )
    clear = factories.reported(
        wanted,
        "r1",
        input={"message": f"Brief {SECRET}", "data": {"d": SECRET, "plain": "p"}},
        options={"workflow_params": {"token": SECRET}},
    )
    same = plan_bundle(factories.bundle(wanted), [clear], now=factories.NOW)
    assert [a.kind for a in same.actions] == ["noop"]
    old = factories.reported(
        wanted,
        "r1",
        input={"message": f"Brief {ROTATED}", "data": {"d": ROTATED, "plain": "p"}},
        options={"workflow_params": {"token": ROTATED}},
    )
    changed = plan_bundle(factories.bundle(wanted), [old], now=factories.NOW)
    [action] = changed.actions
    assert action.kind == "update"
    assert {c.path: (c.before, c.after) for c in action.changes} == {
        "input.message": ("(sensitive)", "(sensitive)"),
        "input.data.d": ("(sensitive)", "(sensitive)"),
        "options.workflow_params.token": ("(sensitive)", "(sensitive)"),
    }
    shown = json.dumps(to_json(Plan((changed,)))) + to_text(Plan((changed,)), color=False)
    assert SECRET not in shown and ROTATED not in shown


def test_a_secret_left_in_a_request_body_is_sent_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    sent: list[bytes] = []

    def platform(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(201, json={})

    client = ApiClient("https://platform.example", api_key=API_KEY, transport=httpx.MockTransport(platform))
    caplog.set_level(logging.DEBUG, logger="reconciler")
    client.request("POST", "/schedules", json={"options": {"token": Sensitive(SECRET)}, "stored": ROTATED})
    assert json.loads(sent[0]) == {"options": {"token": SECRET}, "stored": ROTATED}  # the platform needs it
    assert "fields options, stored" in caplog.text
    assert SECRET not in caplog.text and ROTATED not in caplog.text and API_KEY not in caplog.text


def test_a_failed_step_never_shows_a_secret_its_exception_held() -> None:
    """The applier's last line of defence: whatever a step raises, its message is redacted."""
    wanted = factories.desired("s", input={"message": Sensitive(SECRET)})
    plan = plan_bundle(factories.bundle(wanted), [], now=factories.NOW)
    client = ApiClient("https://platform.example", api_key=API_KEY, secrets=[SECRET])
    provider = CadenyaProvider(client, factories.bundle(wanted), b"reconciler", environ={})

    def broken(desired: Any) -> Any:
        raise KeyError(f"{SECRET} with {API_KEY}")

    def refused(desired: Any) -> Any:
        raise RejectedError(f"the platform said: {SECRET}", status=422)

    for failure in (broken, refused):
        provider.create = failure  # type: ignore[method-assign]
        [outcome] = execute(plan, provider).failures
        assert outcome.error and SECRET not in outcome.error and API_KEY not in outcome.error, outcome.error
        assert "(sensitive)" in outcome.error
    client.close()
