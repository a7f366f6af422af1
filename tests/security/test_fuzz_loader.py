"""Fuzz the loader and the validator: whatever the input, never a traceback, never a hang, always a location.

Hypothesis generates YAML text (random text and bytes, mutations of every example bundle with YAML's sharp
edges spliced in, deep nesting, huge scalars, odd unicode, BOMs, tabs, anchors and aliases, tags, merge keys,
duplicate keys) and bundle-shaped structures dumped to YAML. Each input goes through the whole front half of
the pipeline (`load_bundles`: load, structure, render, semantics, cross-bundle checks) and must keep the
invariant of `hostile.check_located`. Each example has a deadline; pytest-timeout bounds the whole test.

CI runs 150 examples per strategy, seeded (`derandomize`); `--runslow` runs the long variants (FUZZ_EXAMPLES,
default 5,000 each), which search with fresh randomness every run, and atheris (coverage-guided, in a
virtualenv of its own) for ATHERIS_SECONDS.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.bundle.load import MAX_DEPTH
from reconciler.bundle.model import PROVIDERS
from tests.conftest import ROOT, run_cli
from tests.sandbox.agentex.venvs import tool_python
from tests.security.hostile import ROOT_EXAMPLES, check_located

CI = settings(
    max_examples=150,
    deadline=timedelta(seconds=10),  # a hang guard, not a performance target
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
    ],
    database=None,
)
LONG = settings(CI, max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5000")), derandomize=False)

EXAMPLES = [p.read_text() for p in ROOT_EXAMPLES]

# What YAML and our templates find hardest, spliced into otherwise good bundles.
SNIPPETS = [
    "\ufeff",
    "\t",
    "\r\n",
    "\r",
    "\x00",
    "\x1b[2J",
    "\x85",
    "\u2028",
    "\u202e",
    "\ud7ff",
    "\U0001f600",
    "é",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2002:\n",
    "&a ",
    "*a",
    "*nope",
    "&a [*a]",
    "<<: *a\n",
    "<<: {x: 1}\n",
    "!!python/object:os.system ",
    "!!python/name:os.system",
    "!!binary aGk=",
    "!foo ",
    "! ",
    "!!str ",
    "!!int ",
    "!!map ",
    "!!set ",
    "!!omap ",
    "? ",
    ": ",
    "- ",
    "|\n",
    ">-\n",
    "|9\n",
    "#",
    "'",
    '"',
    '"\\ud800"',
    '"\\x00"',
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    "name: a\nname: b\n",
    "on",
    "off",
    "yes",
    "no",
    "y",
    "1:30",
    "0755",
    "0x1F",
    "1_000",
    ".inf",
    ".nan",
    "~",
    "null",
    "2026-13-45T99:99:99Z",
    "9" * 40,
    "{{ ",
    " }}",
    "{%",
    "%}",
    "{#",
    "{{ secret('TOKEN') }}",
    "{{ env('HOME') }}",
    "{{ ''.__class__ }}",
    "{{ 'x' * 10**9 }}",
    "{{ range(10**9)|list }}",
    "{% for i in range(99999) %}x{% endfor %}",
    "{{ item }}",
    "{{ vars.x }}",
    "for_each: [a, b]\n",
    "for_each: {a: 1}\n",
    "[" * 80 + "]" * 80,
    "{a: " * 70 + "1" + "}" * 70,
    "- " * 70 + "x",
    "x" * 70_000,
    "\n" + " " * 300 + "a: 1",
]


@st.composite
def mutated_bundle(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(EXAMPLES))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "replace", "delete", "duplicate-line", "truncate"]))
        piece = draw(st.sampled_from(SNIPPETS) | st.text(max_size=8))
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "duplicate-line":
            lines = text.splitlines(keepends=True) or [""]
            line = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: line + 1] + lines[line:])
        else:
            text = text[:at]
    return text


# -- bundle-shaped structures ---------------------------------------------------------------------------------

FIELDS = [
    "apiVersion",
    "kind",
    "bundleKey",
    "target",
    "prune",
    "vars",
    "defaults",
    "schedules",
    "name",
    "agent",
    "state",
    "when",
    "cron",
    "every",
    "offset",
    "at",
    "calendars",
    "timezone",
    "start",
    "end",
    "input",
    "message",
    "data",
    "secrets",
    "labels",
    "options",
    "protect",
    "adopt",
    "for_each",
    "renamedFrom",
    "ignore",
    "pauses",
    "respectFor",
    "drift",
    "movedFrom",
    "provider",
    "workspace",
    "api",
    "second",
    "minute",
    "hour",
    "dayOfMonth",
    "month",
    "dayOfWeek",
    "year",
    "step",
    "comment",
]
INTERESTING = [
    "0 9 * * mon-fri",
    "*/5 * * * *",
    "0 0 31 2 *",
    "@daily",
    "@every 5m",
    "0 9 * * 1#2",
    "0 9 L * *",
    "6h",
    "90m",
    "1d",
    "0s",
    "-5m",
    "15m",
    "99999999999d",
    "2026-12-01T00:00:00Z",
    "2026-02-30T00:00:00",
    "Europe/Berlin",
    "UTC",
    "Mars/Olympus",
    "../../etc/passwd",
    "active",
    "paused",
    "archive",
    "delete",
    "none",
    "reconciler/v1",
    "Bundle",
    "cadenya",
    "agentex",
    "orq",
    "oz",
    "tbd-agents",
    "run-schedules",
    "display-name",
    "{{ secret('TOKEN') }}",
    "{{ env('REGION') }}",
    "{{ item }}",
    "{{ key }}-{{ value }}",
    "{{ vars.region }}",
    "{{ undefined_thing }}",
    "{{ 1/0 }}",
    "{{ ''.__class__ }}",
    "{{ 'x' * 10**9 }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(INTERESTING)
)
keys = st.sampled_from(FIELDS) | st.text(max_size=10)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy | values


when = st.fixed_dictionaries(
    {},
    optional={
        "cron": maybe(
            st.sampled_from(INTERESTING[:7]) | st.lists(st.sampled_from(INTERESTING[:7]), max_size=3)
        ),
        "every": maybe(st.sampled_from(INTERESTING[7:14])),
        "offset": maybe(st.sampled_from(["15m", "0s", "7h", "-1m"])),
        "at": maybe(st.sampled_from(INTERESTING[14:16])),
        "timezone": maybe(st.sampled_from(INTERESTING[16:20])),
        "start": maybe(st.sampled_from(INTERESTING[14:16])),
        "end": maybe(st.sampled_from(INTERESTING[14:16])),
        "calendars": maybe(
            st.lists(
                st.dictionaries(
                    st.sampled_from(["second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek", "year"]),
                    st.lists(
                        st.fixed_dictionaries(
                            {"start": st.integers(-5, 3000)},
                            optional={"end": st.integers(-5, 3000), "step": st.integers(-1, 100)},
                        ),
                        max_size=3,
                    ),
                    max_size=3,
                ),
                max_size=2,
            )
        ),
    },
)
schedule = st.fixed_dictionaries(
    {
        "name": maybe(st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True)),
        "agent": maybe(st.sampled_from(["a", "agent-a", "default", "wf_docs"])),
    },
    optional={
        "when": maybe(when),
        "state": maybe(st.sampled_from(["active", "paused"])),
        "input": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "message": maybe(st.sampled_from(INTERESTING[-12:])),
                    "data": values,
                    "secrets": maybe(
                        st.dictionaries(st.text(max_size=5), st.sampled_from(INTERESTING[-12:]))
                    ),
                },
            )
        ),
        "labels": values,
        "options": values,
        "protect": values,
        "adopt": values,
        # issue 19: renames (in this bundle, or from another) and fields left to the platform
        "renamedFrom": maybe(
            st.sampled_from(["a", "", "agent-a", INTERESTING[-1]])
            | st.fixed_dictionaries(
                {"bundleKey": maybe(st.text(max_size=8)), "name": maybe(st.text(max_size=8))}
            )
            | values
        ),
        "ignore": maybe(
            st.lists(
                st.sampled_from(
                    [
                        "input.message",
                        "input.secrets",
                        "input.secrets.k",
                        "labels.reconciler.dev/bundle",
                        "when.cron",
                        "state",
                        "agent",
                        "labels.owner",
                        "options",
                        "input.data.a.b",
                        "",
                    ]
                )
                | st.text(max_size=12),
                max_size=4,
            )
            | values
        ),
        "for_each": maybe(
            st.lists(scalars, max_size=4) | st.dictionaries(st.text(max_size=5), scalars, max_size=3)
        ),
    },
)
bundle_structure = st.fixed_dictionaries(
    {
        "apiVersion": maybe(st.just("reconciler/v1")),
        "kind": maybe(st.just("Bundle")),
        "bundleKey": maybe(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)),
        "target": maybe(
            st.fixed_dictionaries(
                {"provider": maybe(st.sampled_from(PROVIDERS))},
                optional={
                    "workspace": maybe(st.just("ws")),
                    "api": maybe(st.sampled_from(["run-schedules", "display-name", "v9"])),
                },
            )
        ),
        "schedules": maybe(st.lists(schedule, max_size=4)),
    },
    optional={
        "prune": maybe(st.sampled_from(["archive", "delete", "none"])),
        # issue 18: the day-two policies
        "pauses": maybe(st.sampled_from(["respect", "heal", "never"]) | values),
        "respectFor": maybe(st.sampled_from(["72h", "0s", "forever", "9999999999999d"]) | values),
        "drift": maybe(st.sampled_from(["heal", "report", "ignore"]) | values),
        "vars": values,
        "defaults": maybe(schedule),
        "extra": values,
    },
)


def _dump(document: Any, style: str) -> str:
    if style == "json":
        return json.dumps(document, allow_nan=True, default=str)
    return yaml.safe_dump(document, default_flow_style=style == "flow", allow_unicode=True, sort_keys=False)


# -- the properties -----------------------------------------------------------------------------------------


def _write(folder: Path, data: str | bytes, name: str = "fuzz.yaml") -> str:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return str(path)


@CI
@given(text=st.text(max_size=2000))
def test_random_text(tmp_path: Path, text: str) -> None:
    check_located([_write(tmp_path, text)])


@CI
@given(data=st.binary(max_size=2000))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    check_located([_write(tmp_path, data)])


@CI
@given(text=mutated_bundle())
def test_mutated_example_bundles(tmp_path: Path, text: str) -> None:
    check_located([_write(tmp_path, text)])


@CI
@given(document=bundle_structure, style=st.sampled_from(["block", "flow", "json"]))
def test_bundle_shaped_structures(tmp_path: Path, document: dict[str, Any], style: str) -> None:
    check_located([_write(tmp_path, _dump(document, style))])


@CI
@given(
    documents=st.lists(bundle_structure, min_size=2, max_size=4),
    split=st.booleans(),
)
def test_several_documents_and_files(tmp_path: Path, documents: list[dict[str, Any]], split: bool) -> None:
    """Cross-bundle checks (shared keys, one schedule declared twice) on one file or a folder of them."""
    if split:
        folder = Path(tempfile.mkdtemp(dir=tmp_path))  # tmp_path is shared by all examples of a test
        for i, document in enumerate(documents):
            _write(folder, _dump(document, "block"), f"b{i}.yaml")
        check_located([str(folder)])
    else:
        check_located([_write(tmp_path, yaml.safe_dump_all(documents, sort_keys=False))])


@CI
@given(
    depth=st.integers(1, 3 * MAX_DEPTH),
    shape=st.sampled_from(["[", "{a: ", "- ", "a:\n", "&x [", "!!seq ["]),
)
def test_nesting_is_bounded_at_any_depth(tmp_path: Path, depth: int, shape: str) -> None:
    if shape == "- ":
        text = "".join("  " * i + "- \n" for i in range(depth)) + "  " * depth + "x\n"
    elif shape == "a:\n":
        text = "".join("  " * i + "a:\n" for i in range(depth)) + "  " * depth + "x\n"
    else:
        close = "]" if shape.endswith("[") else "}"
        text = shape * depth + "1" + close * depth
    loaded = check_located([_write(tmp_path, text)])
    too_deep = [d for d in loaded.diagnostics if "levels deep" in d.message]
    assert bool(too_deep) == (depth > MAX_DEPTH), (depth, loaded.diagnostics)


@LONG
@pytest.mark.slow
@given(text=mutated_bundle())
def test_mutated_example_bundles_long(tmp_path: Path, text: str) -> None:
    check_located([_write(tmp_path, text)])


@LONG
@pytest.mark.slow
@given(document=bundle_structure, style=st.sampled_from(["block", "flow", "json"]))
def test_bundle_shaped_structures_long(tmp_path: Path, document: dict[str, Any], style: str) -> None:
    check_located([_write(tmp_path, _dump(document, style))])


@LONG
@pytest.mark.slow
@given(data=st.binary(max_size=20_000))
def test_random_bytes_long(tmp_path: Path, data: bytes) -> None:
    check_located([_write(tmp_path, data)])


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_atheris_coverage_guided(tmp_path: Path) -> None:
    """atheris (3.0.0 has a wheel for Python 3.11) in a virtualenv of its own, seeded with every example
    bundle, for ATHERIS_SECONDS (default 120). A crash fails the test with the input that caused it."""
    python = tool_python("atheris==3.0.0", "import atheris")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, text in enumerate(EXAMPLES):
        (corpus / f"example-{i}.yaml").write_text(text)
    site = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    seconds = os.environ.get("ATHERIS_SECONDS", "120")
    result = subprocess.run(
        [
            str(python),
            str(Path(__file__).with_name("atheris_harness.py")),
            f"-max_total_time={seconds}",
            "-max_len=4096",
            "-rss_limit_mb=1024",
            "-timeout=10",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), site])},
        timeout=int(seconds) + 600,
    )
    runs = re.findall(r"Done (\d+) runs", result.stderr)
    assert result.returncode == 0, result.stderr[-4000:]
    assert runs and int(runs[-1]) > 0, result.stderr[-2000:]
    print(f"atheris: {runs[-1]} runs in {seconds} s")


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_control_characters_from_a_bundle_are_printed_escaped(tmp_path: Path, fmt: str) -> None:
    """A key from a stranger's pull request cannot start a line that a CI log reads as a workflow command,
    nor send escape sequences to a terminal."""
    path = _write(tmp_path, 'apiVersion: reconciler/v1\n"x\\n::error file=evil::pwned\\e[2J\\u202e": 1\n')
    result = run_cli("validate", "--format", fmt, str(path))
    assert result.code == 1
    assert not any(line.startswith("::error file=evil") for line in result.out.splitlines()), result.out
    assert "\x1b" not in result.out and "\u202e" not in result.out
    assert "x\\n::error file=evil::pwned\\x1b[2J\\u202e" in result.out.replace("%0A", "\\n"), result.out
