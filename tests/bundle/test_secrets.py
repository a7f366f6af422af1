"""A secret's value never appears in any output of `validate`, even when the bundle is invalid around it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.bundle.sensitive import Sensitive
from reconciler.bundle.validate import load_bundles
from tests.conftest import run_cli

SECRET = "s3cr3t-Value-42"

BUNDLE = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: k
target: {{provider: cadenya, workspace: ws}}
schedules:
  - name: a
    agent: x
    when: {{cron: "{cron}"}}
    input:
      message: "token {{{{ secret('TOKEN') }}}}"
      secrets: {{token: "{{{{ secret('TOKEN') }}}}"}}
  - name: "{name}"
    agent: x
    when: {{cron: "0 9 * * *"}}
"""


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
@pytest.mark.parametrize(
    ("cron", "name"),
    [
        ("0 9 * * *", "ok"),
        ("0 9 * *", "ok"),
        ("0 9 * * *", "bad {{ secret('TOKEN') }}"),
        ("0 9 * * *", "x-{{ secret('TOKEN') }}"),
    ],
)
def test_secret_never_printed(tmp_path: Path, fmt: str, cron: str, name: str) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(BUNDLE.format(cron=cron, name=name))
    result = run_cli("validate", "--format", fmt, str(path), env={"TOKEN": SECRET})
    assert SECRET not in result.out + result.err
    assert "Traceback" not in result.err


def test_secret_is_tracked_as_sensitive(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(BUNDLE.format(cron="0 9 * * *", name="ok"))
    loaded = load_bundles([str(path)], environ={"TOKEN": SECRET})
    assert not loaded.diagnostics
    schedule = loaded.bundles[0].schedules[0]
    message = schedule.input["message"]
    assert isinstance(message, Sensitive) and message.reveal() == f"token {SECRET}"
    assert str(message) == repr(message) == f"{message}" == "(sensitive)"
    assert SECRET not in repr(schedule)
    assert isinstance(schedule.input["secrets"]["token"], Sensitive)


def test_secret_in_error_message_is_redacted(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(
        BUNDLE.format(cron="0 9 * * *", name="x").replace(
            'agent: x\n    when: {cron: "0 9 * * *"}\n',
            'agent: "{{ secret(\'TOKEN\') }}"\n    when: {cron: "0 9 * * *"}\n',
            1,
        )
    )
    loaded = load_bundles([str(path)], environ={"TOKEN": SECRET})
    assert loaded.diagnostics
    assert all(SECRET not in d.message for d in loaded.diagnostics)
