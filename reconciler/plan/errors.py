"""Why a plan could not be made: each problem located at the schedule the user must change.

ReconcilerError
 └── PlanError             collisions with live schedules the bundle does not own (exit 1)
      ├── EmptyBundleError a safety guard: an emptied bundle would prune everything (confirm: --allow-empty)
      └── PlanFileError    a saved plan file that cannot be read
"""

from __future__ import annotations

from reconciler.errors import Diagnostic, ReconcilerError


class PlanError(ReconcilerError):
    """Every problem of a plan at once, so the user fixes them in one pass rather than one per run."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(_located(d) for d in self.diagnostics))


class EmptyBundleError(PlanError):
    """Its own type so the CLI can tell "confirmation required" apart from "the plan is wrong"."""


class PlanFileError(PlanError):
    def __init__(self, file: str, message: str) -> None:
        super().__init__([Diagnostic(file, 0, 0, message)])


def _located(d: Diagnostic) -> str:
    # Bundles built in memory (tests, `export`) have no file; "":0:0: would only be noise.
    if d.file and d.line:
        return str(d)
    return f"{d.file}: {d.message}" if d.file else d.message
