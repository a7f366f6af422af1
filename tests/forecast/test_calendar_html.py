"""The HTML report: well-formed, self-contained (no script, no external asset), and rendered without a
console message by headless Chromium (skipped, saying why, when no chromium is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reconciler.bundle.validate import load_bundles
from reconciler.forecast.view import CalendarView, build
from reconciler.forecast.web import calendar_html
from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SKIP_REASON = (
    "chromium is not installed: .ci/run installs Debian's chromium (apt-get install chromium) and "
    "skips this test only when that install fails"
)


def headless(profile: Path) -> list[str]:
    """Debian's Chromium, headless, quiet, with its own profile and its console on stderr."""
    assert CHROMIUM is not None
    return [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
    ]


def example_view() -> CalendarView:
    loaded = load_bundles([str(ROOT / "bundles"), str(ROOT / "examples")])
    loaded.raise_for_problems()
    return build(
        loaded.bundles,
        datetime(2026, 3, 23, tzinfo=ZoneInfo("Europe/Berlin")),
        7,
        "Europe/Berlin",
        budget=100,
    )


def test_html_is_well_formed_and_self_contained() -> None:
    view = example_view()
    page = calendar_html(view, fail_on=3)
    assert page.startswith("<!DOCTYPE html>\n")
    root = ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))  # polyglot: it parses as XML too
    assert root.tag == "html"
    assert root.find("./head/meta[@http-equiv='Content-Security-Policy']") is not None
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import"):
        assert forbidden not in page, forbidden
    assert set(re.findall(r"https?://[^\"' ]+", page)) == {
        "http://www.w3.org/2000/svg"
    }  # a namespace, not a fetch
    svg = ET.fromstring(page.removeprefix("<!DOCTYPE html>\n")).find(".//{http://www.w3.org/2000/svg}svg")
    assert svg is not None and svg.get("id") == "heatmap"
    rects = svg.findall("{http://www.w3.org/2000/svg}rect")
    cells = sum(
        inside or count > 0
        for row_in, row in zip(view.grid.in_window, view.grid.counts, strict=True)
        for inside, count in zip(row_in, row, strict=True)
    )
    assert len(rects) == cells == 7 * 24 - 1  # the hour Berlin skips on 2026-03-29 has no cell
    titles = [r.findtext("{http://www.w3.org/2000/svg}title") for r in rects]
    assert f"Mon 2026-03-23 09:00–10:00 Europe/Berlin: {view.grid.counts[0][9]} fire(s)" in titles
    assert view.grid.counts[0][9] >= 12  # the watchers alone fire 6 + 4 + 2 times an hour
    assert "more than <code>--fail-on-collision 3</code>" in page


def test_html_escapes_what_it_shows() -> None:
    page = calendar_html(example_view(), title="<script>alert('x')</script> & co")
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; co" in page


@pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)
def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    assert CHROMIUM is not None
    page = tmp_path / "calendar.html"
    page.write_text(calendar_html(example_view(), fail_on=3), encoding="utf-8")
    base = headless(tmp_path / "profile")
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert '<svg id="heatmap"' in dom.stdout and dom.stdout.count("<rect") > 7 * 24
    assert "Busiest minutes (Europe/Berlin)" in dom.stdout
    # A Content-Security-Policy violation, a parse problem or any script error is logged as CONSOLE.
    assert ":CONSOLE" not in dom.stderr, [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    shot = tmp_path / "calendar.png"
    screenshot = subprocess.run(
        [*base, "--window-size=1200,900", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert screenshot.returncode == 0, screenshot.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(data[16:20], "big") == 1200  # IHDR width
    assert len(data) > 30_000  # a blank page compresses to a few kilobytes; the heatmap does not
