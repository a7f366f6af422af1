"""Cadenya list calls: query parameters, filters and opaque cursor pages.

`limit` defaults to 50 and is coerced down to 1000 (AIP-158); the cursor is bound to the filters it
was issued for, so reusing it with other filters is a 400 rather than a silently wrong page.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reconciler.sandbox.runtime import ApiError
from reconciler.sandbox.store import Json, Store

DEFAULT_LIMIT, MAX_LIMIT = 50, 1000
_TRUE, _FALSE = {"1", "t", "T", "TRUE", "true", "True"}, {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True)
class ListQuery:
    limit: int
    cursor: str
    descending: bool
    include_info: bool
    filters: tuple[tuple[str, str], ...]  # every filter parameter given, for the cursor binding

    def filter(self, name: str) -> str:
        return dict(self.filters).get(name, "")


def parse_query(params: Mapping[str, str], filter_names: tuple[str, ...]) -> ListQuery:
    limit = DEFAULT_LIMIT
    if params.get("limit"):
        try:
            limit = int(params["limit"])
        except ValueError:
            raise ApiError(400, f"limit must be an integer, not {params['limit']!r}") from None
        if limit < 0:
            raise ApiError(400, "limit must not be negative")
        limit = min(limit, MAX_LIMIT) or DEFAULT_LIMIT
    order = params.get("sortOrder", params.get("sort_order", "")).strip().lower().removeprefix("sort_order_")
    if order not in ("", "asc", "desc"):
        raise ApiError(400, f"sortOrder must be 'asc' or 'desc', not {order!r}")
    info = params.get("includeInfo", params.get("include_info", "false"))
    if info not in _TRUE | _FALSE:
        raise ApiError(400, f"includeInfo must be true or false, not {info!r}")
    filters = tuple((n, params[n]) for n in filter_names if params.get(n))
    return ListQuery(limit, params.get("cursor", ""), order == "desc", info in _TRUE, filters)


def parse_labels_filter(text: str) -> dict[str, str]:
    """'k=v,k2=v2' -> {k: v, k2: v2} (exact match, all must hold)."""
    wanted: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise ApiError(400, f"labels filter {text!r}: write key=value pairs separated by commas")
        wanted[key.strip()] = value.strip()
    return wanted


def labels_match(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in wanted.items())


def _binding(q: ListQuery, scope: str) -> str:
    return hashlib.sha256(json.dumps([scope, q.descending, q.filters]).encode()).hexdigest()[:16]


def _encode(seq: int, q: ListQuery, scope: str) -> str:
    raw = json.dumps({"after": seq, "bind": _binding(q, scope)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str, q: ListQuery, scope: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after, bind = int(data["after"]), str(data["bind"])
    except (ValueError, TypeError, KeyError):
        raise ApiError(400, "cursor is not one this API issued") from None
    if bind != _binding(q, scope):
        raise ApiError(400, "cursor was issued for a different list (other filters or sort order)")
    return after


def page(
    store: Store, kind: str, scope: str, q: ListQuery, keep: Callable[[Json], bool]
) -> tuple[list[Json], str]:
    """One page of the documents under `scope` that `keep` accepts, and the next cursor ("" = last page)."""
    after = _decode(q.cursor, q, scope) if q.cursor else None
    found: list[tuple[int, Json]] = []
    for seq, doc in store.scan(kind, scope, after=after, descending=q.descending):
        if keep(doc):
            found.append((seq, doc))
            if len(found) > q.limit:  # one extra tells whether another page exists
                break
    more = len(found) > q.limit
    found = found[: q.limit]
    return [doc for _, doc in found], _encode(found[-1][0], q, scope) if more else ""


def page_json(items: list[Json], next_cursor: str) -> Json:
    # SDK 1.8.0 reads pagination.nextCursor; the Go SDK reads next_cursor: both are sent.
    return {"items": items, "pagination": {"nextCursor": next_cursor, "next_cursor": next_cursor}}
