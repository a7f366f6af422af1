"""The HTML report's views with a Costs document: tabs between fires, runs in progress and cost per hour, on
one self-contained page (no script: radio buttons and CSS), each view showing the load model's own figures;
without a Costs document the page has the fires alone. Rendered by headless Chromium without a console
message, and each view looks different (skipped, saying why, without chromium)."""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from reconciler.bundle.money import format_amount
from reconciler.bundle.validate import load_bundles
from reconciler.forecast.costs import AgentCosts, CostBook, Durations
from reconciler.forecast.loadgrid import LoadGrid, load_grid
from reconciler.forecast.web import calendar_html
from tests.conftest import ROOT, run_cli
from tests.forecast.test_calendar_html import CHROMIUM, SKIP_REASON, example_view, headless

SVG = "{http://www.w3.org/2000/svg}"


def example_load() -> LoadGrid:
    loaded = load_bundles([str(ROOT / "bundles"), str(ROOT / "examples")])  # examples/costs.yaml
    assert loaded.costs is not None
    view = example_view()
    return load_grid(view.grid, view.fires, loaded.costs)


def _page(load: LoadGrid | None = None) -> tuple[str, ET.Element]:
    page = calendar_html(example_view(), fail_on=3, load=load)
    return page, ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))


def _tips(root: ET.Element, svg_id: str) -> list[str]:
    svg = next(s for s in root.iter(f"{SVG}svg") if s.get("id") == svg_id)
    return [str(r.findtext(f"{SVG}title")) for r in svg.findall(f"{SVG}rect")]


def test_the_views_are_tabs_of_one_self_contained_page() -> None:
    page, root = _page(example_load())
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import"):
        assert forbidden not in page, forbidden
    buttons = {i.get("id"): i.get("checked") for i in root.iter("input")}
    assert buttons == {"fires": "checked", "concurrent": None, "cost-USD": None}
    tabs = [label.text for label in root.iter("label")]
    assert tabs == ["Runs in progress", "Cost (USD)", "Fires"]  # fires shown first (CSS order)
    svgs = [s.get("id") for s in root.iter(f"{SVG}svg")]
    assert svgs[:6] == [
        "heatmap",
        "heatmap-legend",
        "heatmap-concurrent",
        "heatmap-concurrent-legend",
        "heatmap-cost-USD",
        "heatmap-cost-USD-legend",
    ]


def test_each_view_shows_the_load_model_s_figures() -> None:
    load = example_load()
    view = example_view()
    _, root = _page(load)
    day, hour = 0, 9  # Monday 09:00 in Berlin, the busiest hour of the examples
    where = f"Mon 2026-03-23 09:00–10:00 {view.zone}"
    assert f"{where}: {view.grid.counts[day][hour]} fire(s)" in _tips(root, "heatmap")
    running = load.concurrent[day][hour]
    assert running >= 2 and f"{where}: at most {running} run(s) in progress" in _tips(
        root, "heatmap-concurrent"
    )
    cost = format_amount(load.cost["USD"][day][hour])
    assert any(t.startswith(f"{where}: {cost} USD of runs started") for t in _tips(root, "heatmap-cost-USD"))
    text = "".join(root.itertext())
    assert f"At most {load.peak_concurrent} run(s) in progress at once" in text
    total = sum((sum(row, Decimal(0)) for row in load.cost["USD"]), Decimal(0))
    assert f"{format_amount(total)} USD for the runs started in the window" in text


def test_without_prices_or_durations_the_views_say_what_is_missing() -> None:
    view = example_view()
    book = CostBook({"agent_briefer": AgentCosts("agent_briefer", None, Durations(240, 240))})
    page = calendar_html(view, load=load_grid(view.grid, view.fires, book))
    assert 'id="cost"' in page and "No schedule&#x27;s agent has a perRun" in page
    empty = calendar_html(view, load=load_grid(view.grid, view.fires, CostBook()))
    assert "No schedule&#x27;s agent has a duration" in empty


def test_the_cli_adds_the_views_only_with_a_costs_document(tmp_path: Path) -> None:
    with_costs, without = tmp_path / "with.html", tmp_path / "without.html"
    assert run_cli("calendar", str(ROOT / "examples"), "--html", str(with_costs)).code == 0
    assert run_cli("calendar", str(ROOT / "bundles"), "--html", str(without)).code == 0
    page = with_costs.read_text()
    assert 'id="concurrent"' in page and "Cost (USD)" in page
    assert "Schedules whose runs overlap themselves" in page
    assert (
        "example-agentex/poll" in page.split("overlap themselves")[1].split("</table>")[0]
    )  # 40 min, every 30
    assert "<input" not in without.read_text() and "overlap themselves" not in without.read_text()


@pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)
def test_every_view_renders_in_headless_chromium(tmp_path: Path) -> None:
    assert CHROMIUM is not None
    page = tmp_path / "calendar.html"
    page.write_text(calendar_html(example_view(), fail_on=3, load=example_load()), encoding="utf-8")
    base = headless(tmp_path / "profile")
    shots = []
    for view in ("", "#concurrent", "#cost-USD"):  # the address picks the view, as docs-pictures does
        shot = tmp_path / f"view{len(shots)}.png"
        run = subprocess.run(
            [*base, "--window-size=1200,700", f"--screenshot={shot}", page.as_uri() + view],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        # A Content-Security-Policy violation, a parse problem or any script error is logged as CONSOLE.
        assert ":CONSOLE" not in run.stderr, [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
        data = shot.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 30_000
        shots.append(data)
    assert len(set(shots)) == 3  # three different pictures: each address shows its own view
    assert re.search(r"#concurrent:target~#fires:checked~#panel-concurrent", page.read_text())
