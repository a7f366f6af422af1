"""Every bad bundle in tests/data/invalid fails validation with the expected message on the exact line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.bundle.validate import load_bundles
from tests.conftest import ROOT, run_cli

INVALID = sorted((ROOT / "tests" / "data" / "invalid").glob("*.yaml"))


def expectation(path: Path) -> tuple[int, str]:
    text = path.read_text()
    line = re.search(r"^# expect-line: (\d+)$", text, re.M)
    message = re.search(r"^# expect: (.+)$", text, re.M)
    assert line and message, f"{path.name} lacks its expect header"
    return int(line.group(1)), message.group(1)


def test_corpus_is_large_and_distinct() -> None:
    assert len(INVALID) >= 40
    messages = [expectation(p)[1] for p in INVALID]
    assert len(set(messages)) == len(messages)


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_bundle_is_reported_at_its_line(path: Path) -> None:
    line, message = expectation(path)
    loaded = load_bundles([str(path)], environ={})
    matching = [d for d in loaded.diagnostics if message in d.message]
    assert matching, f"no diagnostic contains {message!r}: {[str(d) for d in loaded.diagnostics]}"
    assert matching[0].line == line, str(matching[0])
    assert loaded.bundles == []


def test_cli_reports_every_invalid_file_without_traceback() -> None:
    """One run over the whole corpus: exit 1, every file named, no Python traceback."""
    files = [str(p.relative_to(ROOT)) for p in INVALID]  # named one by one: a folder walk skips non-bundles
    result = run_cli("validate", "--format", "json", *files, env={})
    assert result.code == 1
    assert "Traceback" not in result.out + result.err
    document = json.loads(result.out)
    assert document["error"]["kind"] == "invalid_bundle"
    reported = document["diagnostics"]
    files = {Path(d["file"]).name for d in reported}
    assert files == {p.name for p in INVALID}
    for path in INVALID:
        line, message = expectation(path)
        assert any(
            d["line"] == line and message in d["message"] for d in reported if d["file"].endswith(path.name)
        )


@pytest.mark.parametrize("path", INVALID[:5], ids=[p.stem for p in INVALID[:5]])
def test_cli_text_format_is_file_line_col(path: Path) -> None:
    result = run_cli("validate", str(path.relative_to(ROOT)))
    line, message = expectation(path)
    assert result.code == 1
    assert re.search(rf"^tests/data/invalid/{path.name}:{line}:\d+: .*{re.escape(message)}", result.out, re.M)
