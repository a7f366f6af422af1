"""The record of what was last applied, kept in each schedule's ownership marker.

The marker carries the state the reconciler last set and a keyed digest of each field group of the desired
schedule it last applied. Comparing the bundle and the live schedule with that record tells a change made
on the platform (drift) from a change merged but not applied yet (pending), and a pause an operator made
from one the bundle asked for (docs/drift.md). Pure; the digests are HMAC-SHA256 with the digest key, cut to
10 hex digits each: enough to notice a change, useless for guessing a value (a secret included).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# The field groups a record digests, in the order the record's text lists them. `state` is recorded in
# clear; `agent` is the identity and `protect` is the marker's own.
GROUPS = ("when", "input", "labels", "options")
DIGEST_LENGTH = 10
# "active.0123456789.0123456789.0123456789.0123456789": letters, digits and dots, 50 characters, so it fits
# every platform's marker (a Kubernetes-style label value included).
_TEXT = re.compile(rf"(active|paused)((?:\.[0-9a-f]{{{DIGEST_LENGTH}}}){{{len(GROUPS)}}})")

RecordedState = Literal["active", "paused"]


@dataclass(frozen=True)
class AppliedRecord:
    state: RecordedState  # the state the reconciler last set
    digests: tuple[str, ...]  # one per GROUPS member, in that order

    def digest(self, group: str) -> str:
        return self.digests[GROUPS.index(group)]

    def text(self) -> str:
        return ".".join((self.state, *self.digests))

    def with_state(self, state: RecordedState) -> AppliedRecord:
        return AppliedRecord(state, self.digests)


def parse_record(text: str | None) -> AppliedRecord | None:
    """The record a marker holds, or None when there is none or it is not one this version wrote."""
    if not text:
        return None
    found = _TEXT.fullmatch(text.strip())
    if found is None:
        return None
    state: RecordedState = "active" if found.group(1) == "active" else "paused"
    return AppliedRecord(state, tuple(found.group(2).split(".")[1:]))


def group_digest(group: str, canonical_value: str, digest_key: bytes) -> str:
    """The digest of one field group, given its canonical JSON (`reconciler.plan.normalise.canonical_json`
    of the comparable form's member; "null" when the group is absent)."""
    mac = hmac.new(digest_key, f"{group}\n{canonical_value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:DIGEST_LENGTH]


def record_from_form(state: RecordedState, form: Mapping[str, Any], digest_key: bytes) -> AppliedRecord:
    """The record of a schedule whose comparable (canonical) form is `form`."""
    from reconciler.plan.normalise import canonical_json  # normalise imports live, which imports this

    digests = tuple(group_digest(g, canonical_json(form.get(g), digest_key), digest_key) for g in GROUPS)
    return AppliedRecord(state, digests)


# ---- What the bundle wrote where `H` or `spread` chose the value -------------------------------------------
# Kept beside the record so that `export` can name the original (`cron: "37 9 * * 1-5"  # from: H 9 * * mon-fri`).
# Never compared: the platform holds the concrete value, and a bundle that writes that value itself plans no
# change. One line per field, `<field>=<as written>` with the field relative to `when` (`cron=H 9 * * mon-fri`).
WRITTEN_PREFIX = "when."
# A label value (Cadenya) holds 63 characters of [a-z0-9]: the note in unpadded lowercase base32, so at most
# 39 bytes of text. A longer note is not recorded there, and `export` writes the concrete value alone.
LABEL_MAX = 63


def written_note(written: Mapping[str, str]) -> str:
    """The text of what the bundle wrote (`DesiredSchedule.written`); "" when there is nothing to record or a
    value would not read back (a line break in it)."""
    lines = [f"{path.removeprefix(WRITTEN_PREFIX)}={text}" for path, text in sorted(written.items())]
    if any("\n" in line for line in lines):
        return ""
    return "\n".join(lines)


def parse_written_note(text: Any) -> dict[str, str]:
    """The `written` a note records, keyed by the plan's paths (`when.cron`); {} for anything else."""
    if not isinstance(text, str) or not text:
        return {}
    found: dict[str, str] = {}
    for line in text.split("\n"):
        field_name, equals, value = line.partition("=")
        if not equals or not field_name or not value:
            return {}
        found[WRITTEN_PREFIX + field_name] = value
    return found


def written_label(written: Mapping[str, str]) -> str:
    """The note as a label value (lowercase base32, unpadded); "" when empty or longer than a label holds."""
    note = written_note(written)
    token = base64.b32encode(note.encode()).decode().rstrip("=").lower()
    return token if len(token) <= LABEL_MAX else ""


def parse_written_label(token: Any) -> dict[str, str]:
    if not isinstance(token, str) or not re.fullmatch("[a-z2-7]{1,63}", token):
        return {}
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        return parse_written_note(base64.b32decode(padded).decode())
    except (ValueError, UnicodeDecodeError):
        return {}
