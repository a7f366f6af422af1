"""Rendering of diagnostics for people (text), machines (json) and GitHub Actions (annotations)."""

from __future__ import annotations

import json

from reconciler.errors import Diagnostic

GITHUB_ANNOTATION_LIMIT = 10  # GitHub shows at most 10 annotations of one type per step


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_diagnostics(diagnostics: list[Diagnostic], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            [{"file": d.file, "line": d.line, "col": d.col, "message": d.message} for d in diagnostics],
            indent=2,
        )
    if fmt == "github":
        lines = [
            f"::error file={_escape_property(d.file)},line={d.line},col={d.col}::{_escape_data(d.message)}"
            for d in diagnostics[:GITHUB_ANNOTATION_LIMIT]
        ]
        hidden = len(diagnostics) - GITHUB_ANNOTATION_LIMIT
        if hidden > 0:
            lines.append(
                f"::error::{hidden} more problem(s) not shown as annotations (GitHub shows 10 per step); "
                "see the full list below and in the job summary"
            )
            lines.extend(str(d) for d in diagnostics)
        return "\n".join(lines)
    return "\n".join(str(d) for d in diagnostics)
