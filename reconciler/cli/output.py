"""Rendering of diagnostics for people (text), machines (json) and GitHub Actions (annotations), and the one
shape of an error under `--format json`:

    {"error": {"message": "...", "kind": "invalid_bundle"}, "diagnostics": [{"file", "line", "col", "field"?,
     "message"}, ...]}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.errors import (
    BundleError,
    ConfigError,
    ConflictError,
    Diagnostic,
    ProviderError,
    RejectedError,
    StalePlanError,
    TemporaryError,
    TransportError,
)
from reconciler.plan.errors import EmptyBundleError, PlanError, PlanFileError

GITHUB_ANNOTATION_LIMIT = 10  # GitHub shows at most 10 annotations of one type per step


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


# Most specific first: `kind` tells a script what happened without parsing the message (docs/plan-json.md).
ERROR_KINDS: tuple[tuple[type[Exception], str], ...] = (
    (BundleError, "invalid_bundle"),
    (PlanFileError, "invalid_plan_file"),
    (EmptyBundleError, "empty_bundle"),
    (PlanError, "plan"),
    (StalePlanError, "stale_plan"),
    (ConfigError, "config"),
    (TransportError, "transport"),
    (TemporaryError, "temporary"),
    (ConflictError, "conflict"),
    (RejectedError, "rejected"),
    (ProviderError, "provider"),
)


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    out: dict[str, Any] = {"file": d.file, "line": d.line, "col": d.col}
    if d.field:
        out["field"] = d.field
    out["message"] = d.message
    return out


def error_json(message: str, kind: str, diagnostics: Sequence[Diagnostic] = ()) -> dict[str, Any]:
    return {
        "error": {"message": message, "kind": kind},
        "diagnostics": [diagnostic_json(d) for d in diagnostics],
    }


def error_kind(exc: Exception) -> str:
    return next((kind for cls, kind in ERROR_KINDS if isinstance(exc, cls)), "error")


def exception_json(exc: Exception) -> dict[str, Any]:
    """A user error (exit 1) as the `--format json` error document; secrets were redacted where it was raised."""
    diagnostics: list[Diagnostic] = list(getattr(exc, "diagnostics", None) or [])
    if isinstance(exc, BundleError):
        message = f"the bundles are invalid: {len(diagnostics)} problem(s), each in diagnostics"
    else:
        message = str(exc)
    return error_json(message, error_kind(exc), diagnostics)


def annotation(level: str, diagnostic: Diagnostic) -> str:
    """One GitHub workflow command (`::error` or `::warning`) at the diagnostic's file, line and column."""
    where = f"file={_escape_property(diagnostic.file)},line={diagnostic.line},col={diagnostic.col}"
    return f"::{level} {where}::{_escape_data(diagnostic.message)}"


def format_diagnostics(diagnostics: list[Diagnostic], fmt: str) -> str:
    """`text` (file:line:col: message) or `github` (annotations); JSON goes through `error_json`."""
    if fmt == "github":
        lines = [annotation("error", d) for d in diagnostics[:GITHUB_ANNOTATION_LIMIT]]
        hidden = len(diagnostics) - GITHUB_ANNOTATION_LIMIT
        if hidden > 0:
            lines.append(
                f"::error::{hidden} more problem(s) not shown as annotations (GitHub shows 10 per step); "
                "see the full list below and in the job summary"
            )
            lines.extend(str(d) for d in diagnostics)
        return "\n".join(lines)
    return "\n".join(str(d) for d in diagnostics)
