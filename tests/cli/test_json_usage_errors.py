"""Every verb that can print JSON (`--format json`) reports a usage error as JSON too: a script or a CI job
that asked for JSON must never get a human's usage text on the one run that went wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reconciler.cli.commands import VERBS


def _prints_json(verb: str) -> bool:
    run = [sys.executable, "-m", "reconciler", verb, "--help"]
    env = {**os.environ, "NO_COLOR": "1"}
    shown = subprocess.run(run, capture_output=True, text=True, timeout=60, env=env).stdout
    return "--format" in shown and "json" in shown


JSON_CAPABLE = [verb for verb in sorted(VERBS) if _prints_json(verb)]


def test_the_verbs_that_print_json_are_found() -> None:
    assert {"validate", "plan", "bundles", "providers"} <= set(JSON_CAPABLE)


@pytest.mark.parametrize("verb", JSON_CAPABLE)
def test_a_usage_error_under_format_json_is_a_json_document(verb: str) -> None:
    run = [sys.executable, "-m", "reconciler", verb, "--format", "json", "--no-such-option"]
    done = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["error"]["kind"] == "usage" and "--no-such-option" in document["error"]["message"]
