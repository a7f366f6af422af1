"""`status` as text (terminal), JSON (scripts) and Markdown (an issue or a job summary). Pure."""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from reconciler.status.verdicts import ATTENTION, VERDICTS, ScheduleStatus, Window

ICONS = {
    "ok": "✓",
    "late": "⏰",
    "missed": "✗",
    "erroring": "!",
    "never-fired": "∅",
    "paused-outside-bundle": "‖",
    "unknown": "?",
}


def counts(statuses: list[ScheduleStatus]) -> dict[str, int]:
    found = Counter(status.verdict for status in statuses)
    return {verdict: found.get(verdict, 0) for verdict in VERDICTS}


def needs_attention(statuses: list[ScheduleStatus]) -> bool:
    return any(status.verdict in ATTENTION for status in statuses)


def summary_line(statuses: list[ScheduleStatus], window: Window) -> str:
    parts = [f"{n} {verdict}" for verdict, n in counts(statuses).items() if n]
    head = f"{len(statuses)} schedule(s) over the last {_duration(window)}"
    return f"{head}: {', '.join(parts) if parts else 'none declared'}."


def to_text(statuses: list[ScheduleStatus], window: Window) -> str:
    lines: list[str] = []
    for status in statuses:
        lines.append(
            f"{ICONS[status.verdict]} {status.verdict:<22}{status.bundle_key}/{status.name} ({status.agent})"
        )
        lines.append(f"    {status.why}")
        figures = _figures(status)
        if figures:
            lines.append(f"    {figures}")
        for when, why in status.skipped:
            lines.append(f"    skipped{f' at {when}' if when else ''}: {why}")
        if status.next_disagrees:
            lines.append(
                f"    next fire disagrees: the bundle gives {status.next_fire}, the platform says "
                f"{status.platform_next_fire}"
            )
    lines += ["", summary_line(statuses, window)]
    return "\n".join(lines) + "\n"


def _figures(status: ScheduleStatus) -> str:
    parts = []
    if status.expected is not None:
        parts.append(f"expected {status.expected}")
    if status.observed is not None:
        parts.append(f"observed {status.observed}")
    if status.last_fire:
        parts.append(f"last {status.last_fire}")
    if status.next_fire:
        parts.append(f"next {status.next_fire}")
    return ", ".join(parts)


def to_json(statuses: list[ScheduleStatus], window: Window) -> dict[str, Any]:
    return {
        "now": window.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "since_seconds": int(window.since.total_seconds()),
        "grace_seconds": int(window.grace.total_seconds()),
        "summary": counts(statuses),
        "needs_attention": needs_attention(statuses),
        "schedules": [
            {
                "bundle_key": s.bundle_key,
                "provider": s.provider,
                "name": s.name,
                "agent": s.agent,
                "remote_id": s.remote_id,
                "verdict": s.verdict,
                "why": s.why,
                "expected": s.expected,
                "observed": s.observed,
                "last_fire": s.last_fire,
                "next_fire": s.next_fire,
                "platform_next_fire": s.platform_next_fire,
                "next_fire_disagrees": s.next_disagrees,
                "skipped": [{"at": at, "reason": reason} for at, reason in s.skipped],
                "last_error": s.last_error,
                "counters": list(s.counters),
                "file": s.file,
                "line": s.line,
            }
            for s in statuses
        ],
    }


def to_markdown(statuses: list[ScheduleStatus], window: Window) -> str:
    out = ["### reconciler status", "", f"**{html.escape(summary_line(statuses, window))}**", ""]
    shown = [s for s in statuses if s.verdict in ATTENTION]
    if not shown:
        return "\n".join([*out, "Every schedule fired as declared.", ""])
    out += ["| schedule | agent | verdict | why |", "|---|---|---|---|"]
    for s in shown:
        out.append(
            f"| <code>{html.escape(s.bundle_key)}/{html.escape(s.name)}</code> | {html.escape(s.agent)} "
            f"| {ICONS[s.verdict]} {s.verdict} | {html.escape(s.why)} |"
        )
    return "\n".join(out) + "\n"


def _duration(window: Window) -> str:
    seconds = int(window.since.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
