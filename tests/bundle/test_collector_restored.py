"""Loading pauses Python's cyclic garbage collector for speed; the program around it gets it back as it was."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from reconciler.bundle.validate import load_bundles


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(tmp_path: Path, enabled: bool) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: k\nschedules: [\n")  # broken too
    (gc.enable if enabled else gc.disable)()
    try:
        load_bundles([str(path)], environ={})
        load_bundles([str(tmp_path / "missing.yaml")], environ={})
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
