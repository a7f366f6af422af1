"""The pull-request comment for a plan: a hidden marker (so the same comment is updated in place on every
push) and the markdown plan, always within GitHub's 65,536-character limit for a comment. Pure.

A plan run as a matrix (one job per shard, `reconciler bundles --matrix`) keeps one comment per shard: each
shard's marker names it, so the jobs never overwrite each other's plans.
"""

from __future__ import annotations

MARKER = "<!-- reconciler-plan -->"
GITHUB_COMMENT_LIMIT = 65_536
ARTIFACT = "reconciler-plan"


def marker(shard: str = "") -> str:
    """The marker of the plan comment: MARKER without shards, one of its own for shard `i/N`."""
    return f"<!-- reconciler-plan shard={shard} -->" if shard else MARKER


def artifact_name(shard: str = "") -> str:
    """The name of the plan artifact; a shard's own (artifact names cannot hold `/`)."""
    if not shard:
        return ARTIFACT
    index, _, count = shard.partition("/")
    return f"{ARTIFACT}-shard-{index}-of-{count}"


def comment_body(
    markdown_plan: str, *, run_url: str | None = None, limit: int = GITHUB_COMMENT_LIMIT, shard: str = ""
) -> str:
    """`markdown_plan` comes from `reconciler plan --format markdown`, which already keeps under 65,000
    characters; this adds the marker and a link to the run (where the plan file is attached), and cuts
    hard at `limit` as a last guard."""
    footer = (
        f"\n\n_Full plan: the `{artifact_name(shard)}` artifact of [this run]({run_url})._" if run_url else ""
    )
    heading = (
        f"_Shard {shard}: the bundles of this shard only; each shard has a plan comment of its own._\n\n"
        if shard
        else ""
    )
    body = f"{marker(shard)}\n{heading}{markdown_plan.rstrip()}{footer}\n"
    if len(body) <= limit:
        return body
    notice = "\n\n_(cut to fit a GitHub comment; the full plan is in the run's artifact)_\n"
    return body[: limit - len(notice)] + notice
