"""The README's headline figures are the committed benchmark results, rendered by the benchmark itself: a
figure edited by hand, or results re-run without `--readme`, shows here as a difference."""

from __future__ import annotations

import json
import sys

from tests.docs.docs_blocks import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from vs_script import END, START, headline


def test_the_readme_table_is_the_committed_vs_script_result() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    document = json.loads((ROOT / "benchmarks" / "results" / "vs_script.json").read_text(encoding="utf-8"))
    shown = readme.split(START + "\n", 1)[1].split(END, 1)[0]
    assert shown == headline(document)
