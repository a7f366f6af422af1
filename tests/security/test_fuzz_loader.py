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
from tests.conftest import ROOT, run_cli
from tests.sandbox.agentex.venvs import tool_python
from tests.security.fuzz_inputs import EXAMPLES, bundle_structure, dump, mutated_bundle
from tests.security.hostile import check_located

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
    check_located([_write(tmp_path, dump(document, style))])


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
            _write(folder, dump(document, "block"), f"b{i}.yaml")
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
    check_located([_write(tmp_path, dump(document, style))])


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
