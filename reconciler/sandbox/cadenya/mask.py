"""PATCH with `updateMask` (AIP-134 as gRPC-gateway implements it) on a canonical schedule document.

A path in the mask takes the body's value, or is cleared when the body lacks it. Without a mask,
the mask is every field the body populates (gRPC-gateway recurses into messages, not into maps or
lists), so `{"spec": {"schedule": {"timezone": "UTC"}}}` changes the timezone alone.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.cadenya.wire import (
    SPEC_FIELDS,
    camel,
    check_schedule,
    parse_metadata,
    parse_spec_fields,
)
from reconciler.sandbox.runtime import ApiError
from reconciler.sandbox.store import Json

METADATA_LEAVES = ("metadata.name", "metadata.labels", "metadata.externalId", "metadata.bundleKey")
SCHEDULE_LEAVES = ("spec.schedule.calendars", "spec.schedule.intervals", "spec.schedule.timezone")
SPEC_LEAVES = SCHEDULE_LEAVES + tuple(f"spec.{k}" for k in SPEC_FIELDS)
GROUPS: dict[str, tuple[str, ...]] = {
    "*": METADATA_LEAVES + SPEC_LEAVES,
    "metadata": METADATA_LEAVES,
    "spec": SPEC_LEAVES,
    "spec.schedule": SCHEDULE_LEAVES,
    **{leaf: (leaf,) for leaf in METADATA_LEAVES + SPEC_LEAVES},
}
# Other spellings of spec fields (SDK 1.8.0's names) -> canonical mask paths.
_ALIASES = {f"spec.{camel(n)}": f"spec.{key}" for key, names in SPEC_FIELDS.items() for n in names}
OUTPUT_ONLY = (
    "state",
    "info",
    "metadata.id",
    "metadata.accountId",
    "metadata.workspaceId",
    "metadata.profileId",
    "metadata.createdAt",
    "metadata.updatedAt",
)


def mask_leaves(mask: str) -> list[str]:
    """'spec.schedule,metadata.labels' -> the leaf paths they cover, in order, without repeats."""
    leaves: list[str] = []
    for raw in mask.split(","):
        path = ".".join(camel(p) for p in raw.strip().split(".")) if raw.strip() != "*" else "*"
        if not path:
            continue
        path = _ALIASES.get(path, path)
        if path in OUTPUT_ONLY or path.startswith("info."):
            hint = "; use :pause, :resume or :archive" if path == "state" else ""
            raise ApiError(400, f"updateMask: {raw.strip()!r} is output only and cannot be updated{hint}")
        if path not in GROUPS:
            raise ApiError(400, f"updateMask: unknown field path {raw.strip()!r}")
        leaves += [leaf for leaf in GROUPS[path] if leaf not in leaves]
    return leaves


def _provided(body: Json) -> dict[str, Any]:
    """Leaf path -> validated value, for every leaf the body populates."""
    out: dict[str, Any] = {}
    if body.get("metadata") is not None:
        for key, value in parse_metadata(body["metadata"]).items():
            out[f"metadata.{key}"] = value
    if body.get("spec") is not None:
        spec = parse_spec_fields(body["spec"])
        for key, value in spec.pop("schedule", {}).items():
            out[f"spec.schedule.{key}"] = value
        for key, value in spec.items():
            out[f"spec.{key}"] = value
    return out


def apply_patch(doc: Json, body: Json, query_mask: str | None) -> Json:
    """A new document with the patch applied and validated (the input is not modified)."""
    mask = body.get("updateMask", body.get("update_mask"))
    if mask is not None and not isinstance(mask, str):
        raise ApiError(400, "updateMask must be a string of comma-separated field paths")
    if mask is not None and query_mask is not None and mask != query_mask:
        raise ApiError(400, "updateMask given twice (body and query) with different values")
    mask = mask if mask is not None else query_mask
    if mask is not None and not mask.strip():
        mask = None  # an empty FieldMask cannot be told from an absent one on the wire
    provided = _provided(body)
    leaves = mask_leaves(mask) if mask is not None else list(provided)
    new = {
        **doc,
        "labels": dict(doc["labels"]),
        "spec": {**doc["spec"], "schedule": dict(doc["spec"]["schedule"])},
    }
    for leaf in leaves:
        _set(new, leaf, provided.get(leaf))
    check_schedule(new["spec"]["schedule"])
    return new


def _set(doc: Json, leaf: str, value: Any) -> None:
    """Write one leaf; None clears it to the field's default."""
    group, _, key = leaf.rpartition(".")
    if group == "metadata":
        if key == "name" and value is None:
            raise ApiError(400, "metadata.name is required and cannot be cleared")
        defaults: dict[str, Any] = {"labels": {}, "externalId": ""}
        if value is None and key not in defaults:
            doc.pop(key, None)
        else:
            doc[key] = defaults[key] if value is None else value
        return
    target = doc["spec"]["schedule"] if group == "spec.schedule" else doc["spec"]
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value
