"""The status page at `/`: every bundle with what the last reconcile found, the verdicts needing attention
and the next 24 hours as calendar's heatmap, on one self-contained page that escapes everything; rendered
by headless Chromium without a console message, and a failing fleet looks different from a healthy one."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest

from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import load_bundles
from reconciler.controller.page import status_page
from reconciler.controller.snapshot import BundleStatus, Snapshot
from reconciler.forecast.view import build
from tests.conftest import ROOT
from tests.forecast.test_calendar_html import CHROMIUM, SKIP_REASON, headless

SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2026, 12, 7, 13, 20, tzinfo=UTC)


@cache
def example_bundles() -> tuple[Bundle, ...]:
    loaded = load_bundles([str(ROOT / "bundles"), str(ROOT / "examples")], read_secrets=False)
    loaded.raise_for_problems()
    return tuple(loaded.bundles)


def healthy() -> Snapshot:
    statuses = tuple(
        BundleStatus(
            bundle.key,
            f"{bundle.key}.yaml",
            bundle.provider,
            result="ok",
            commit="0123456789abcdef" * 2 + "01234567",
            last_reconcile=NOW - timedelta(seconds=40),
            last_success=NOW - timedelta(seconds=40),
            schedules=len(bundle.schedules),
        )
        for bundle in example_bundles()
    )
    return Snapshot(
        "https://git.example/fleet.git", "main", "f" * 40, NOW - timedelta(hours=3), True, statuses
    )


def failing() -> Snapshot:
    first, second, third, *rest = healthy().bundles
    return replace(
        healthy(),
        bundles=(
            replace(
                first,
                result="invalid",
                invalid=f"{first.path}:12: schedules[0].cron: 'every tuesday' is not a cron expression",
            ),
            replace(second, result="failed", failures=("nightly: HTTP 503 from the platform",)),
            replace(
                third,
                result="drift",
                policy="report",
                drifted=("weekly",),
                paused_outside=("digest",),
                verdicts={"weekly": "missed", "daily": "ok"},
            ),
            *rest,
        ),
    )


def parse(page: str) -> ET.Element:
    assert page.startswith("<!DOCTYPE html>\n")
    return ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))  # polyglot: it parses as XML too


def rows(root: ET.Element) -> dict[str, str]:
    """The bundles table: bundle key -> the text of its row and of its problems' row under it."""
    table = root.find(".//table")
    assert table is not None
    found: dict[str, str] = {}
    key = ""
    for row in table.iter("tr"):
        cells = row.findall("td")
        text = " | ".join("".join(cell.itertext()) for cell in cells)
        if row.get("class") == "problems":
            found[key] += " | " + text
        elif cells:
            key = str(cells[0].findtext("strong"))
            found[key] = text
    return found


def test_every_bundle_is_shown_with_what_its_last_reconcile_found() -> None:
    snapshot = failing()
    root = parse(status_page(snapshot, example_bundles(), NOW))
    shown = rows(root)
    assert set(shown) == {b.key for b in snapshot.bundles}
    invalid, failed, drift = snapshot.bundles[:3]
    assert "invalid" in shown[invalid.key] and "schedules[0].cron: 'every tuesday'" in shown[invalid.key]
    assert f"{invalid.path}:12" in shown[invalid.key]
    assert "apply failed: nightly: HTTP 503 from the platform" in shown[failed.key]
    assert "weekly (reported only)" in shown[drift.key] and "digest" in shown[drift.key]
    assert "0123456789" in shown[drift.key] and "40s ago" in shown[drift.key]
    order = list(shown)
    assert order[:3] == [invalid.key, failed.key, drift.key]  # worst first
    text = "".join(root.itertext())
    assert "watching https://git.example/fleet.git · ref main @ ffffffffffff" in text
    assert "Schedules needing attention" in text and "missed" in text


def test_the_heatmap_is_calendar_s_for_the_next_24_hours() -> None:
    root = parse(status_page(healthy(), example_bundles(), NOW))
    view = build(example_bundles(), NOW, 1, "UTC")
    svg = next(s for s in root.iter(f"{SVG}svg") if s.get("id") == "heatmap")
    tips = [str(r.findtext(f"{SVG}title")) for r in svg.findall(f"{SVG}rect")]
    assert len(tips) == 25  # 13:00 today to 13:00 tomorrow, both partial hours
    assert "Mon 2026-12-07 13:00–14:00 UTC" in tips[0]
    counted = sum(int(re.sub(r"\D", "", tip.rsplit(": ", 1)[1])) for tip in tips)
    assert counted == view.grid.total > 0
    assert "Next 24 hours (UTC)" in "".join(root.itertext())


def test_the_heatmap_follows_the_bundles_and_the_clock() -> None:
    """The drawn heatmap is kept for the same bundles and minute, and only for them."""

    def heading(bundles: tuple[Bundle, ...], now: datetime) -> str:
        root = parse(status_page(healthy(), bundles, now))
        subs = [p for p in root.iter("p") if p.get("class") == "sub"]
        return "".join(subs[-1].itertext())

    everything = heading(example_bundles(), NOW)
    assert heading(example_bundles(), NOW + timedelta(seconds=30)) == everything  # the same minute
    assert heading(example_bundles()[:1], NOW) != everything
    later = heading(example_bundles(), NOW + timedelta(hours=1))
    assert later.startswith("2026-12-07 14:20:00Z → 2026-12-08 14:20:00Z")


def test_the_page_is_self_contained_and_escapes_everything() -> None:
    hostile = "<script>alert(1)</script>"
    snapshot = failing()
    first = snapshot.bundles[0]
    snapshot = replace(
        snapshot,
        source=f"https://git.example/{hostile}",
        bundles=(
            replace(first, key=f"k{hostile}", invalid=hostile, drifted=(hostile,)),
            *snapshot.bundles[1:],
        ),
    )
    page = status_page(snapshot, example_bundles(), NOW)
    root = parse(page)
    assert root.find("./head/meta[@http-equiv='Content-Security-Policy']") is not None
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import"):
        assert forbidden not in page, forbidden
    assert f"k{hostile}" in rows(root)  # shown as text


def test_an_empty_controller_still_has_a_page() -> None:
    snapshot = Snapshot("/srv/bundles", None, None, NOW, ready=False)
    root = parse(status_page(snapshot, (), NOW))
    text = "".join(root.itertext())
    assert "no bundle found yet" in text and "not ready: the first full read is not done" in text


def _render(tmp_path: Path, name: str, snapshot: Snapshot) -> tuple[str, bytes]:
    page = tmp_path / f"{name}.html"
    page.write_text(status_page(snapshot, example_bundles(), NOW), encoding="utf-8")
    base = headless(tmp_path / f"profile-{name}")
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # A Content-Security-Policy violation, a parse problem or any script error is logged as CONSOLE.
    assert ":CONSOLE" not in dom.stderr, [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    shot = tmp_path / f"{name}.png"
    run = subprocess.run(
        [*base, "--window-size=1200,900", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert ":CONSOLE" not in run.stderr
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and int.from_bytes(data[16:20], "big") == 1200
    assert len(data) > 30_000  # a blank page compresses to a few kilobytes
    return dom.stdout, data


@pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)
def test_the_page_renders_in_headless_chromium_and_failures_show(tmp_path: Path) -> None:
    ok_dom, ok_png = _render(tmp_path, "ok", healthy())
    bad_dom, bad_png = _render(tmp_path, "failing", failing())
    for dom in (ok_dom, bad_dom):
        assert '<svg id="heatmap"' in dom
        assert all(bundle.key in dom for bundle in example_bundles())
    assert "apply failed: nightly: HTTP 503" in bad_dom and "apply failed" not in ok_dom
    assert ok_png != bad_png
