"""The pull-request comment for a plan: a hidden marker (so the same comment is updated in place on every
push) and the markdown plan, always within GitHub's 65,536-character limit for a comment. Pure."""

from __future__ import annotations

MARKER = "<!-- reconciler-plan -->"
GITHUB_COMMENT_LIMIT = 65_536


def comment_body(markdown_plan: str, *, run_url: str | None = None, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """`markdown_plan` comes from `reconciler plan --format markdown`, which already keeps under 65,000
    characters; this adds the marker and a link to the run (where the plan file is attached), and cuts
    hard at `limit` as a last guard."""
    footer = f"\n\n_Full plan: the `reconciler-plan` artifact of [this run]({run_url})._" if run_url else ""
    body = f"{MARKER}\n{markdown_plan.rstrip()}{footer}\n"
    if len(body) <= limit:
        return body
    notice = "\n\n_(cut to fit a GitHub comment; the full plan is in the run's artifact)_\n"
    return body[: limit - len(notice)] + notice
