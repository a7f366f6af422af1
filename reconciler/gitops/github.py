"""The GitHub REST calls the action makes: find the plan comment by its marker, then update or create it.

Through the project's one HTTP client (retries, redaction); the token comes from GITHUB_TOKEN only.
"""

from __future__ import annotations

from typing import Any

from reconciler.gitops.comment import MARKER
from reconciler.providers.http import ApiClient

PAGE = 100


def upsert_comment(
    client: ApiClient, repository: str, number: int, body: str, marker: str = MARKER
) -> tuple[str, int]:
    """Update the comment that carries the marker, or create it; returns ("updated"|"created", comment id)."""
    existing = _find(client, repository, number, marker)
    if existing is not None:
        client.request(
            "PATCH", f"/repos/{repository}/issues/comments/{existing}", json={"body": body}, idempotent=True
        )
        return "updated", existing
    created: dict[str, Any] = client.request(
        "POST", f"/repos/{repository}/issues/{number}/comments", json={"body": body}
    ).json()
    return "created", int(created["id"])


def _find(client: ApiClient, repository: str, number: int, marker: str) -> int | None:
    page = 1
    while True:
        comments = client.request(
            "GET", f"/repos/{repository}/issues/{number}/comments", params={"per_page": PAGE, "page": page}
        ).json()
        for comment in comments:
            if marker in (comment.get("body") or ""):
                return int(comment["id"])
        if len(comments) < PAGE:
            return None
        page += 1


def github_client(api_url: str, token: str) -> ApiClient:
    return ApiClient(
        api_url,
        api_key=token,
        api_key_env="GITHUB_TOKEN",
        url_source="GITHUB_API_URL",
        headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
    )
