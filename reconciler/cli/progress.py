"""Progress of `apply`, on stderr so that stdout stays the plan and the result.

On a terminal, a bar with the counts, the failures so far, the time elapsed and an estimate of the time
left; elsewhere (a CI log), a plain line at every tenth of the steps and at least every 5 s
(`reconciler.apply.progress`); nothing for `--format json`. rich (typer's dependency) loads only when a bar
is drawn: every command imports this module, and `reconciler --help` should stay quick.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Protocol, TextIO

from reconciler.apply.executor import Outcome
from reconciler.apply.progress import PLAIN_LINE_SECONDS, progress_line, tenths
from reconciler.cli.common import no_color


class ApplyProgress(Protocol):
    def __call__(self, outcome: Outcome) -> None: ...

    def close(self) -> None: ...


def open_progress(total: int, *, quiet: bool = False, stream: TextIO | None = None) -> ApplyProgress:
    """The progress display for an apply of `total` steps; `close()` it when the apply ends or stops."""
    stream = stream or sys.stderr
    if quiet or total <= 0:
        return _Silent()
    if stream.isatty():
        try:
            return _Bar(total)
        except ImportError:  # typer without rich (typer-slim): plain lines serve as well
            pass
    return _PlainLines(total, stream)


class _Silent:
    def __call__(self, outcome: Outcome) -> None:
        return None

    def close(self) -> None:
        return None


class _Bar:
    """`apply ━━━━━━━━━━━━━━━━━━       120/2000 steps, 0 failed 0:00:13 ETA 0:01:40`; a step that failed
    (or was skipped) is named above the bar as it happens; the reasons come with the final report."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        # No colour system at all under NO_COLOR: rich's own NO_COLOR handling still sends bold and dim.
        console = Console(stderr=True, color_system=None if no_color() else "auto", highlight=False)
        self._failed = 0
        self._progress = Progress(
            TextColumn("apply"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("steps, {task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        self._task: Any = self._progress.add_task("apply", total=total, failed=0)
        self._progress.start()

    def __call__(self, outcome: Outcome) -> None:
        if not outcome.ok:
            self._failed += 0 if outcome.skipped else 1
            verdict = "skipped" if outcome.skipped else "FAILED"
            self._progress.console.print(
                f"  {outcome.action.kind} {outcome.action.name}: {verdict}", markup=False
            )
        self._progress.update(self._task, advance=1, failed=self._failed)

    def close(self) -> None:
        self._progress.stop()


class _PlainLines:
    """`apply: 200/2000 steps done (10%), 0 failed, 13 s elapsed` at each tenth, and after PLAIN_LINE_SECONDS
    without a line (a heartbeat thread: a step waiting out a rate limit finishes nothing for a while)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self._total, self._stream = total, stream
        self._done = self._failed = self._tenths = 0
        self._started = self._last_line = time.monotonic()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._heartbeat, daemon=True).start()

    def __call__(self, outcome: Outcome) -> None:
        with self._lock:
            self._done += 1
            self._failed += 0 if outcome.ok or outcome.skipped else 1  # skipped: held back, not tried
            reached = tenths(self._done, self._total)
            if reached > self._tenths:
                self._tenths = reached
                self._line()

    def close(self) -> None:
        with self._lock:  # a heartbeat line being written is finished first; none comes after
            self._closed.set()

    def _heartbeat(self) -> None:
        while True:
            with self._lock:
                wait = self._last_line + PLAIN_LINE_SECONDS - time.monotonic()
            if self._closed.wait(max(0.0, wait)):
                return
            with self._lock:
                if not self._closed.is_set() and time.monotonic() - self._last_line >= PLAIN_LINE_SECONDS:
                    self._line()

    def _line(self) -> None:  # under self._lock
        self._last_line = time.monotonic()
        line = progress_line(self._done, self._total, self._failed, self._last_line - self._started)
        print(line, file=self._stream, flush=True)


class HeldProgress:
    """Progress for steps that start before their display may open: the writes begin while the plan is still
    being printed, and a bar or a line must not cut into it. Outcomes until `open` are held, then counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: list[Outcome] = []
        self._display: ApplyProgress | None = None

    def __call__(self, outcome: Outcome) -> None:
        with self._lock:
            if self._display is None:
                self._held.append(outcome)
            else:
                self._display(outcome)

    def open(self, display: ApplyProgress) -> None:
        with self._lock:
            for outcome in self._held:
                display(outcome)
            self._held.clear()
            self._display = display

    def close(self) -> None:
        with self._lock:
            if self._display is not None:
                self._display.close()
