"""Each verb loads only what it uses: `reconciler --help` imports no verb, `validate` and `preview` no HTTP
client, no server, no template engine for a bundle without templates, no other platform's provider, and no
pydantic (reconciler/cli/commands.py, reconciler/bundle/structure.py). Help and errors that do not go to a
terminal are drawn without rich.

A user notices these only as speed; they are checked as the set of modules a real process loaded, never as a
time (benchmarks/startup.py measures the time)."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.cli.commands import VERBS

ROOT = Path(__file__).resolve().parents[2]
# What a command that does not talk to a platform must not load.
NETWORK_AND_SERVERS = (
    "httpx",
    "fastapi",
    "uvicorn",
    "reconciler.apply.executor",
    "reconciler.providers.http",
)
# Loaded only where they are used: rich draws help and progress bars for a terminal, jinja2 renders templates.
TERMINAL_AND_TEMPLATES = ("rich", "jinja2")
# pydantic (with typer's adapters, which coerce option values through it, and the bundle's model) only for a
# value or a document that is not plain; the sandbox's commands only for `reconciler sandbox`; every installed
# package's metadata only to list providers (a built-in provider's name needs none). (And json only for JSON
# output: checked where the output is text.)
MODELS_AND_SANDBOX = (
    "importlib.metadata",
    "pydantic",
    "typer._adapters",
    "reconciler.bundle.model",
    "reconciler.cli.sandbox",
    "reconciler.sandbox",
)
# The fire-time and calendar engines only where fire times are computed or a cron or calendar is met: `validate` of a bundle of intervals checks DST without them (reconciler/timing/dst.py).
FIRE_TIME_ENGINE = (
    "reconciler.timing.calendars",
    "reconciler.timing.fire_times",
    "reconciler.timing.temporal_walk",
    "reconciler.timing.wallclock",
)
# What only `calendar` draws: its view, collision report and load grid (reconciler/forecast/view.py).
CALENDAR_ONLY = (
    "reconciler.forecast.collisions",
    "reconciler.forecast.firecount",
    "reconciler.forecast.load",
    "reconciler.forecast.loadgrid",
    "reconciler.forecast.view",
)
# OpenSSL's digests only where a secret is digested or compared, or an `H`/spread minute is hashed.
DIGESTS = ("hashlib", "hmac")
PROBE = """
import sys
from reconciler.cli.main import main
code = main(sys.argv[2:])
modules = set(sys.modules)
import json  # after the command: it is one of the modules watched
watched = json.loads(sys.argv[1])
print(json.dumps({"code": code, "loaded": [m for m in watched if m in modules]}), file=sys.stderr)
"""


INTERVALS = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: intervals
target: {provider: cadenya, workspace: ws_demo}
schedules:
  - {name: hourly, agent: agent_1, when: {every: "1h"}, input: {message: "Run"}}
  - {name: daily, agent: agent_2, when: {every: "1d"}, input: {message: "Run"}}
"""


def loaded_by(args: list[str], watched: list[str]) -> tuple[int, list[str]]:
    import json

    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(watched), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], report["loaded"]


def first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n")[0].split())


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_the_listed_help_is_the_verbs_own(verb: str) -> None:
    module, short_help = VERBS[verb]
    function = getattr(importlib.import_module(module), verb)
    assert short_help == first_paragraph(inspect.getdoc(function) or "")


def test_help_lists_every_verb_and_loads_none() -> None:
    verb_modules = [module for module, _ in VERBS.values()]
    code, loaded = loaded_by(
        ["--help"],
        [*verb_modules, *NETWORK_AND_SERVERS, *TERMINAL_AND_TEMPLATES, *MODELS_AND_SANDBOX, "json"],
    )
    assert (code, loaded) == (0, [])
    listing = subprocess.run(
        [sys.executable, "-m", "reconciler", "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    for verb in VERBS:
        assert f" {verb} " in listing


@pytest.mark.parametrize("verb", ["validate", "preview"])
def test_offline_verbs_load_no_network_code_and_only_their_platform(verb: str) -> None:
    others = [f"reconciler.providers.{p}" for p in ("agentex", "orq", "oz", "tbd_agents", "temporal")]
    code, loaded = loaded_by(
        [verb, "examples/cadenya", "--format", "json"],
        [*NETWORK_AND_SERVERS, *TERMINAL_AND_TEMPLATES, *MODELS_AND_SANDBOX, *others],
    )
    assert (code, loaded) == (0, [])
    count = ["--count", "3"] if verb == "preview" else ["--var", "team=x", "--strict"]
    code, loaded = loaded_by([verb, "examples/cadenya", *count], [*MODELS_AND_SANDBOX, "json"])
    assert (code, loaded) == (0, [])


def test_validate_of_intervals_loads_no_fire_time_engine_and_preview_no_calendar_view(tmp_path: Path) -> None:
    bundle = tmp_path / "intervals.yaml"
    bundle.write_text(INTERVALS)
    code, loaded = loaded_by(["validate", str(bundle)], [*FIRE_TIME_ENGINE, *CALENDAR_ONLY, *DIGESTS])
    assert (code, loaded) == (0, [])
    for output in ("text", "json"):
        code, loaded = loaded_by(
            ["preview", str(bundle), "--format", output],
            [*CALENDAR_ONLY, *DIGESTS, "reconciler.timing.calendars"],
        )
        assert (code, loaded) == (0, [])


def test_the_engines_load_where_a_cron_needs_them(tmp_path: Path) -> None:
    """The other side of the check above: a cron in a zone with DST changes is checked against them, with the
    cron and calendar engines, and `calendar` draws its view."""
    bundle = tmp_path / "cron.yaml"
    bundle.write_text(INTERVALS.replace('{every: "1h"}', '{cron: "30 2 * * *", timezone: "Europe/Berlin"}'))
    engines = ["reconciler.timing.calendars"]
    code, loaded = loaded_by(["validate", str(bundle)], engines)
    assert (code, loaded) == (0, engines)
    code, loaded = loaded_by(["calendar", str(bundle)], list(CALENDAR_ONLY))
    assert (code, loaded) == (0, list(CALENDAR_ONLY))


def test_every_name_of_the_timing_package_loads_on_use() -> None:
    import reconciler.timing as timing

    for name in timing.__all__:
        assert getattr(timing, name).__name__ == name
    with pytest.raises(AttributeError):
        timing.no_such_name  # noqa: B018


def test_a_bundle_the_plain_reading_refuses_is_checked_by_the_model(tmp_path: Path) -> None:
    """The other side of the check above: pydantic is absent because nothing needed it. A bundle with a
    mistake in its structure is worded from the model's own errors."""
    bundle = tmp_path / "typo.yaml"
    text = (ROOT / "examples/cadenya/bundle.yaml").read_text()
    bundle.write_text(text.replace("bundleKey:", "bundleKeyy:", 1))
    code, loaded = loaded_by(["validate", str(bundle)], ["pydantic", "reconciler.bundle.model"])
    assert (code, loaded) == (1, ["pydantic", "reconciler.bundle.model"])


def test_the_sandbox_group_loads_when_it_is_used() -> None:
    code, loaded = loaded_by(["sandbox", "serve", "--help"], ["reconciler.cli.sandbox"])
    assert (code, loaded) == (0, ["reconciler.cli.sandbox"])


def test_a_bundle_with_templates_loads_the_template_engine(tmp_path: Path) -> None:
    """The other side of the check above: jinja2 is absent because nothing needed it, not because it never
    loads."""
    bundle = tmp_path / "templated.yaml"
    text = (ROOT / "examples/cadenya/bundle.yaml").read_text()
    bundle.write_text(text.replace('{message: "Sync"', "{message: \"{{ 'Sync' }}\"", 1))
    assert "{{" in bundle.read_text()
    code, loaded = loaded_by(["validate", str(bundle)], ["jinja2"])
    assert (code, loaded) == (0, ["jinja2"])


def test_a_usage_error_is_readable_without_rich() -> None:
    code, loaded = loaded_by(["validate", "--format", "yaml", "examples/cadenya"], ["rich"])
    assert (code, loaded) == (1, [])
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "validate", "--format", "yaml", "examples/cadenya"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 1 and "--format" in done.stderr and "yaml" in done.stderr


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verbs_help_renders_without_a_terminal(verb: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", verb, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert first_paragraph(VERBS[verb][1]) in " ".join(done.stdout.split())
    assert "--help" in done.stdout and "\x1b[" not in done.stdout


def test_a_verb_still_runs_and_prints_its_own_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0 and "--parallelism" in done.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "reconciler", "plna"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert wrong.returncode == 1 and "plan" in wrong.stderr
