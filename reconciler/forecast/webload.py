"""The calendar page's views of one grid: fires, runs in progress (from each agent's `duration.typical`) and
cost per hour (from its `perRun`), one per currency, switched with tabs (docs/costs.md, `reconciler.forecast.
loadgrid` for the model). Pure: returns the text.

The page runs no script (its Content-Security-Policy forbids one), so the tabs are radio buttons and CSS: a
checked button shows its panel. Opening the page as `calendar.html#concurrent` (or `#cost-USD`) shows that
view first, which is how a screenshot picks one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from html import escape

from reconciler.bundle.money import format_amount
from reconciler.forecast.heatmap import LEVELS
from reconciler.forecast.loadgrid import LoadGrid
from reconciler.forecast.moments import at_second, local_text
from reconciler.forecast.view import CalendarView
from reconciler.forecast.webgrid import Series, Value, heatmap_svg, legend_svg

# ColorBrewer Blues and Greens, 8 classes: apart from the fires' YlOrRd, so a view is never read as another.
BLUES = ("#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b")
GREENS = ("#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#006d2c", "#00441b")
FIRES = "fires"
CONCURRENT = "concurrent"

_STYLE = """
.views{display:flex;flex-wrap:wrap;align-items:flex-start}
.views>input{position:fixed;top:0;left:0;opacity:0;pointer-events:none}
.views>label[for=fires]{order:-1}
.views>label{display:inline-block;padding:5px 14px;margin:0 6px 10px 0;border:1px solid #d0d7de;border-radius:16px;cursor:pointer;color:#1f2328;background:#fff}
.views>label:hover{background:#f6f8fa}
.views>input:checked+label{background:#1f2328;border-color:#1f2328;color:#fff}
.views>input:focus-visible+label{outline:2px solid #0969da;outline-offset:2px}
.panel{display:none;flex-basis:100%}.panel .note{margin:4px 0 0}
"""


def load_views(
    view: CalendarView,
    load: LoadGrid,
    fires: Series,
    fires_legend: Callable[[Series], str],
) -> list[str]:
    """The tabs and their panels: fires (checked), runs in progress, then cost in each currency."""
    panels: list[tuple[str, str, list[str]]] = [
        (FIRES, "Fires", [heatmap_svg(view.grid, fires), fires_legend(fires)]),
        (CONCURRENT, "Runs in progress", _concurrent(view, load)),
    ]
    for currency in _currencies(load):
        caption = f"Cost ({currency})" if currency else "Cost"
        panels.append((_cost_name(currency), caption, _cost(view, load, currency)))
    out = ['<div class="views">']
    # The fires' button comes last, shown first (CSS `order`): a view the address names must come before
    # it for the CSS to tell that the fires' button is still checked only because nothing was clicked.
    for name, caption, _ in [*panels[1:], panels[0]]:
        checked = ' checked="checked"' if name == FIRES else ""
        out.append(
            f'<input type="radio" name="view" id="{_e(name)}"{checked}/><label for="{_e(name)}">{_e(caption)}</label>'
        )
    for name, _, body in panels:
        out.append(f'<div class="panel" id="panel-{_e(name)}">')
        out.extend(body)
        out.append("</div>")
    out.append("</div>")
    return ["\n".join(out)]


def views_style(load: LoadGrid) -> str:
    """The CSS of the tabs, for the page's head."""
    return _STYLE + _switch([FIRES, CONCURRENT, *map(_cost_name, _currencies(load))])


def _currencies(load: LoadGrid) -> tuple[str, ...]:
    return load.currencies or ("",)  # "": no agent has a price; the view says so


def _cost_name(currency: str) -> str:
    return f"cost-{currency}" if currency else "cost"


def _switch(names: Sequence[str]) -> str:
    """A checked button shows its panel. A view named by the page's address (`#concurrent`) shows instead of
    the fires while the fires' button is still the checked one (nothing was clicked yet)."""
    rules = [f"#{n}:checked~#panel-{n}{{display:block}}" for n in names]
    others = [n for n in names if n != FIRES]
    rules += [f"#{n}:target~#{FIRES}:checked~#panel-{n}{{display:block}}" for n in others]
    rules.append(f"input:target~#{FIRES}:checked~#panel-{FIRES}{{display:none}}")
    rules.append(f"input:target~#{FIRES}:checked+label{{background:#fff;border-color:#d0d7de;color:#1f2328}}")
    rules += [f"#{n}:target+label{{background:#1f2328;border-color:#1f2328;color:#fff}}" for n in others]
    return "".join(rules)


def _concurrent(view: CalendarView, load: LoadGrid) -> list[str]:
    days = view.grid.days

    def tip(row: int, hour: int, value: Value) -> str:
        return f"{_hours(days[row], hour)} {view.zone}: at most {value:,} run(s) in progress"

    series = Series(
        "heatmap-concurrent",
        "runs in progress",
        load.concurrent,
        BLUES,
        lambda n: f"{n:,}",
        tip,
        total_head="peak",
        row_total=max,
    )
    peak = int(series.peak)
    if not load.timed_schedules:
        note = (
            "No schedule's agent has a duration in the Costs document (duration: {typical: 4m}): nothing "
            "to count. See docs/costs.md."
        )
    else:
        at = f" at {local_text(at_second(load.peak_at), view.zone)} {view.zone}" if load.peak_at else ""
        note = (
            f"At most {load.peak_concurrent:,} run(s) in progress at once{at}: each run lasts its agent's "
            f"duration.typical. {load.timed_schedules} of {len(view.fires)} schedule(s) have a duration; runs "
            "started before the window are not known, so the first hours may read low."
        )
    return [
        heatmap_svg(view.grid, series),
        legend_svg(series, _int_keys(peak)),
        f'<p class="note">{_e(note)}</p>',
    ]


def _cost(view: CalendarView, load: LoadGrid, currency: str) -> list[str]:
    days = view.grid.days
    rows = len(days)
    cells = load.cost.get(currency) or tuple((Decimal(0),) * 24 for _ in range(rows))

    def tip(row: int, hour: int, value: Value) -> str:
        unpriced = load.unpriced[row][hour]
        extra = f" (+{unpriced:,} run(s) without a perRun)" if unpriced else ""
        return f"{_hours(days[row], hour)} {view.zone}: {format_amount(Decimal(value))} {currency} of runs started{extra}"

    series = Series(
        f"heatmap-cost-{currency}" if currency else "heatmap-cost",
        f"{currency} per hour" if currency else "cost per hour",
        cells,
        GREENS,
        _money_short,
        tip,
    )
    peak = Decimal(series.peak)
    # Every other level: the legend of amounts fits the page's width.
    keys = [(0, "0")] + [
        (level, f"≤ {_money_short(peak * level / LEVELS)}") for level in range(2, LEVELS + 1, 2)
    ]
    total = Decimal(sum((sum(row, Decimal(0)) for row in cells), Decimal(0)))
    unpriced = sum(map(sum, load.unpriced))
    if not currency:
        note = (
            'No schedule\'s agent has a perRun in the Costs document (perRun: "0.40 USD"). See docs/costs.md.'
        )
    else:
        note = (
            f"{format_amount(total)} {currency} for the runs started in the window, at each agent's perRun."
        )
    if unpriced:
        note += f" {unpriced:,} run(s) of agents without a perRun are not priced."
    return [
        heatmap_svg(view.grid, series),
        legend_svg(series, keys if peak else [(0, "0")]),
        f'<p class="note">{_e(note)}</p>',
    ]


def _int_keys(peak: int) -> list[tuple[int, str]]:
    """The legend of a count: each level with the counts it stands for."""
    keys = [(0, "0")]
    for level in range(1, LEVELS + 1):
        low, high = (level - 1) * peak // LEVELS + 1, level * peak // LEVELS
        if low <= high:
            keys.append((level, f"{low:,}" if low == high else f"{low:,}–{high:,}"))
    return keys


def _money_short(value: Value) -> str:
    amount = Decimal(value)
    if amount >= 10_000:
        return f"{amount / 1000:.0f}k"
    if amount >= 1000:
        return f"{amount / 1000:.1f}k"
    if amount >= 100:
        return f"{amount:.0f}"
    return f"{amount:.1f}" if amount >= 10 else f"{amount:.2f}"


def _hours(day: date, hour: int) -> str:
    return f"{day:%a %Y-%m-%d} {hour:02d}:00–{(hour + 1) % 24:02d}:00"


def _e(text: str) -> str:
    return escape(text, quote=True)
