"""Bundles are read without the positions of the nodes inside schedules; every message still lands exactly.

`load_bundles` reads files with `positions=False` (the nodes inside `schedules[i]` get no line of their own,
most of what reading a big bundle cost) and reads a file again with every position only when one of its
documents has a problem or a warning to report. These tests put the problem where a misplaced message would
show: deep inside a big file, in `defaults`, in a `for_each`, a DST warning, a second Costs document. The
expected line and column are counted from the text the test writes, never from the loader.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.bundle import validate
from reconciler.bundle.load import load_text
from reconciler.bundle.validate import load_bundles
from reconciler.errors import BundleError, Diagnostic
from tests.bundle.test_load_parsers import HOSTILE, SHIPPED
from tests.conftest import run_cli

HEADER = [
    "apiVersion: reconciler/v1",
    "kind: Bundle",
    "bundleKey: fleet",
    "target: {provider: cadenya, workspace: ws_lazy}",
]


def schedule_lines(i: int, every: str = "1h") -> list[str]:
    return [
        f"  - name: s{i:05d}",
        f"    agent: agent-{i % 7}",
        f"    when: {{every: {every}}}",
        f"    input: {{message: Run {i}}}",
    ]


def where(lines: list[str], text: str) -> tuple[int, int]:
    """1-based line and column of the only line holding `text`, at `text`."""
    [found] = [(n, line.index(text)) for n, line in enumerate(lines, 1) if text in line]
    return found[0], found[1] + 1


def write(tmp_path: Path, lines: list[str], name: str = "fleet.yaml") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def located(diagnostics: list[Diagnostic]) -> list[tuple[str, int, int, str]]:
    return [(Path(d.file).name, d.line, d.col, d.message) for d in diagnostics]


def big_bundle(count: int, broken: dict[int, list[str]]) -> list[str]:
    """`count` schedules; schedule i is written as `broken[i]` where given."""
    lines = [*HEADER, "schedules:"]
    for i in range(count):
        lines += broken.get(i) or schedule_lines(i)
    return lines


@pytest.mark.parametrize(
    ("written", "at", "field"),
    [
        ("    when: {every: sometimes}", "sometimes", "schedules[7000].when.every"),  # semantics
        ("    input: {message: Run, colour: blue}", "colour", "schedules[7000].input.colour"),  # structure
    ],
)
def test_a_bad_field_in_schedule_7000_of_a_big_file_is_placed_at_the_field(
    tmp_path: Path, written: str, at: str, field: str
) -> None:
    bad = schedule_lines(7000)
    bad[2 if "when" in written else 3] = written
    lines = big_bundle(8000, {7000: bad})
    path = write(tmp_path, lines)

    loaded = load_bundles([str(path)], read_secrets=False)

    assert [(d.line, d.col, d.field) for d in loaded.diagnostics] == [(*where(lines, at), field)]
    assert loaded.bundles == []


def test_a_duplicate_name_late_in_a_big_file_names_both_lines(tmp_path: Path) -> None:
    again = schedule_lines(6999)
    lines = big_bundle(7500, {7200: again})
    path = write(tmp_path, lines)

    loaded = load_bundles([str(path)], read_secrets=False)

    first = lines.index("  - name: s06999") + 1
    second = len(lines) - lines[::-1].index("  - name: s06999")
    [problem] = loaded.diagnostics
    assert (problem.line, problem.col) == (second, 11)  # at the repeated name
    assert f"first declared at line {first}" in problem.message


def test_a_problem_that_comes_from_defaults_is_placed_in_defaults(tmp_path: Path) -> None:
    lines = [
        *HEADER,
        "defaults:",
        "  agent: agent-1",
        "  when: {every: 90 minutes please}",
        "schedules:",
        *[f"  - name: s{i}" for i in range(3000)],
    ]
    path = write(tmp_path, lines)

    loaded = load_bundles([str(path)], read_secrets=False)

    line, col = where(lines, "90 minutes please")
    assert {(d.line, d.col) for d in loaded.diagnostics} == {(line, col)}


def test_a_problem_in_one_item_of_a_for_each_is_placed_in_that_schedule(tmp_path: Path) -> None:
    lines = [*HEADER, "schedules:"]
    for i in range(2000):
        lines += schedule_lines(i)
    lines += [
        '  - name: "digest-{{ item.region }}"',
        "    for_each:",
        "      - {region: emea, every: 6h}",
        "      - {region: apac, every: 6 hours}",
        "    agent: agent_digester",
        '    when: {every: "{{ item.every }}"}',
        "    input: {message: digest}",
    ]
    path = write(tmp_path, lines)

    loaded = load_bundles([str(path)], read_secrets=False)

    line, col = where(lines, 'every: "{{ item.every }}"')
    assert [(d.line, d.col, d.field) for d in loaded.diagnostics] == [
        (line, col + len("every: "), "schedules[2000].when.every")
    ]
    assert "6 hours" in loaded.diagnostics[0].message


def test_the_dst_warning_of_validate_is_at_the_cron_of_a_late_schedule(tmp_path: Path) -> None:
    trap = [
        "  - name: nightly",
        "    agent: agent-1",
        "    when:",
        "      timezone: Europe/Berlin",
        '      cron: "30 2 * * *"',
    ]
    lines = big_bundle(5000, {4321: trap})
    path = write(tmp_path, lines)

    result = run_cli("validate", str(path))

    assert result.code == 0, result.out + result.err
    line, col = where(lines, 'cron: "30 2 * * *"')
    [warning] = [text for text in result.out.splitlines() if ": warning: " in text]
    assert warning.split(": warning: ")[0].endswith(f"fleet.yaml:{line}:{col + len('cron: ')}")
    assert "schedule 'nightly'" in warning


def test_warnings_from_load_bundles_match_a_read_with_every_position(tmp_path: Path) -> None:
    """The same bundle, read lazily and (through a file that fails structure on the first try) eagerly."""
    trap = ["  - name: nightly", "    agent: a", '    when: {cron: "30 2 * * *", timezone: Europe/Berlin}']
    lines = big_bundle(300, {250: trap})
    path = write(tmp_path, lines)
    now = datetime(2026, 1, 10, tzinfo=UTC)

    loaded = load_bundles([str(path)], read_secrets=False, warn_from=now)

    line, col = where(lines, 'cron: "30 2 * * *"')
    assert [(d.line, d.col) for d in loaded.warnings] == [(line, col + len("cron: "))]
    assert loaded.diagnostics == [] and len(loaded.bundles) == 1


def test_a_second_costs_document_is_placed_at_its_kind_and_names_the_first(tmp_path: Path) -> None:
    write(tmp_path, [*big_bundle(1000, {})], "a-fleet.yaml")
    costs = ["apiVersion: reconciler/v1", "kind: Costs", "agents:", "  agent-1: {perRun: 0.40 USD}"]
    write(tmp_path, ["# the first", *costs], "b-costs.yaml")
    write(tmp_path, ["# the second", "", *costs], "c-costs.yaml")

    loaded = load_bundles([str(tmp_path)], read_secrets=False)

    [problem] = located(loaded.diagnostics)
    assert problem[:3] == ("c-costs.yaml", 4, 7)  # at `Costs`
    assert "b-costs.yaml:3" in problem[3]


def test_a_valid_bundle_keeps_each_schedules_line_and_its_bundle_key_line(tmp_path: Path) -> None:
    lines = big_bundle(3000, {})
    path = write(tmp_path, lines)

    [bundle] = load_bundles([str(path)], read_secrets=False).bundles

    assert bundle.line == where(lines, "bundleKey: fleet")[0]
    assert [s.line for s in bundle.schedules[2998:]] == [
        where(lines, "name: s02998")[0],
        where(lines, "name: s02999")[0],
    ]


def test_a_file_that_changed_since_it_was_read_keeps_its_messages_at_the_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read again, the file no longer holds the document: the first check's messages stand."""
    bad = schedule_lines(40, every="sometimes")
    lines = big_bundle(50, {40: bad})
    path = write(tmp_path, lines)
    real = validate.load_file

    def changed_on_second_read(file: Path, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("positions", True):
            file.write_text("\n".join(big_bundle(50, {})) + "\n")
        return real(file, *args, **kwargs)

    monkeypatch.setattr(validate, "load_file", changed_on_second_read)
    loaded = load_bundles([str(path)], read_secrets=False)

    [problem] = loaded.diagnostics
    assert (problem.line, problem.field) == (where(lines, "name: s00040")[0], "schedules[40].when.every")


def test_the_template_budget_is_spent_once_when_a_document_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document that fits the run's for_each budget once, checked twice (the second time with positions),
    must report its own problem, not a budget it did not exceed."""
    from reconciler.bundle import render

    items = ", ".join(str(i) for i in range(200))
    valid = [
        *HEADER,
        "schedules:",
        '  - name: "s-{{ item }}"',
        f"    for_each: [{items}]",
        "    agent: a",
        "    when: {every: 1h}",
        "    input: {message: '{{ item }}', data: {a: 1, b: 2, c: 3}}",
    ]
    broken = [*valid, "  - name: broken", "    agent: a", "    when: {every: never}"]
    made: list[render.Renderer] = []

    class Watched(render.Renderer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(validate, "Renderer", Watched)
    assert load_bundles([str(write(tmp_path, valid, "valid.yaml"))], read_secrets=False).diagnostics == []
    once = made[-1].expanded
    monkeypatch.setattr(render, "MAX_EXPANDED_VALUES", once + once // 2)  # enough for one check, not two

    loaded = load_bundles([str(write(tmp_path, broken))], read_secrets=False)

    [problem] = loaded.diagnostics
    assert (problem.line, problem.field) == (where(broken, "every: never")[0], "schedules[1].when.every")


def outcome(text: str, positions: bool) -> tuple[str, Any]:
    try:
        documents = load_text(text, "f.yaml", positions=positions)
    except BundleError as exc:
        return "error", [(d.file, d.line, d.col, d.message) for d in exc.diagnostics]
    return "ok", [(d.index, d.data) for d in documents]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_bundles_read_the_same_data_without_positions(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert outcome(text, positions=False) == outcome(text, positions=True)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_inputs_fail_the_same_without_positions(name: str) -> None:
    assert outcome(HOSTILE[name], positions=False) == outcome(HOSTILE[name], positions=True)


@pytest.mark.parametrize(
    "inside",
    [
        "    when: {every: 1h}\n    agent: a\n    agent: b\n",  # a duplicate key
        "    when: {every: 1h}\n    enabled: on\n",  # a YAML 1.1 boolean
        "    when: {every: 1:30}\n",  # a YAML 1.1 base-60 number
        "    input: &i {message: x}\n    data: *i\n    <<: *i\n",  # a merge key through an alias
        "    input: " + "{a: " * 70 + "1" + "}" * 70 + "\n",  # too deep
        "    input: {message: *nowhere}\n",  # an unknown alias
    ],
)
def test_reading_problems_inside_a_schedule_are_found_and_placed_the_same(inside: str) -> None:
    text = "\n".join(HEADER) + "\nschedules:\n  - name: s\n" + inside
    lazy, eager = outcome(text, positions=False), outcome(text, positions=True)
    assert lazy[0] == "error" and lazy == eager


def test_a_lazy_read_keeps_the_positions_it_records_exactly() -> None:
    text = "\n".join(big_bundle(500, {})) + "\n"
    [lazy] = load_text(text, "f.yaml", positions=False)
    [eager] = load_text(text, "f.yaml")
    assert lazy.positions is False and eager.positions is True
    assert lazy.values.items() <= eager.values.items() and lazy.keys.items() <= eager.keys.items()
    assert [lazy.mark(("schedules", i)) for i in range(500)] == [
        eager.mark(("schedules", i)) for i in range(500)
    ]
    assert lazy.mark(("schedules", 499, "when", "every")) == eager.mark(("schedules", 499))


def test_a_bundle_in_the_costs_file_is_still_checked_and_placed(tmp_path: Path) -> None:
    """`--costs FILE` may hold bundles too: they are checked like any other, each message at its place."""
    fleet = write(tmp_path, big_bundle(200, {}), "fleet.yaml")
    bad = schedule_lines(0, every="sometimes")
    costs = [
        "apiVersion: reconciler/v1",
        "kind: Costs",
        "agents:",
        "  agent-1: {perRun: 0.40 USD}",
        "---",
        *HEADER[:2],
        "bundleKey: other",
        HEADER[3],
        "schedules:",
        *bad,
    ]
    costs_file = write(tmp_path, costs, "costs.yaml")

    loaded = load_bundles([str(fleet)], read_secrets=False, costs_file=str(costs_file))

    assert located(loaded.diagnostics) == [
        ("costs.yaml", *where(costs, "sometimes"), loaded.diagnostics[0].message)
    ]
    assert loaded.costs is not None
