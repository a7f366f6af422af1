"""The pictures in docs/ come from the commands printed with them (scripts/docs-pictures)."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.docs_blocks import ROOT, shell_blocks

SCRIPT = ROOT / "scripts" / "docs-pictures"
PAGE = ROOT / "docs" / "timing.md"
PICTURES = ("calendar.png", "calendar-runs.png", "calendar-cost.png")  # fires, runs in progress, cost


def _script_command() -> str:
    found = re.search(r"^calendar_command='([^']+)'$", SCRIPT.read_text(encoding="utf-8"), re.MULTILINE)
    assert found, "scripts/docs-pictures names its calendar command in calendar_command='...'"
    return found.group(1)


def test_the_page_shows_exactly_the_command_the_picture_is_made_with() -> None:
    command = _script_command()
    # the page's heatmap commands (it also shows `calendar --suggest-spread`, which draws no picture)
    drawn = [c for block in shell_blocks(PAGE) for c in block.commands if c.startswith("reconciler calendar")]
    shown = [c for c in drawn if "--suggest-spread" not in c]
    assert shown == [command]
    text = PAGE.read_text(encoding="utf-8")
    assert text.index(command) < text.index("](calendar.png)"), "the picture follows its command"


def _chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


@pytest.mark.skipif(_chromium() is None, reason="needs headless Chromium (apt-get install chromium)")
def test_the_script_makes_the_picture(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path)], env=env, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr
    pictures = [(tmp_path / name).read_bytes() for name in PICTURES]
    for png in pictures:
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert (width, height) == (1200, 700)
    assert len(set(pictures)) == len(PICTURES)  # each shows another view of the page
    status = (tmp_path / "controller.png").read_bytes()  # the controller's status page (its own size)
    assert status[:8] == b"\x89PNG\r\n\x1a\n" and status not in pictures
    assert not (tmp_path / "calendar.html").exists()  # the HTML is written in a scratch folder
