"""`calendar --suggest-spread [--write]`: print the moves `reconciler.forecast.suggest` proposes, and with
`--write` put them into the bundle files, changing only the scalars that move.

The files are read with ruamel.yaml's round-trip loader, which knows where every scalar of the source is and
how it is quoted. The edit is then made in the text itself, at that position, and the result read back to
check that exactly the intended values changed: a dump of the whole document would re-indent and re-wrap
what the author wrote, whereas this way every other byte, comments and quoting included, stays as it was.
Each file is replaced atomically; if the bundles then fail validation, the old texts are put back.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.bundle.desired import Bundle
from reconciler.bundle.load import load_text
from reconciler.errors import ReconcilerError
from reconciler.forecast.fires import ScheduleRef
from reconciler.forecast.suggest import (
    Move,
    Peaks,
    Suggestion,
    peaks_with,
    shift_cron_minutes,
    suggest,
)
from reconciler.forecast.view import CalendarView
from reconciler.timing import format_duration, parse_cron

OBJECTIVE = (
    "lexicographic: the most schedules in one minute overall, then the busiest agent's, "
    "then the sum of squares per minute (overall, then per agent)"
)


@dataclass(frozen=True)
class Edit:
    line: int  # 0-based, of the scalar's first character
    col: int
    old: str  # the scalar's value as written (its text, without quotes)
    new: str
    insert: bool = False  # `new` goes in at (line, col) as it is: nothing is replaced


@dataclass(frozen=True)
class Outcome:
    move: Move
    ref: ScheduleRef
    old: str  # as the bundle writes it (the value the forecast reads when it cannot be placed)
    new: str
    edits: tuple[Edit, ...]  # empty: not writable in place
    not_written: str  # why not ("" when writable)

    @property
    def line(self) -> int:
        """The line that changes (the schedule's entry when nothing can change in place)."""
        return min(e.line for e in self.edits) + 1 if self.edits else self.ref.line


@dataclass(frozen=True)
class Report:
    """What the command prints, as text or JSON."""

    suggestion: Suggestion
    in_place: Peaks  # the peaks after only the moves --write can make
    outcomes: list[Outcome]
    fixed: list[str]  # colliding schedules with no window to move in
    window: int | None
    write: bool
    files: list[str]  # the files written


class _Sources:
    """Bundle files as text and ruamel round-trip documents, read once."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.documents: dict[str, list[Any]] = {}

    def entry(self, ref: ScheduleRef) -> tuple[Any, CommentedMap | None]:
        """(document, schedule entry) the schedule was rendered from, found by its line."""
        if ref.file not in self.texts:
            text = Path(ref.file).read_text(encoding="utf-8")
            self.texts[ref.file] = text
            self.documents[ref.file] = list(YAML(typ="rt").load_all(text))
        for document in self.documents[ref.file]:
            schedules = document.get("schedules") if isinstance(document, CommentedMap) else None
            if not isinstance(schedules, CommentedSeq):
                continue
            for index, entry in enumerate(schedules):
                if schedules.lc.item(index)[0] + 1 == ref.line and isinstance(entry, CommentedMap):
                    return document, entry
        return None, None


def suggest_spread(
    bundles: Sequence[Bundle],
    view: CalendarView,
    window: int | None,
    *,
    write: bool,
    as_json: bool,
    revalidate: Callable[[], None],
) -> int:
    """Print the suggestion (and write it); 0, or a ReconcilerError (exit 1) when the written bundles fail."""
    written = {f"{b.key}/{s.name}": s.written for b in bundles for s in b.schedules}
    suggestion = suggest(view.fires, written, view.start, view.end, window)
    sources = _Sources()
    outcomes = [_place(sources, move, view.fires[move.schedule].ref) for move in suggestion.moves]
    files: list[str] = []
    if write:
        files = _write(sources, outcomes, revalidate)
    fixed = [view.fires[i].ref.label for i in suggestion.fixed]
    in_place = peaks_with(view.fires, [o.move for o in outcomes if o.edits])
    report = Report(suggestion, in_place, outcomes, fixed, window, write, files)
    if as_json:
        import json

        print(json.dumps(_as_json(report), indent=2))
    else:
        print(_as_text(report))
    return 0


def _place(sources: _Sources, move: Move, ref: ScheduleRef) -> Outcome:
    """Where the move goes in the bundle's text, or why it cannot go there."""
    document, entry = sources.entry(ref)
    fallback = Outcome(move, ref, move.old, move.new, (), "")
    if entry is None:
        return _unwritable(fallback, f"its entry at {ref.file}:{ref.line} was not found")
    if "for_each" in entry:
        return _unwritable(fallback, f"comes from a for_each template at {ref.file}:{ref.line}")
    when = entry.get("when")
    key = "cron" if move.field == "cron" else ("every" if move.field == "offset" else "calendars")
    if not isinstance(when, CommentedMap) or when.get(key) is None:
        defaults = document.get("defaults") if isinstance(document, CommentedMap) else None
        line = ref.line
        if isinstance(defaults, CommentedMap) and "when" in defaults:
            line = defaults.lc.key("when")[0] + 1
        return _unwritable(fallback, f"comes from defaults at {ref.file}:{line}")
    try:
        if move.field == "cron":
            return _cron(fallback, when, move)
        if move.field == "offset":
            return _offset(fallback, when, move)
        return _calendars(fallback, when, move)
    except _Unwritable as exc:
        return _unwritable(fallback, f"{exc} at {ref.file}:{ref.line}")


class _Unwritable(Exception):
    pass


def _unwritable(outcome: Outcome, why: str) -> Outcome:
    return Outcome(outcome.move, outcome.ref, outcome.old, outcome.new, (), why)


def _text(value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _Unwritable("not a plain value")
    text = str(value)
    if "{{" in text or "{%" in text:
        raise _Unwritable("comes from a template")
    return text


def _cron(outcome: Outcome, when: CommentedMap, move: Move) -> Outcome:
    value = when["cron"]
    items = list(value) if isinstance(value, CommentedSeq) else [value]
    places = (
        [value.lc.item(i) for i in range(len(items))]
        if isinstance(value, CommentedSeq)
        else [when.lc.value("cron")]
    )
    edits, olds, news = [], [], []
    for item, (line, col), cron in zip(items, places, move.timing.cron, strict=True):
        old = _text(item)
        minutes = parse_cron(cron).minutes
        new = shift_cron_minutes(old, 0, minutes) if len(old.split()) in (5, 6) else cron
        edits.append(Edit(line, col, old, new))
        olds.append(old)
        news.append(new)
    return Outcome(move, outcome.ref, "; ".join(olds), "; ".join(news), tuple(edits), "")


def _offset(outcome: Outcome, when: CommentedMap, move: Move) -> Outcome:
    new = format_duration(move.timing.offset)
    if when.get("offset") is not None:
        line, col = when.lc.value("offset")
        old = _text(when["offset"])
        return Outcome(
            move, outcome.ref, f"offset: {old}", f"offset: {new}", (Edit(line, col, old, new),), ""
        )
    # no offset written: add one right after `every`'s value, in the mapping's own style
    line, col = when.lc.value("every")
    every = _text(when["every"])
    if when.fa.flow_style():
        edit = Edit(line, col, every, f", offset: {new}", insert=True)
    else:
        key_line, key_col = when.lc.key("every")
        edit = Edit(key_line + 1, 0, "", " " * key_col + f"offset: {new}\n", insert=True)
    return Outcome(move, outcome.ref, "offset: 0s", f"offset: {new}", (edit,), "")


def _calendars(outcome: Outcome, when: CommentedMap, move: Move) -> Outcome:
    rules = when["calendars"]
    edits = []
    for rule, moved in zip(rules, move.timing.calendars, strict=True):
        ranges = rule.get("minute") if isinstance(rule, CommentedMap) else None
        if not isinstance(ranges, CommentedSeq) or len(ranges) != len(moved.minute):
            raise _Unwritable("a calendar without its own `minute` list")
        for written, target in zip(ranges, moved.minute, strict=True):
            for key in ("start", "end"):
                if isinstance(written, CommentedMap) and written.get(key) is not None:
                    line, col = written.lc.value(key)
                    edits.append(Edit(line, col, _text(written[key]), str(target.start)))
    return Outcome(move, outcome.ref, move.old, move.new, tuple(edits), "")


def _edited(text: str, edits: Sequence[Edit]) -> str:
    """`text` with the edits made; ValueError when the source at an edit is not what was read."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.line, e.col), reverse=True):
        if edit.insert and edit.old == "":
            lines.insert(edit.line, edit.new)
            continue
        row = lines[edit.line]
        start = edit.col + (1 if row[edit.col : edit.col + 1] in ("'", '"') else 0)
        end = start + len(edit.old)
        if row[start:end] != edit.old or "\\" in edit.old or "'" in edit.old:
            raise ValueError(f"line {edit.line + 1}: the value is not written on one line as read")
        closing = end + (1 if start > edit.col else 0)
        lines[edit.line] = (
            row[:closing] + edit.new + row[closing:] if edit.insert else row[:start] + edit.new + row[end:]
        )
    return "".join(lines)


def _write(sources: _Sources, outcomes: list[Outcome], revalidate: Callable[[], None]) -> list[str]:
    by_file: dict[str, list[Edit]] = {}
    for outcome in outcomes:
        if outcome.edits:
            by_file.setdefault(outcome.ref.file, []).extend(outcome.edits)
    new_texts = {}
    for file, edits in by_file.items():
        try:
            text = _edited(sources.texts[file], edits)
            load_text(text, file)  # the loader's rules (duplicate keys, YAML 1.1 surprises) still hold
            list(YAML(typ="rt").load_all(io.StringIO(text)))
        except (ValueError, ReconcilerError) as exc:
            raise ReconcilerError(f"{file}: the suggestion cannot be written in place: {exc}") from None
        new_texts[file] = text
    for file, text in new_texts.items():
        _replace(Path(file), text)
    try:
        revalidate()
    except ReconcilerError:
        for file in new_texts:
            _replace(Path(file), sources.texts[file])
        print("the written bundles failed validation: every file was put back as it was", file=sys.stderr)
        raise
    return sorted(new_texts)


def _replace(path: Path, text: str) -> None:
    """Atomically: a reader sees the old file or the new one, never half of one."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(name, path.stat().st_mode & 0o7777)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _peaks(peaks: Peaks) -> dict[str, Any]:
    return {"overall": peaks.overall, "busiest_agent": peaks.agent, "busiest_agent_peak": peaks.agent_peak}


def _as_json(report: Report) -> dict[str, Any]:
    suggestion, outcomes, window, write = report.suggestion, report.outcomes, report.window, report.write
    return {
        "window_minutes": window,
        "objective": OBJECTIVE,
        "before": _peaks(suggestion.before),
        "after": _peaks(suggestion.after),
        "after_writable_only": _peaks(report.in_place),
        "moves": [
            {
                "schedule": o.ref.label,
                "file": o.ref.file,
                "line": o.line,
                "field": o.move.field,
                "old": o.old,
                "new": o.new,
                "shift_minutes": o.move.shift,
                "window": o.move.why,
                "writable": not o.not_written,
                "written": write and not o.not_written,
                "not_written": o.not_written or None,
            }
            for o in outcomes
        ],
        "fixed": report.fixed,
        "written_files": report.files,
    }


def _as_text(report: Report) -> str:
    suggestion, in_place, outcomes, fixed = report.suggestion, report.in_place, report.outcomes, report.fixed
    window, write, files = report.window, report.write, report.files

    def peak(p: Peaks) -> str:
        who = f" (busiest agent {p.agent}: {p.agent_peak})" if p.agent else ""
        return f"{p.overall} schedule{'s' if p.overall != 1 else ''} in one minute{who}"

    lines = [
        f"Suggested spread ({f'--window ±{window}m' if window is not None else 'H ranges only; --window N moves plain schedules'})",
        f"  peak before: {peak(suggestion.before)}",
        f"  peak after:  {peak(suggestion.after)}",
    ]
    if any(o.not_written for o in outcomes):
        lines.append(f"  peak after the changes --write can make: {peak(in_place)}")
    lines.append("")
    if not outcomes:
        lines.append("No move lowers the peak: nothing to suggest.")
    for o in outcomes:
        field = "" if o.old.startswith(("offset:", "minute")) else f"{o.move.field}: "
        line = f'  {o.ref.file}:{o.line}  {o.ref.label}  {field}"{o.old}" → "{o.new}"'
        if o.not_written:
            line += f"  (suggested, not written: {o.not_written})"
        lines.append(line)
    if fixed:
        lines += ["", f"Colliding, with no window to move in (fixed): {', '.join(fixed)}"]
    if write:
        written = sum(1 for o in outcomes if o.edits)
        lines += [
            "",
            f"Written: {written} schedule(s) in {len(files)} file(s)"
            + (f": {', '.join(files)}" if files else ""),
        ]
    elif any(not o.not_written for o in outcomes):
        lines += ["", "Run again with --write to change the bundle files."]
    return "\n".join(lines)
