"""The one explainer: a plan's steps as text (terminal), JSON (plan file) and Markdown (PR comment).

Last step of `plan`. All three walk the same `Action`s that `apply` executes, so what is shown cannot drift
from what is done. Values come already masked from `diff`; printing adds no secret of its own.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from reconciler.bundle.sensitive import REDACTED, public
from reconciler.plan.model import Action, BundlePlan, Change, Plan
from reconciler.plan.selection import describe as describe_selection

# 2: one shape for any number of bundles. Version 1 put a single bundle's fields at the top level and only
# several bundles under `bundles`; its files are refused (with this number) rather than misread.
FORMAT_VERSION = 2
MARKDOWN_LIMIT = 65_000  # GitHub refuses comments over 65,536 characters; leave room for a bot's footer
MARKDOWN_VALUE_LIMIT = 1_000  # one huge message must not push every other step out of the comment

SYMBOLS = {
    "create": "+",
    "update": "~",
    "pause": "⏸",
    "resume": "▶",
    "archive": "-",
    "delete": "-",
    "adopt": "⇐",
    "rename": "→",
    "noop": " ",
}
KEPT_PAUSE = "‖"  # a pause made outside the bundle, kept
KEPT_DRIFT = "≠"  # drift left as it is (drift: report)
_COLOURS = {
    "create": "32",
    "update": "33",
    "archive": "31",
    "delete": "31",
    "pause": "36",
    "resume": "36",
    "adopt": "34",
    "rename": "35",
}
_SUMMARY_KINDS = ("create", "update", "pause", "resume", "archive", "delete")
_EXTRA_KINDS = ("adopt", "rename")  # in the summary only when there are some
NO_CHANGES = "No changes. The live schedules match the bundle."
NO_BUNDLES = "No bundles were read (--allow-empty): nothing was compared with the live schedules."


# ---- text -------------------------------------------------------------------------------------------------


def partial_warning(plan: Plan) -> str:
    """Said first by every output of a partial plan: nobody must read it as the whole picture."""
    return (
        f"Partial plan ({describe_selection(plan.only, plan.exclude)}): schedules outside the selection are "
        "neither changed nor pruned, and may differ from their bundle."
    )


def ignored_lines(plan: Plan) -> list[str]:
    """`--show-ignored`: each difference in a field the bundle leaves to the platform."""
    lines: list[str] = []
    for bundle in plan.bundles:
        for action in bundle.actions:
            if action.ignored:
                lines.append(f"  ignored  {_safe(action.name)} ({_safe(action.agent)})  # ignore:")
                lines += ["    " + _change(change, False, None) for change in action.ignored]
    return lines


def to_text(plan: Plan, color: bool, *, show_ignored: bool = False) -> str:
    """Terraform-like: one line per step that changes something, its fields below it, a summary line last."""
    several = len(plan.bundles) > 1
    sections: list[str] = [partial_warning(plan)] if plan.partial else []
    for bundle in plan.bundles:
        lines = [line for action in _changing(bundle) for line in describe(action, color=color)]
        lines += [line for action in _kept_only(bundle) for line in describe_kept(action)]
        if several:
            lines = [_bundle_title(bundle), *(lines or ["  (no changes)"])]
        if lines:
            sections.append("\n".join(lines))
    if show_ignored and ignored_lines(plan):
        sections.append("\n".join(ignored_lines(plan)))
    return "\n\n".join([*sections, summary_line(plan)]) + "\n"


def describe(action: Action, *, color: bool = False, value_limit: int | None = None) -> list[str]:
    """One step: its headline, then one indented line per changed field."""
    head = f"{SYMBOLS[action.kind]} {action.kind:<8}"
    if color and action.kind in _COLOURS:
        head = f"\x1b[{_COLOURS[action.kind]}m{head}\x1b[0m"
    shown = _safe(action.name)
    renamed = next((c for c in action.changes if c.path == "name"), None) if action.kind == "rename" else None
    if renamed is not None:
        shown = f"{_safe(str(renamed.before))} → {shown}"
    line = f"{head}{shown} ({_safe(action.agent)})"
    if action.reason:
        line += f"  # {_safe(action.reason)}"
    lines = [line]
    for change in action.changes:
        if action.kind in ("pause", "resume") and change.path == "state":
            continue  # the headline already says it
        if change is renamed:
            continue
        lines.append("    " + _change(change, action.kind == "create", value_limit) + _written(change))
    for change in action.kept:
        if change.path != "state":
            lines.append(f"    {KEPT_DRIFT} " + _change(change, False, value_limit) + "  (left as it is)")
    return lines


def describe_kept(action: Action) -> list[str]:
    """A step that changes nothing but leaves a difference as it is: a pause made outside the bundle, drift
    under `drift: report`. Shown so that nobody mistakes it for a schedule in sync."""
    paused = any(change.path == "state" for change in action.kept)
    symbol, word = (KEPT_PAUSE, "paused") if paused else (KEPT_DRIFT, "drifted")
    line = f"{symbol} {word:<8}{_safe(action.name)} ({_safe(action.agent)})"
    if action.reason:
        line += f"  # {_safe(action.reason)}"
    lines = [line]
    for change in action.kept:
        if change.path != "state":
            lines.append(f"    {_change(change, False, None)}  (left as it is)")
    return lines


def summary_line(plan: Plan) -> str:
    line = _summary(plan)
    ignored = sum(len(a.ignored) for b in plan.bundles for a in b.actions)
    if ignored:
        line += f" {ignored} difference(s) ignored (ignore:; --show-ignored lists them)."
    return line


def _summary(plan: Plan) -> str:
    if not plan.bundles:  # --allow-empty and no bundle found: nothing was compared, so nothing "matches"
        return NO_BUNDLES
    paused, drifted = kept_counts(plan)
    kept = [f"{paused} paused outside the bundle, kept paused"] if paused else []
    kept += [f"{drifted} with drift left as it is"] if drifted else []
    if not plan.has_changes:
        if kept:
            return "No changes to apply; " + ", ".join(kept) + "."
        return NO_CHANGES if len(plan.bundles) <= 1 else "No changes. The live schedules match the bundles."
    counts = plan.summary
    parts = [f"{counts[kind]} to {kind}" for kind in _SUMMARY_KINDS]
    parts += [f"{counts[kind]} to {kind}" for kind in _EXTRA_KINDS if counts[kind]]
    return "Plan: " + ", ".join(parts + kept) + "."


def _change(change: Change, created: bool, limit: int | None) -> str:
    after = _value(change.after, change.sensitive, limit)
    if created:
        return f"{_safe(change.path)}: {after}"
    tag = f"  ({change.origin})" if change.origin in ("drift", "both") else ""
    return f"{_safe(change.path)}: {_value(change.before, change.sensitive, limit)} → {after}{tag}"


def _written(change: Change) -> str:
    """What the bundle wrote where `H` or `spread` chose the value: `  (H 9 * * mon-fri)`. Carried by the
    change itself, so a saved plan shown again (`show PLANFILE`) still says it."""
    return f"  ({_safe(change.written)})" if change.written else ""


def _value(value: Any, sensitive: bool, limit: int | None) -> str:
    if value is None:
        return "(none)"
    if sensitive:
        return REDACTED
    text = _safe(json.dumps(public(value), ensure_ascii=False, sort_keys=True))
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}… ({len(text) - limit:,} more characters)"
    return text


def _safe(text: str) -> str:
    # Names and values come from the platform too: never let one move the cursor, clear the screen or
    # reorder a PR comment (control and bidi characters are shown escaped).
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def _changing(bundle: BundlePlan) -> list[Action]:
    return [action for action in bundle.actions if action.kind != "noop"]


def _kept_only(bundle: BundlePlan) -> list[Action]:
    return [action for action in bundle.actions if action.kind == "noop" and action.kept]


def kept_counts(plan: Plan) -> tuple[int, int]:
    """(schedules paused outside the bundle and kept paused, schedules with drift left as it is)."""
    actions = [a for bundle in plan.bundles for a in bundle.actions if a.kept]
    paused = sum(1 for a in actions if any(c.path == "state" for c in a.kept))
    drifted = sum(1 for a in actions if any(c.path != "state" for c in a.kept))
    return paused, drifted


def _bundle_title(bundle: BundlePlan) -> str:
    scope = ", ".join(f"{key}={value}" for key, value in sorted(public(bundle.target).items()))
    return _safe(f"bundle {bundle.bundle_key} ({bundle.provider}{', ' + scope if scope else ''})")


def _counts(bundle: BundlePlan) -> str:
    counts = bundle.summary
    parts = [f"{counts[kind]} to {kind}" for kind in (*_SUMMARY_KINDS, *_EXTRA_KINDS) if counts[kind]]
    return ", ".join(parts) if parts else "no changes"


# ---- JSON -------------------------------------------------------------------------------------------------


def to_json(plan: Plan) -> dict[str, Any]:
    """The plan document: `plan --format json`, the plan file, `show --format json` and `apply --format json`'s
    `plan`. One shape whatever the number of bundles (docs/plan-json.md, schemas/plan.schema.json):
    `{"format_version", "summary" (every bundle together), "bundles": [one document per bundle]}`.

    In-sync schedules are listed as `noop` steps too: the file is the whole plan, so reading it back gives
    an equal `Plan` and a stale-plan check can see a schedule that has drifted since.
    """
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "summary": plan.summary,
        "bundles": [bundle_json(bundle) for bundle in plan.bundles],
    }
    if plan.partial:
        document["selection"] = {"only": list(plan.only), "exclude": list(plan.exclude)}
    return document


def bundle_json(bundle: BundlePlan) -> dict[str, Any]:
    return {
        "bundle_key": bundle.bundle_key,
        "provider": bundle.provider,
        "target": public(bundle.target),
        "created_at": bundle.created_at,
        "summary": bundle.summary,
        "actions": [_action_json(action) for action in bundle.actions],
        "live_fingerprint": bundle.live_fingerprint,
    }


def _action_json(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": action.kind,
        "name": action.name,
        "agent": action.agent,
        "remote_id": action.remote_id,
        "changes": [_change_json(change) for change in action.changes],
    }
    if action.reason:  # optional: only a step the changes alone do not explain has one (docs/plan-json.md)
        out["reason"] = action.reason
    if action.kept:
        out["kept"] = [_change_json(change) for change in action.kept]
    if action.ignored:
        out["ignored"] = [_change_json(change) for change in action.ignored]
    return out


def _change_json(change: Change) -> dict[str, Any]:
    origin = {"origin": change.origin} if change.origin else {}
    if change.sensitive:
        return {
            "path": change.path,
            "before": None if change.before is None else REDACTED,
            "after": None if change.after is None else REDACTED,
            "sensitive": True,
            **origin,
        }
    written = {"written": change.written} if change.written else {}
    return {
        "path": change.path,
        "before": public(change.before),
        "after": public(change.after),
        **origin,
        **written,
    }


# ---- Markdown ---------------------------------------------------------------------------------------------


def to_markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A PR comment: counts first, each bundle's steps in a `<details>` diff block, never over `limit`.

    A plan too long for that shows its first steps and says the full plan is in the attached plan file.
    """
    full = _markdown(plan, budget=None)
    if len(full) <= limit:
        return full
    # Lay out the frame with no steps at all to learn what the steps may use; the margin absorbs the
    # digits of the "N of M" counts, which are only known afterwards.
    frame = len(_markdown(plan, budget=0))
    shortened = _markdown(plan, budget=max(0, limit - frame - 200))
    if len(shortened) <= limit:
        return shortened
    return _counts_only(plan)[:limit]  # pathological: thousands of bundles; still never over the limit


def _markdown(plan: Plan, *, budget: int | None) -> str:
    # A plan too long to show whole shows headlines only: five times as many steps fit, and a reviewer
    # needs to see *which* schedules change before *how*.
    blocks = [
        [
            describe(a, value_limit=MARKDOWN_VALUE_LIMIT)[: None if budget is None else 1]
            for a in _changing(bundle)
        ]
        + [describe_kept(a)[: None if budget is None else 1] for a in _kept_only(bundle)]
        for bundle in plan.bundles
    ]
    shown = _fit(blocks, budget)
    out = ["### reconciler plan", "", _bold(summary_line(plan)), ""]
    if plan.partial:
        out += [f"> **{html.escape(partial_warning(plan))}**", ""]
    if budget is not None:
        out += [
            f"> **This plan is too long for a comment**: it shows the first {sum(shown):,} of its "
            f"{sum(len(steps) for steps in blocks):,} steps, without their field changes. The full plan is in "
            "the plan file attached to this run (`reconciler plan --out`).",
            "",
        ]
    for bundle, steps, count in zip(plan.bundles, blocks, shown, strict=True):
        title = f"<code>{html.escape(bundle.bundle_key)}</code> → {html.escape(bundle.provider)}"
        if not steps:
            out += [f"{title}: no changes", ""]
            continue
        more = len(steps) - count
        note = f" (showing {count:,} of {len(steps):,} steps)" if more else ""
        out += [f"<details><summary>{title}: {html.escape(_counts(bundle))}{note}</summary>", ""]
        if count:
            out += _fenced([line for block in steps[:count] for line in block])
        if more:
            out += [f"… and {more:,} more steps, in the attached plan file.", ""]
        out += ["</details>", ""]
    return "\n".join(out)


def _fit(blocks: list[list[list[str]]], budget: int | None) -> list[int]:
    """How many steps of each bundle fit in `budget` characters: the first ones, in plan order."""
    shown: list[int] = []
    left = budget
    for steps in blocks:
        count = 0
        for block in steps:
            size = sum(len(line) + 1 for line in block)
            if left is not None:
                if size > left:
                    left = -1  # stop here, so the shown steps are exactly the first ones
                    break
                left -= size
            count += 1
        shown.append(count)
    return shown


def _fenced(lines: list[str]) -> list[str]:
    # A value may itself contain ``` : make the fence longer than any backtick run inside it.
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}diff", *lines, fence, ""]


def _bold(line: str) -> str:
    return f"**{line}**"


def _counts_only(plan: Plan) -> str:
    lines = ["### reconciler plan", "", _bold(summary_line(plan)), ""]
    lines += ["> The full plan is in the plan file attached to this run.", ""]
    lines += [f"- <code>{html.escape(b.bundle_key)}</code>: {html.escape(_counts(b))}" for b in plan.bundles]
    return "\n".join(lines) + "\n"
