"""The loader's own builder against PyYAML's composer: same data, same positions, same first error.

The builder turns the C parser's events into data itself (fast, bounded, without recursion) and remembers
what each untagged plain scalar resolved to, since bundles repeat the same keys and values thousands of
times. These tests hold it to an independent reading of the same text: `yaml.safe_load` for the data (on
documents without YAML 1.1 surprises, where both must agree) and `yaml.compose` for every position.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.bundle.document import Document, Mark
from reconciler.bundle.load import load_text
from reconciler.errors import BundleError

SETTINGS = settings(
    max_examples=120,
    deadline=timedelta(seconds=5),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Text both YAML readings agree on once PyYAML's dumper has quoted what needs quoting.
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
_KEY = st.text("abcdefghijklmnopqrstuvwxyz_-0123456789", min_size=1, max_size=8)
_ATOM = st.one_of(
    _TEXT,
    st.sampled_from(["name", "agent", "6h", "UTC", "x y", "- a", "#c", "a: b", "{x}", "[y]", "yes", "1:30"]),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.none(),
)
_TREE = st.recursive(
    _ATOM,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEY, inner, max_size=4)),
    max_leaves=25,
)


def _dump(data: Any, style: str) -> str:
    if style == "json":  # what generated bundles look like: JSON values, which YAML reads too
        return json.dumps(data, indent=1, ensure_ascii=False)  # (YAML has no surrogate-pair escapes)
    flow = {"block": False, "flow": True, "mixed": None}[style]
    return yaml.safe_dump(data, default_flow_style=flow, width=40, allow_unicode=True)


def _walk(node: yaml.Node, path: tuple[Any, ...], doc: Document) -> None:
    """Every node's start mark is where the loader says its path is written; keys too."""
    assert doc.values[path] == Mark(node.start_mark.line + 1, node.start_mark.column + 1), path
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            assert doc.keys[child] == Mark(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, child, doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), doc)


@SETTINGS
@given(
    data=st.dictionaries(_KEY, _TREE, min_size=1, max_size=6),
    style=st.sampled_from(["block", "flow", "mixed", "json"]),
)
def test_data_and_positions_agree_with_pyyaml(data: dict[str, Any], style: str) -> None:
    text = _dump(data, style)
    [doc] = load_text(text, "f.yaml")
    assert doc.data == yaml.safe_load(text)
    _walk(yaml.compose(text, Loader=yaml.SafeLoader), (), doc)


def test_a_bundle_of_many_repeated_scalars_reads_like_pyyaml() -> None:
    lines = ["schedules:"]
    for i in range(300):
        lines += [
            f"  - name: s{i % 7}x{i}",
            f"    agent: agent_{i % 3}",
            f"    when: {{every: {1 + i % 5}h}}",
        ]
        lines += [f"    retries: {i % 4}", "    enabled: true", "    note: null", f"    ratio: {i % 3}.5"]
    text = "\n".join(lines) + "\n"
    [doc] = load_text(text, "f.yaml")
    assert doc.data == yaml.safe_load(text)
    _walk(yaml.compose(text, Loader=yaml.SafeLoader), (), doc)


def test_a_plain_scalar_reads_the_same_as_key_and_as_value() -> None:
    [doc] = load_text("12: 12\nx: [12, '12', 12]\n12.5: {12.5: 12.5}\nnull: ~\n", "f.yaml")
    assert doc.data == {"12": 12, "x": [12, "12", 12], "12.5": {"12.5": 12.5}, "null": None}


@pytest.mark.parametrize("word", ["yes", "on", "1:30", "0755"])
def test_a_repeated_ambiguous_scalar_is_reported_where_it_first_appears(word: str) -> None:
    text = f"a: fine\nb: {word}\nc: [{word}, {word}]\n"
    with pytest.raises(BundleError) as info:
        load_text(text, "f.yaml")
    assert str(info.value).startswith("f.yaml:2:4:")
    # and once more after a good reading of other scalars: nothing carried over between runs
    with pytest.raises(BundleError) as again:
        load_text(f"a: fine\nlist: [x, x, x]\nd: {word}\n", "g.yaml")
    assert str(again.value).startswith("g.yaml:3:4:")


def test_a_tagged_scalar_is_never_taken_from_what_its_plain_twin_gave() -> None:
    [doc] = load_text("a: 12\nb: !!str 12\nc: ! 12\n", "f.yaml")
    assert doc.data == {"a": 12, "b": "12", "c": "12"}
