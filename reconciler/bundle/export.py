"""Turn live schedules into a bundle document: what `reconciler export` writes. Pure.

Owned schedules keep their bundle names; unowned ones get `adopt: true`, so planning the exported bundle
shows only adoptions, and after one apply nothing at all. Schedules another bundle owns are left out.
A value the reconciler read from secret() is never written: the file is meant to be committed.
Where `H` or `spread` chose a timing value, the concrete value is written (it is what the platform runs, and
what plans compare) with a comment naming what the bundle wrote, as the marker recorded it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from reconciler.bundle.semantics import NAME_PATTERN
from reconciler.bundle.sensitive import DIGEST_PREFIX
from reconciler.plan.live import LiveSchedule
from reconciler.plan.normalise import DEFAULT_DIGEST_KEY, canonical_json, comparable_live
from reconciler.plan.record import group_digest

SCHEMA_MODELINE = "# yaml-language-server: $schema=https://reconciler.dev/schemas/bundle.schema.json\n"


@dataclass
class Export:
    document: dict[str, Any]
    skipped: list[str] = field(default_factory=list)  # one line per live schedule left out, with the reason
    notes: list[str] = field(default_factory=list)  # one line per field written as a placeholder, with why
    # (index in `schedules`, key in its `when`) -> the comment to write after that key: `from: H 9 * * mon-fri`
    comments: dict[tuple[int, str], str] = field(default_factory=dict)


_INPUT_KEYS = frozenset({"message", "data", "secrets"})


def export_bundle(
    lives: list[LiveSchedule],
    *,
    bundle_key: str,
    provider: str,
    target: dict[str, Any],
    unrecorded: tuple[tuple[str, ...], ...] = (),
    display_name: Callable[[str], str] = lambda name: name,
    digest_key: bytes = DEFAULT_DIGEST_KEY,
) -> Export:
    """The bundle document for `lives`. A field the live schedule's marker records as holding a value from
    secret() is written as a `{{ secret('NAME') }}` placeholder, never its value; so is every value under an
    `unrecorded` field (where the platform cannot record it) of a schedule this bundle owns, with a note.
    `digest_key` checks that the timing is still the one last applied before a recorded `H` is named."""
    skipped: list[str] = []
    comments: dict[tuple[int, str], str] = {}
    notes: list[str] = []
    schedules: list[dict[str, Any]] = []
    sources: set[str] = set()  # the files the owned schedules were applied from, as their markers say
    for live in sorted(lives, key=lambda s: (s.agent, s.display_name)):
        label = f"{live.display_name or live.remote_id} (agent {live.agent})"
        if live.owner not in (None, bundle_key):
            skipped.append(f"{label}: owned by bundle '{live.owner}'")
            continue
        if live.state == "archived":
            skipped.append(f"{label}: archived")
            continue
        copied = live.display_name and live.display_name != display_name(live.name or "")
        if live.owner == bundle_key and live.name and copied:
            # The marker names another schedule: a copy of one of this bundle's, made in the platform. It
            # is nobody's to export under that name (the plan would refuse it: docs/safety.md).
            skipped.append(f"{label}: it carries a copy of the ownership marker of '{live.name}'")
            continue
        name = live.name if live.owner == bundle_key and live.name else live.display_name
        if not NAME_PATTERN.match(name):
            skipped.append(f"{label}: its name is not a valid bundle name")
            continue
        if not any(k in live.when for k in ("cron", "every", "calendars")) or "intervals" in live.when:
            skipped.append(f"{label}: its timing mixes calendars and intervals, which a bundle cannot write")
            continue
        foreign_input = sorted(set(live.input) - _INPUT_KEYS)
        if foreign_input:
            skipped.append(
                f"{label}: its input ({', '.join(foreign_input)}) is not a message and data, which a bundle "
                "cannot write (adopting it would replace that input)"
            )
            continue
        sealed = _sealed(live, unrecorded if live.owner == bundle_key else ())
        for path in sealed.guessed:
            notes.append(
                f"{name} (agent {live.agent}): {_dotted(path)} is written as a secret() placeholder: the "
                "platform keeps no record of which values the reconciler read from secret(); write the value "
                "back if it was not a secret"
            )
        entry = _schedule(sealed.live, name, adopt=live.owner is None)
        if live.owner == bundle_key:
            for key, comment in written_comments(live, entry["when"], digest_key).items():
                comments[(len(schedules), key)] = comment
        schedules.append(entry)
        if live.owner == bundle_key and live.source:
            sources.add(live.source)
    document: dict[str, Any] = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": bundle_key,
        "target": {"provider": provider, **target},
        # The exported file is a new file for these schedules: it says where they were applied from, so that
        # planning it takes them over instead of refusing them (docs/safety.md).
        **({"movedFrom": next(iter(sources))} if len(sources) == 1 else {}),
        "schedules": schedules,
    }
    if len(sources) > 1:
        notes.append(
            f"the owned schedules were applied from {len(sources)} files ({', '.join(sorted(sources))}): "
            "a plan of this file refuses them until they are brought under one file (docs/safety.md)"
        )
    return Export(document, skipped, notes, comments)


def export_yaml(result: Export) -> str:
    """The exported file: the schema modeline, the document, and each `from:` comment after its `when` key."""
    text = SCHEMA_MODELINE + yaml.safe_dump(result.document, sort_keys=False, allow_unicode=True)
    return _commented(text, result.comments) if result.comments else text


def _commented(text: str, comments: dict[tuple[int, str], str]) -> str:
    """`text` (PyYAML's block layout: `schedules:` at the top level, each item `- name: ...` at column 0, its
    `when:` at 2 spaces, its keys at 4) with the comments appended to their keys' lines."""
    lines = text.split("\n")
    index, in_schedules, in_when = -1, False, False
    for number, line in enumerate(lines):
        if not line.startswith((" ", "-")):
            in_schedules, in_when = line == "schedules:", False
        elif in_schedules and line.startswith("- "):
            index, in_when = index + 1, False
        elif in_schedules and line.startswith("  ") and not line.startswith("   "):
            in_when = line == "  when:"
        elif in_when and line.startswith("    ") and not line.startswith("     "):
            key = line[4:].split(":", 1)[0]
            comment = comments.get((index, key))
            if comment:
                lines[number] = f"{line}  # {' '.join(comment.split())}"
    return "\n".join(lines)


_TIMING_KEYS = ("cron", "every", "calendars")


def written_comments(live: LiveSchedule, when: dict[str, Any], digest_key: bytes) -> dict[str, str]:
    """`{key in when: "from: <as written>"}` for what the marker records `H` or `spread` was written as; {}
    when the live timing is no longer the one last applied (changed on the platform since): the note would
    name an original the value no longer comes from."""
    if not live.written or live.applied is None:
        return {}
    seen = canonical_json(comparable_live(live).get("when"), digest_key)
    if group_digest("when", seen, digest_key) != live.applied.digest("when"):
        return {}
    found: dict[str, str] = {}
    for path, text in live.written.items():
        key = path.removeprefix("when.")
        if key not in when:  # a spread that chose offset 0 writes no offset; a calendar compared as a cron
            key = next((k for k in _TIMING_KEYS if k in when), "")
        if key:
            found[key] = f"{found[key]}; {text}" if key in found else f"from: {text}"
    return found


@dataclass
class _Sealed:
    live: LiveSchedule
    guessed: list[tuple[str | int, ...]]  # placeholders for values that may not have been secrets


def _sealed(live: LiveSchedule, unrecorded: tuple[tuple[str, ...], ...]) -> _Sealed:
    """`live` with a placeholder wherever a secret is (its marker says so) or may be (an `unrecorded` field)."""
    sections: dict[str, Any] = {"input": live.input, "labels": live.labels, "options": live.options}
    recorded = set(live.secret_paths or ())
    guessed = [
        path
        for path, value in leaves(sections)
        if isinstance(value, str)
        and path not in recorded
        and not value.startswith(DIGEST_PREFIX)
        and any(path[: len(prefix)] == prefix for prefix in unrecorded)
    ]
    for path in sorted(recorded, key=_dotted) + guessed:
        sections = _replaced(sections, path, _secret_ref(_last_key(path)))
    sealed = replace(live, input=sections["input"], labels=sections["labels"], options=sections["options"])
    return _Sealed(sealed, guessed)


def _schedule(live: LiveSchedule, name: str, *, adopt: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "agent": live.agent}
    if live.state == "paused":
        entry["state"] = "paused"
    entry["when"] = {k: v for k, v in live.when.items() if not (k == "timezone" and v == "UTC")}
    live_input = {k: _unsealed(v, k) for k, v in live.input.items() if k != "secrets"}
    secrets = live.input.get("secrets") or {}
    if secrets:  # only digests are readable: point at the environment variables to fill in
        live_input["secrets"] = {k: _secret_ref(k) for k in secrets}
    if live_input:
        entry["input"] = live_input
    if live.labels:
        entry["labels"] = dict(live.labels)
    if live.options:
        entry["options"] = _unsealed(dict(live.options), "")
    if live.protected:
        entry["protect"] = True
    if adopt:
        entry["adopt"] = True
    return entry


def _unsealed(value: Any, name: str) -> Any:
    """A provider reports a secret it recognised (through its marker) as a digest, never the value: write a
    `secret()` for the author to fill in, named after its field, rather than the digest."""
    if isinstance(value, str) and value.startswith(DIGEST_PREFIX):
        return _secret_ref(name or "secret")
    if isinstance(value, dict):
        return {k: _unsealed(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsealed(v, name) for v in value]
    return value


def leaves(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every leaf under `value` with its path, in path order."""
    if isinstance(value, dict):
        return [found for k, v in value.items() for found in leaves(v, (*path, str(k)))]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in leaves(v, (*path, i))]
    return [(path, value)]


def _replaced(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict) and head in value:
        return {**value, head: _replaced(value[head], rest, new)}
    if isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        return [_replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]
    return value


def _last_key(path: tuple[str | int, ...]) -> str:
    names = [p for p in path if isinstance(p, str)]
    return names[-1] if names else "secret"


def _dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _secret_ref(name: str) -> str:
    variable = re.sub(r"[^A-Z0-9_]", "_", name.upper()) or "SECRET"
    return f"{{{{ secret('{variable}') }}}}"
