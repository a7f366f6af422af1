"""The layering the code style asks for, checked rather than hoped for: import-linter's contracts in
pyproject.toml ([tool.importlinter]) forbid the pure core (timing, bundle, plan, forecast, status) from
importing an I/O edge (the CLI, the applier, the sandboxes, the HTTP layer and the providers, httpx, FastAPI),
providers from reaching up into the CLI, and the sandboxes from using anything but the timing engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_every_import_contract_is_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
