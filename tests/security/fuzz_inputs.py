"""What the loader fuzz tests feed the loader: every example bundle, mutated with YAML's sharp edges spliced
in, and bundle-shaped structures (right and wrong field names, types and values) dumped as block, flow or
JSON YAML. Strategies for hypothesis; the properties are in test_fuzz_loader.py."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import strategies as st

from reconciler.bundle.model import PROVIDERS
from tests.security.hostile import ROOT_EXAMPLES

EXAMPLES = [p.read_text() for p in ROOT_EXAMPLES]

# What YAML and our templates find hardest, spliced into otherwise good bundles.
SNIPPETS = [
    "\ufeff",
    "\t",
    "\r\n",
    "\r",
    "\x00",
    "\x1b[2J",
    "\x85",
    "\u2028",
    "\u202e",
    "\ud7ff",
    "\U0001f600",
    "é",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2002:\n",
    "&a ",
    "*a",
    "*nope",
    "&a [*a]",
    "<<: *a\n",
    "<<: {x: 1}\n",
    "!!python/object:os.system ",
    "!!python/name:os.system",
    "!!binary aGk=",
    "!foo ",
    "! ",
    "!!str ",
    "!!int ",
    "!!map ",
    "!!set ",
    "!!omap ",
    "? ",
    ": ",
    "- ",
    "|\n",
    ">-\n",
    "|9\n",
    "#",
    "'",
    '"',
    '"\\ud800"',
    '"\\x00"',
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    "name: a\nname: b\n",
    "on",
    "off",
    "yes",
    "no",
    "y",
    "1:30",
    "0755",
    "0x1F",
    "1_000",
    ".inf",
    ".nan",
    "~",
    "null",
    "2026-13-45T99:99:99Z",
    "9" * 40,
    "{{ ",
    " }}",
    "{%",
    "%}",
    "{#",
    "{{ secret('TOKEN') }}",
    "{{ env('HOME') }}",
    "{{ ''.__class__ }}",
    "{{ 'x' * 10**9 }}",
    "{{ range(10**9)|list }}",
    "{% for i in range(99999) %}x{% endfor %}",
    "{{ item }}",
    "{{ vars.x }}",
    "for_each: [a, b]\n",
    "for_each: {a: 1}\n",
    "[" * 80 + "]" * 80,
    "{a: " * 70 + "1" + "}" * 70,
    "- " * 70 + "x",
    "x" * 70_000,
    "\n" + " " * 300 + "a: 1",
]


@st.composite
def mutated_bundle(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(EXAMPLES))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "replace", "delete", "duplicate-line", "truncate"]))
        piece = draw(st.sampled_from(SNIPPETS) | st.text(max_size=8))
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif kind == "duplicate-line":
            lines = text.splitlines(keepends=True) or [""]
            line = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: line + 1] + lines[line:])
        else:
            text = text[:at]
    return text


# -- bundle-shaped structures ---------------------------------------------------------------------------------

FIELDS = [
    "apiVersion",
    "kind",
    "bundleKey",
    "target",
    "prune",
    "vars",
    "defaults",
    "schedules",
    "name",
    "agent",
    "state",
    "when",
    "cron",
    "every",
    "offset",
    "at",
    "calendars",
    "timezone",
    "start",
    "end",
    "input",
    "message",
    "data",
    "secrets",
    "labels",
    "options",
    "protect",
    "adopt",
    "for_each",
    "renamedFrom",
    "ignore",
    "pauses",
    "respectFor",
    "drift",
    "movedFrom",
    "provider",
    "workspace",
    "api",
    "second",
    "minute",
    "hour",
    "dayOfMonth",
    "month",
    "dayOfWeek",
    "year",
    "step",
    "comment",
]
INTERESTING = [
    "0 9 * * mon-fri",
    "*/5 * * * *",
    "0 0 31 2 *",
    "@daily",
    "@every 5m",
    "0 9 * * 1#2",
    "0 9 L * *",
    "6h",
    "90m",
    "1d",
    "0s",
    "-5m",
    "15m",
    "99999999999d",
    "2026-12-01T00:00:00Z",
    "2026-02-30T00:00:00",
    "Europe/Berlin",
    "UTC",
    "Mars/Olympus",
    "../../etc/passwd",
    "active",
    "paused",
    "archive",
    "delete",
    "none",
    "reconciler/v1",
    "Bundle",
    "cadenya",
    "agentex",
    "orq",
    "oz",
    "tbd-agents",
    "run-schedules",
    "display-name",
    "{{ secret('TOKEN') }}",
    "{{ env('REGION') }}",
    "{{ item }}",
    "{{ key }}-{{ value }}",
    "{{ vars.region }}",
    "{{ undefined_thing }}",
    "{{ 1/0 }}",
    "{{ ''.__class__ }}",
    "{{ 'x' * 10**9 }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(INTERESTING)
)
keys = st.sampled_from(FIELDS) | st.text(max_size=10)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return strategy | values


when = st.fixed_dictionaries(
    {},
    optional={
        "cron": maybe(
            st.sampled_from(INTERESTING[:7]) | st.lists(st.sampled_from(INTERESTING[:7]), max_size=3)
        ),
        "every": maybe(st.sampled_from(INTERESTING[7:14])),
        "offset": maybe(st.sampled_from(["15m", "0s", "7h", "-1m"])),
        "at": maybe(st.sampled_from(INTERESTING[14:16])),
        "timezone": maybe(st.sampled_from(INTERESTING[16:20])),
        "start": maybe(st.sampled_from(INTERESTING[14:16])),
        "end": maybe(st.sampled_from(INTERESTING[14:16])),
        "calendars": maybe(
            st.lists(
                st.dictionaries(
                    st.sampled_from(["second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek", "year"]),
                    st.lists(
                        st.fixed_dictionaries(
                            {"start": st.integers(-5, 3000)},
                            optional={"end": st.integers(-5, 3000), "step": st.integers(-1, 100)},
                        ),
                        max_size=3,
                    ),
                    max_size=3,
                ),
                max_size=2,
            )
        ),
    },
)
schedule = st.fixed_dictionaries(
    {
        "name": maybe(st.from_regex(r"[a-z0-9][a-z0-9.-]{0,20}", fullmatch=True)),
        "agent": maybe(st.sampled_from(["a", "agent-a", "default", "wf_docs"])),
    },
    optional={
        "when": maybe(when),
        "state": maybe(st.sampled_from(["active", "paused"])),
        "input": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "message": maybe(st.sampled_from(INTERESTING[-12:])),
                    "data": values,
                    "secrets": maybe(
                        st.dictionaries(st.text(max_size=5), st.sampled_from(INTERESTING[-12:]))
                    ),
                },
            )
        ),
        "labels": values,
        "options": values,
        "protect": values,
        "adopt": values,
        # issue 19: renames (in this bundle, or from another) and fields left to the platform
        "renamedFrom": maybe(
            st.sampled_from(["a", "", "agent-a", INTERESTING[-1]])
            | st.fixed_dictionaries(
                {"bundleKey": maybe(st.text(max_size=8)), "name": maybe(st.text(max_size=8))}
            )
            | values
        ),
        "ignore": maybe(
            st.lists(
                st.sampled_from(
                    [
                        "input.message",
                        "input.secrets",
                        "input.secrets.k",
                        "labels.reconciler.dev/bundle",
                        "when.cron",
                        "state",
                        "agent",
                        "labels.owner",
                        "options",
                        "input.data.a.b",
                        "",
                    ]
                )
                | st.text(max_size=12),
                max_size=4,
            )
            | values
        ),
        "for_each": maybe(
            st.lists(scalars, max_size=4) | st.dictionaries(st.text(max_size=5), scalars, max_size=3)
        ),
    },
)
bundle_structure = st.fixed_dictionaries(
    {
        "apiVersion": maybe(st.just("reconciler/v1")),
        "kind": maybe(st.just("Bundle")),
        "bundleKey": maybe(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)),
        "target": maybe(
            st.fixed_dictionaries(
                {"provider": maybe(st.sampled_from(PROVIDERS))},
                optional={
                    "workspace": maybe(st.just("ws")),
                    "api": maybe(st.sampled_from(["run-schedules", "display-name", "v9"])),
                },
            )
        ),
        "schedules": maybe(st.lists(schedule, max_size=4)),
    },
    optional={
        "prune": maybe(st.sampled_from(["archive", "delete", "none"])),
        # issue 18: the day-two policies
        "pauses": maybe(st.sampled_from(["respect", "heal", "never"]) | values),
        "respectFor": maybe(st.sampled_from(["72h", "0s", "forever", "9999999999999d"]) | values),
        "drift": maybe(st.sampled_from(["heal", "report", "ignore"]) | values),
        "vars": values,
        "defaults": maybe(schedule),
        "extra": values,
    },
)


def dump(document: Any, style: str) -> str:
    if style == "json":
        return json.dumps(document, allow_nan=True, default=str)
    return yaml.safe_dump(document, default_flow_style=style == "flow", allow_unicode=True, sort_keys=False)
