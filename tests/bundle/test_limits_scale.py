"""The input limits admit the fleets they are sized for (docs/bundle-format.md, "Why these numbers") and still
refuse hostile files at their line, naming the limit."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.bundle.limits import MAX_DEPTH, MAX_NODES_PER_DOCUMENT
from reconciler.bundle.validate import load_bundles


def _generated(n: int, key: str = "fleet") -> str:
    """`n` schedules as a generator writes them: 7 nodes each, over 200 agents."""
    lines = [
        "apiVersion: reconciler/v1",
        "kind: Bundle",
        f"bundleKey: {key}",
        "target: {provider: cadenya, workspace: ws}",
        "schedules:",
    ]
    for i in range(n):
        lines += [
            f"  - name: s{i:05d}",
            f"    agent: agent_{i % 200:03d}",
            f'    when: {{every: "{1 + i % 24}h"}}',
            f"    input: {{message: {json.dumps(f'Run {i}')}}}",
        ]
    return "\n".join(lines) + "\n"


def test_a_bundle_of_30000_schedules_validates(tmp_path: Path) -> None:
    """It held 210,000 nodes: over the old limit of 200,000 per document (issue 22)."""
    path = tmp_path / "fleet.yaml"
    path.write_text(_generated(30_000))
    loaded = load_bundles([str(path)])
    assert loaded.diagnostics == []
    assert [len(b.schedules) for b in loaded.bundles] == [30_000]
    assert loaded.bundles[0].schedules[-1].name == "s29999"


def test_an_alias_bomb_is_refused_at_its_line_naming_the_limit(tmp_path: Path) -> None:
    lines = ["apiVersion: reconciler/v1", "kind: Bundle", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 20)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    problems = load_bundles([str(path)]).diagnostics
    assert len(problems) == 1
    found = problems[0]
    # a0 is 9 nodes and each next level 1 + 4 times the one before; loading stops on the line of the level
    # that takes the document past the limit (the root mapping and the two scalars before count 3)
    total, nodes, level = 3, 9, 0
    while total + nodes <= MAX_NODES_PER_DOCUMENT:
        total, nodes, level = total + nodes, 1 + 4 * nodes, level + 1
    assert (Path(found.file).name, found.line) == ("bomb.yaml", 3 + level)
    assert str(MAX_NODES_PER_DOCUMENT) in found.message and "expands to more than" in found.message


def test_deep_nesting_is_refused_at_the_line_that_goes_too_deep(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("".join("  " * i + "-\n" for i in range(200)) + "  " * 200 + "x\n")
    problems = load_bundles([str(path)]).diagnostics
    # line 1 opens the top level (depth 0): line MAX_DEPTH + 1 is the first one past the limit
    assert [(Path(p.file).name, p.line) for p in problems] == [("deep.yaml", MAX_DEPTH + 1)]
    assert f"nested more than {MAX_DEPTH} levels deep" in problems[0].message
