"""benchmarks/forecast.py's generated bundles still validate (not timed: the benchmark itself times)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from reconciler.bundle.validate import load_bundles
from tests.conftest import ROOT


def test_benchmark_bundles_validate(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("forecast_benchmark", ROOT / "benchmarks" / "forecast.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_bundles(tmp_path, 200, 8)
    loaded = load_bundles([str(tmp_path)])
    assert loaded.diagnostics == []
    assert {b.provider for b in loaded.bundles} == {"cadenya", "agentex", "orq", "oz", "tbd-agents"}
    assert sum(len(b.schedules) for b in loaded.bundles) == 200
