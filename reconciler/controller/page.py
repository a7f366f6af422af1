"""The controller's status page at `/`: every bundle with its commit, last reconcile, result, drift, pauses
made outside the bundle, failures and validation error, the schedules whose `status` verdict needs
attention, and the next 24 hours of fires as the heatmap `calendar` draws (reconciler.forecast: the same
view, series, SVG and legend as `calendar --html`).

One self-contained document: no script, no external asset (the same Content-Security-Policy as calendar's
page), every text escaped, well-formed XML too so tests can parse it. Pure but for the forecast it runs:
returns the text.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from reconciler.bundle.desired import Bundle
from reconciler.controller.snapshot import RESULTS, BundleStatus, Snapshot
from reconciler.forecast.view import build
from reconciler.forecast.web import STYLE, fires_legend, fires_series
from reconciler.forecast.webgrid import heatmap_svg
from reconciler.status.verdicts import ATTENTION, VERDICTS

ZONE = "UTC"  # the page's clock: a controller serves readers in every zone
REFRESH_SECONDS = 60  # the browser reloads the page; a meta refresh is navigation, not a script
_SHOWN = 8  # schedule names listed in a cell; the rest are counted

PAGE_STYLE = """
.result{font-weight:600;padding:1px 8px;border-radius:10px;color:#fff}
.r-invalid,.r-failed{background:#b10026}.r-drift{background:#bc4c00}.r-pending{background:#0969da}
.r-ok{background:#1a7f37}.r-unknown{background:#6e7781}
.summary span{margin-right:14px}
td.w{max-width:300px;min-width:120px}th{white-space:normal}tr.problems td{border-top:0;padding-top:0}tr:has(+tr.problems) td{border-bottom:0}
"""


def status_page(snapshot: Snapshot, bundles: Sequence[Bundle], now: datetime) -> str:
    """The whole page for this snapshot; `bundles` (the validated ones kept warm) give the next 24 hours."""
    title = "reconciler controller"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"/>',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>",
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}"/>',
        f"<title>{_e(title)}</title><style>{STYLE}{PAGE_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">{_e(_watching(snapshot, now))}</p>',
        _summary(snapshot),
        "<h2>Bundles</h2>",
        _bundles(snapshot, now),
        *_attention(snapshot),
        f"<h2>Next 24 hours ({ZONE})</h2>",
        _next_day(bundles, now),
        *_next_hour(snapshot),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


class _Heatmaps:
    """The last heatmap drawn, for the same bundles and minute: a 24-hour forecast of 10,000 schedules costs
    about 3 s of CPU, and the page is asked for far more often than the bundles or the minute change. The
    entry holds the bundles themselves, so their ids cannot be reused by other objects while it is kept."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one drawing at a time: the server answers on several threads
        self.key: tuple[tuple[int, ...], datetime] | None = None
        self.kept: Sequence[Bundle] = ()
        self.text = ""

    def get(self, bundles: Sequence[Bundle], now: datetime) -> str:
        start = now.astimezone(UTC).replace(second=0, microsecond=0)
        key = (tuple(map(id, bundles)), start)
        with self.lock:
            if key != self.key:
                self.text = _draw(bundles, start)
                self.key, self.kept = key, tuple(bundles)
            return self.text


def _draw(bundles: Sequence[Bundle], start: datetime) -> str:
    view = build(bundles, start, 1, ZONE)
    series = fires_series(view)
    return "\n".join(
        [
            f'<p class="sub">{_e(_when(view.start))} → {_e(_when(view.end))} · {len(view.fires)} schedule(s) · '
            f"{view.grid.total:,} fire(s)</p>",
            heatmap_svg(view.grid, series),
            fires_legend(series),
        ]
    )


_next_day = _Heatmaps().get


def _watching(snapshot: Snapshot, now: datetime) -> str:
    where = snapshot.source
    if snapshot.ref is not None:
        where += f" · ref {snapshot.ref}"
    if snapshot.commit is not None:
        where += f" @ {snapshot.commit[:12]}"
    if snapshot.shard is not None:
        where += f" · shard {snapshot.shard[0]}/{snapshot.shard[1]}"
    ready = "ready" if snapshot.ready else "not ready: the first full read is not done"
    return f"watching {where} · started {_when(snapshot.started)} · {ready} · page made {_when(now)}"


def _summary(snapshot: Snapshot) -> str:
    counts = Counter(bundle.result for bundle in snapshot.bundles)
    spans = [f"<span>{len(snapshot.bundles)} bundle(s)</span>"]
    spans += [
        f'<span><span class="result r-{result}">{result}</span> {counts[result]}</span>'
        for result in RESULTS
        if counts[result]
    ]
    return f'<p class="summary">{"".join(spans)}</p>'


def _bundles(snapshot: Snapshot, now: datetime) -> str:
    """One row per bundle, worst first; a failure or a validation error gets a full-width row under it."""
    if not snapshot.bundles:
        return '<p class="note">no bundle found yet</p>'
    head = [
        "bundle",
        "result",
        "commit",
        "reconciled",
        "last ok",
        "schedules",
        "drift",
        "paused outside the bundle",
    ]
    rows = []
    for bundle in sorted(snapshot.bundles, key=lambda b: (RESULTS.index(b.result), b.key)):
        rows.append(
            "<tr>"
            f'<td class="t"><strong>{_e(bundle.key)}</strong><br/><span class="note">{_e(bundle.path)} · '
            f"{_e(bundle.provider)}</span></td>"
            f'<td class="t"><span class="result r-{_e(bundle.result)}">{_e(bundle.result)}</span></td>'
            f'<td class="t"><code>{_e(bundle.commit[:10] if bundle.commit else "none")}</code></td>'
            f"{_ago(bundle.last_reconcile, now)}{_ago(bundle.last_success, now)}"
            f'<td class="n">{bundle.schedules:,}</td>'
            f'<td class="w">{_e(_drift(bundle))}</td>'
            f'<td class="w">{_e(_names(bundle.paused_outside))}</td>'
            "</tr>"
        )
        problems = _problems(bundle)
        if problems:
            rows.append(f'<tr class="problems"><td class="w" colspan="{len(head)}">{problems}</td></tr>')
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    return f"<table><thead><tr>{header}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"


def _drift(bundle: BundleStatus) -> str:
    if not bundle.drifted:
        return ""
    action = "healing" if bundle.policy == "heal" else "reported only"
    return f"{_names(bundle.drifted)} ({action})"


def _problems(bundle: BundleStatus) -> str:
    lines = []
    if bundle.invalid is not None:
        lines.append(f"invalid on the watched ref, the last good version stays applied: {bundle.invalid}")
    lines += [f"apply failed: {failure}" for failure in bundle.failures]
    return "<br/>".join(f'<span class="bad">{_e(line)}</span>' for line in lines)


def _attention(snapshot: Snapshot) -> list[str]:
    rows = [
        (bundle.key, name, verdict)
        for bundle in snapshot.bundles
        for name, verdict in bundle.verdicts.items()
        if verdict in ATTENTION
    ]
    if not rows:
        return []
    rows.sort(
        key=lambda row: (VERDICTS.index(row[2]) if row[2] in VERDICTS else len(VERDICTS), row[0], row[1])
    )
    body = "".join(
        f'<tr><td class="t">{_e(key)}</td><td class="t">{_e(name)}</td><td class="t bad">{_e(verdict)}</td></tr>'
        for key, name, verdict in rows
    )
    return [
        "<h2>Schedules needing attention</h2>",
        f"<table><thead><tr><th>bundle</th><th>schedule</th><th>verdict</th></tr></thead><tbody>{body}</tbody></table>",
    ]


def _next_hour(snapshot: Snapshot) -> list[str]:
    fires: Counter[str] = Counter()
    for bundle in snapshot.bundles:
        fires.update(bundle.next_hour_fires)
    if not fires:
        return []
    body = "".join(
        f'<tr><td class="t">{_e(agent)}</td><td class="n">{count:,}</td></tr>'
        for agent, count in sorted(fires.items(), key=lambda item: (-item[1], item[0]))
    )
    return [
        "<h2>Fires expected in the next hour, per agent</h2>",
        f"<table><thead><tr><th>agent</th><th>fires</th></tr></thead><tbody>{body}</tbody></table>",
    ]


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f", … (+{len(names) - _SHOWN})" if len(names) > _SHOWN else "")


def _ago(moment: datetime | None, now: datetime) -> str:
    """A table cell: how long ago, with the instant itself as the cell's tooltip."""
    if moment is None:
        return '<td class="t note">never</td>'
    seconds = int((now - moment).total_seconds())
    if seconds < 0:
        text = _when(moment)
    elif seconds < 120:
        text = f"{seconds}s ago"
    elif seconds < 7200:
        text = f"{seconds // 60} min ago"
    elif seconds < 172800:
        text = f"{seconds // 3600} h ago"
    else:
        text = f"{seconds // 86400} days ago"
    return f'<td class="t" title="{_e(_when(moment))}">{_e(text)}</td>'


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _e(text: str) -> str:
    return escape(text, quote=True)
