"""The plan/apply benchmark's plot: one SVG with a panel per provider (wall time of all creates vs N, log-log:
reconciler, ideal, sequential baseline)."""

from __future__ import annotations

import itertools
import math

from plan_apply_providers import Spec
from plan_apply_report import Row

COLOURS = {"reconciler": "#1f77b4", "ideal": "#2ca02c", "sequential baseline": "#d62728"}


def svg(rows: list[Row], specs: list[Spec]) -> str:
    """One panel per provider: wall time of `apply: all creates` against N, log-log. A baseline point
    scaled from a sample of the agents is drawn hollow, and the line to it dashed."""
    panels = [
        (s.key, [r for r in rows if r.provider == s.key and r.scenario == "apply: all creates"])
        for s in specs
    ]
    panels = [(k, p) for k, p in panels if p]
    values = [v for _, p in panels for r in p for v in (r.wall_s, r.ideal_s, r.baseline_s) if v]
    ns = sorted({r.n for _, p in panels for r in p}) or [1]
    lo_y, hi_y = math.floor(math.log10(min(values or [0.1]))), math.ceil(math.log10(max(values or [1.0])))
    lo_x, hi_x = math.log10(ns[0]), math.log10(ns[-1]) if len(ns) > 1 else math.log10(ns[0]) + 1
    cols, pw, ph, pad = 3, 330, 250, 50
    rows_n = math.ceil(len(panels) / cols) or 1
    width, height = cols * pw, rows_n * ph + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">apply (all creates): wall time vs N, '
        "log-log, per provider</text>",
    ]
    for i, label in enumerate(COLOURS):
        x: float = 20 + i * 200
        parts.append(
            f'<line x1="{x}" y1="36" x2="{x + 24}" y2="36" stroke="{COLOURS[label]}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{x + 30}" y="40">{label}</text>')
    parts.append('<text x="640" y="40">hollow, dashed: scaled from a sample of the agents</text>')
    for index, (key, points) in enumerate(panels):
        ox, oy = (index % cols) * pw, 50 + (index // cols) * ph

        def at(n: float, v: float, ox: int = ox, oy: int = oy) -> tuple[float, float]:
            x = ox + pad + (math.log10(n) - lo_x) / ((hi_x - lo_x) or 1) * (pw - pad - 20)
            y = oy + ph - pad + 10 - (math.log10(v) - lo_y) / ((hi_y - lo_y) or 1) * (ph - pad - 20)
            return round(x, 1), round(y, 1)

        x0, y0 = at(ns[0], 10.0**lo_y)
        x1, y1 = at(ns[-1], 10.0**hi_y)
        parts.append(
            f'<text x="{(x0 + x1) / 2}" y="{oy + 14}" text-anchor="middle" font-size="13">{key}</text>'
        )
        parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="black"/>')
        parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="black"/>')
        for n in ns:
            x, _ = at(n, 10.0**lo_y)
            parts.append(f'<text x="{x}" y="{y0 + 14}" text-anchor="middle">{n:,}</text>')
        for e in range(lo_y, hi_y + 1):
            _, y = at(ns[0], 10.0**e)
            parts.append(f'<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#ddd"/>')
            parts.append(f'<text x="{x0 - 4}" y="{y + 4}" text-anchor="end">{10.0**e:g} s</text>')
        series = {
            "reconciler": [(r.n, r.wall_s, True) for r in points],
            "ideal": [(r.n, r.ideal_s, True) for r in points],
            "sequential baseline": [
                (r.n, r.baseline_s, r.baseline_basis == "measured") for r in points if r.baseline_s
            ],
        }
        for label, data in series.items():
            colour = COLOURS[label]
            coords = [(at(n, v), measured) for n, v, measured in data if v]
            for (a, _), (b, measured) in itertools.pairwise(coords):
                dash = "" if measured else ' stroke-dasharray="5,4"'
                parts.append(
                    f'<line x1="{a[0]}" y1="{a[1]}" x2="{b[0]}" y2="{b[1]}" stroke="{colour}" stroke-width="2"{dash}/>'
                )
            for (x, y), measured in coords:
                fill = colour if measured else "white"
                parts.append(
                    f'<circle cx="{x}" cy="{y}" r="3.5" fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
                )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
