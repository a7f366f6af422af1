"""libyaml's parser and PyYAML's pure-Python one feed the loader the same documents and the same errors.

The loader uses libyaml's C parser when PyYAML was built with it (several times faster at 10,000 schedules)
and the pure-Python parser otherwise; a user must not be able to tell which one read the file: the data, the
line and column of every value and key, and the place of every problem are the same. The corpus is every
bundle the project ships (examples/, bundles/, tests/data/) and hostile or broken inputs.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.bundle.load import FAST_PARSER, PURE_PARSER, load_text
from reconciler.errors import BundleError
from tests.conftest import ROOT

SHIPPED = sorted(
    [
        *(ROOT / "examples").rglob("*.yaml"),
        *(ROOT / "bundles").glob("*.yaml"),
        *(ROOT / "tests" / "data").rglob("*.y*ml"),
    ]
)

_GOOD = "apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: k\n"
HOSTILE = {
    "alias-bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    ),
    "small-aliases": "a: &x {k: v, l: [1, 2]}\nb: *x\nc: &s text\nd: *s\n*s : key-from-alias\n",
    "unknown-alias": "a: *nowhere\n",
    "merge-key": "a: &x {k: v}\nb:\n  <<: *x\n",
    "duplicate-key": _GOOD + "schedules: []\nbundleKey: again\n",
    "duplicate-nested-key": "a:\n  b: 1\n  c: 2\n  b: 3\n",
    "deep-block": "".join("  " * i + "-\n" for i in range(80)) + "  " * 80 + "x\n",
    "deep-flow": "a: " + "[" * 80 + "]" * 80 + "\n",
    "deep-mapping": "".join("  " * i + f"k{i}:\n" for i in range(70)) + "  " * 70 + "v\n",
    "yaml11-bool": "a: on\nb: yes\n",
    "yaml11-base60": "t: 1:30\n",
    "yaml11-octal": "mode: 0755\n",
    "long-number": "n: " + "9" * 60 + "\n",
    "huge-float": "f: 1e999\n",
    "python-tag": "a: !!python/object:os.system x\n",
    "custom-tag": "a: !thing {k: v}\n",
    "tagged-collection": "a: !!set {k: null}\n",
    "explicit-int": "a: !!int 0755\nb: !!str 12\nc: ! 12\nd: !!float 1.5\n",
    "template-key": "'{{ x }}': 1\n",
    "non-string-key": "[a, b]: 1\n",
    "number-key": "12: 12\n12.5: {12.5: 12.5}\nnull: ~\ntrue: false\n",
    "control-character": "a: b\x07c\n",
    "tab-indent": "a:\n\tb: 1\n",
    "unclosed-quote": "a: 'open\nb: 2\n",
    "unclosed-flow": "a: [1, 2\n",
    "bad-indent": "a:\n  b: 1\n c: 2\n",
    "several-documents": "a: 1\n---\n---\nb: [1, {c: d}]\n...\n---\nnull\n",
    "byte-order-mark": "\ufeffa: 1\n",
    "anchor-on-key": "&k key: 1\nother: *k\n",
    "block-scalars": "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\n",
    "quoted-and-plain": "a: 'yes'\nb: \"on\"\nc: ~\nd: ''\ne: 0x1F\nf: 1_000\ng: .inf\nh: -0\n",
    "only-comments": "# nothing\n",
    "empty": "",
}


def outcome(text: str, parser: type[Any]) -> tuple[str, Any]:
    """What a user sees of loading `text`: the documents with every position, or the located problems."""
    try:
        documents = load_text(text, "f.yaml", parser=parser)
    except BundleError as exc:
        return "error", [(d.file, d.line, d.col, d.message) for d in exc.diagnostics]
    return "ok", [(d.index, d.data, d.values, d.keys) for d in documents]


def assert_same(fast: tuple[str, Any], pure: tuple[str, Any]) -> None:
    if fast[0] == "error" and fast[1][0][3].startswith("invalid YAML:"):
        # The two parsers word their syntax errors themselves (and differently): the place is ours to keep.
        assert pure[0] == "error" and [d[:3] for d in pure[1]] == [d[:3] for d in fast[1]]
        assert pure[1][0][3].startswith("invalid YAML:")
    else:
        assert fast == pure


def test_the_corpus_is_the_projects_bundles() -> None:
    assert len(SHIPPED) >= 50


@pytest.mark.skipif(FAST_PARSER is PURE_PARSER, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_shipped_bundles_read_the_same_with_either_parser(path: Any) -> None:
    text = path.read_text(encoding="utf-8")
    assert_same(outcome(text, FAST_PARSER), outcome(text, PURE_PARSER))


@pytest.mark.skipif(FAST_PARSER is PURE_PARSER, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_and_broken_inputs_fail_the_same_with_either_parser(name: str) -> None:
    assert_same(outcome(HOSTILE[name], FAST_PARSER), outcome(HOSTILE[name], PURE_PARSER))
