"""Which shard owns a bundle: a stable hash of its bundleKey, so every replica (and every CI matrix job)
agrees without talking to the others, and a bundle keeps its shard when other bundles come and go.

Pure. The key, not the file path, decides: moving a bundle to another file keeps its owner.
"""

from __future__ import annotations

import hashlib
import re

_SHARD = re.compile(r"^(\d+)/(\d+)$")


def shard_of(bundle_key: str, shards: int) -> int:
    """The shard (0 … shards-1) that owns the bundle; the first 8 bytes of SHA-256 of its key, mod shards."""
    if shards < 1:
        raise ValueError("the number of shards must be at least 1")
    digest = hashlib.sha256(bundle_key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def parse_shard(text: str) -> tuple[int, int]:
    """`i/N` (0 ≤ i < N) as (i, N); a user's `--shard` value, so the error says what is expected."""
    match = _SHARD.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a shard: expected i/N, e.g. 0/3 (shards are numbered from 0)")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or index >= count:
        raise ValueError(f"{text!r} is not a shard: i must be from 0 to N-1 and N at least 1")
    return index, count
