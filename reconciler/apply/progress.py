"""What a long apply says about its progress where nobody watches a terminal (a CI log): when, and how.

A line at every tenth of the steps, and whenever PLAIN_LINE_SECONDS pass without one, whichever comes
first; the terminal's bar (`reconciler.cli.progress`) shows the same counts. Pure: the caller keeps the
clock and prints.
"""

from __future__ import annotations

PLAIN_LINE_SECONDS = 5.0


def tenths(done: int, total: int) -> int:
    """How many tenths of the steps are done (0..10): a line is due each time this grows."""
    return 10 if total <= 0 else min(10, done * 10 // total)


def progress_line(done: int, total: int, failed: int, elapsed: float) -> str:
    """`apply: 200/2000 steps done (10%), 0 failed, 13 s elapsed`."""
    percent = 100 if total <= 0 else done * 100 // total
    return f"apply: {done}/{total} steps done ({percent}%), {failed} failed, {elapsed:.0f} s elapsed"
