"""`validate` is the pull-request gate: for every field of the bundle format and every provider revision, a
representative value (and the awkward ones people write) either comes back from the platform exactly as
written, or `validate` refuses it, offline and at its line. Never a third outcome: accepted, applied, and
then silently different on the platform (a dropped calendar year, a label the API rejects, a key read
back as the ownership marker), which `plan` could not even see.

One sandbox server per revision; every accepted variant is applied in one run and read back in one plan.
"Comes back exactly" is checked against the bundle as written, not through the provider's translation:
the same fire times over years (for `when`), and equal input, labels, options, state and protect.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.semantics import check_schedule
from reconciler.bundle.validate import load_bundles
from reconciler.plan.live import LiveSchedule
from reconciler.plan.normalise import comparable, comparable_live
from reconciler.providers.capabilities import capabilities_for
from reconciler.providers.registry import open_provider
from reconciler.timing import next_fire_times
from tests.e2e.support import cli
from tests.sandbox_server import Server, running_sandbox

SECRET = "s3cret-value"
ENV = {"RT_TOKEN": SECRET}
FUTURE = "2031-03-04T05:06:07Z"


@dataclass(frozen=True)
class Revision:
    provider: str
    api: str | None
    serve: tuple[str, ...]
    base: dict[str, Any]  # a schedule every variant starts from

    @property
    def id(self) -> str:
        return f"{self.provider}-{self.api or 'default'}"


_MESSAGE = {"input": {"message": "hello"}}
REVISIONS = [
    Revision("cadenya", None, ("--workspace", "ws_rt"), {"when": {"cron": "0 9 * * *"}, **_MESSAGE}),
    Revision(
        "agentex",
        None,
        (),
        {"when": {"cron": "0 9 * * *"}, "options": {"workflow_name": "wf", "task_queue": "q"}},
    ),
    Revision(
        "agentex", "run-schedules", ("--api", "run-schedules"), {"when": {"cron": "0 9 * * *"}, **_MESSAGE}
    ),
    Revision("orq", None, (), {"when": {"cron": "0 9 * * *"}, **_MESSAGE}),
    Revision("orq", "display-name", ("--api", "display-name"), {"when": {"cron": "0 9 * * *"}, **_MESSAGE}),
    Revision(
        "oz",
        None,
        ("--workspace", "team_rt"),
        {"agent": "default", "when": {"cron": "0 9 * * *"}, **_MESSAGE},
    ),
    Revision(
        "tbd-agents",
        None,
        ("--workspace", "local"),
        {"when": {"every": "1h", "start": "2026-01-01T00:00:00Z"}, **_MESSAGE},
    ),
]

# field -> variants (each merged into the revision's base schedule). Every field of the bundle format's
# schedule is here (`reconciler schema` lists them); `when` is merged whole where a variant names a form.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "name": [{"name": "Mixed.Case_name-1"}],
    "agent": [{"agent": "agent_b"}],
    "state": [{"state": "paused"}],
    "when.cron": [
        {"when": {"cron": "30 8 * * mon-fri"}},
        {"when": {"cron": "15 0 9 * * *"}},  # six fields: seconds first
        {"when": {"cron": ["0 9 * * *", "0 18 * * *"]}},
        {"when": {"cron": "0 9 1 * mon"}},  # both day fields: either matches
        {"when": {"cron": "0 0 */2 * mon"}},  # a stepped day field
        {"when": {"cron": "0 0 30 2 mon"}},  # every Monday in February (the 30th never comes)
        {"when": {"cron": "@weekly"}},
    ],
    "when.every": [{"when": {"every": "2h"}}, {"when": {"every": "1d"}}, {"when": {"every": "90m"}}],
    "when.offset": [{"when": {"every": "6h", "offset": "15m"}}],
    "when.at": [{"when": {"at": FUTURE}}, {"when": {"at": "2020-01-01T00:00:00Z"}}],
    "when.calendars": [
        {"when": {"calendars": [{"hour": [{"start": 9}], "dayOfWeek": [{"start": 1, "end": 5}]}]}},
        {
            "when": {
                "calendars": [{"second": [{"start": 30}], "minute": [{"start": 0, "end": 30, "step": 15}]}]
            }
        },
        {"when": {"calendars": [{"hour": [{"start": 6}], "comment": "early"}]}},
        {
            "when": {
                "calendars": [{"hour": [{"start": 9}], "month": [{"start": 3}], "dayOfMonth": [{"start": 4}]}]
            }
        },
        {"when": {"calendars": [{"hour": [{"start": 9}], "year": [{"start": 2030}]}]}},
    ],
    "when.timezone": [
        {"when": {"cron": "0 9 * * *", "timezone": "Europe/Berlin"}},
        {"when": {"cron": "0 9 * * *", "timezone": "Etc/UTC"}},
        {"when": {"cron": "0 9 * * *", "timezone": "Zulu"}},
    ],
    "when.start": [
        {"when": {"start": "2025-06-01T00:00:00Z"}},
        {"when": {"start": "2027-06-01T00:00:00Z"}},
        {"when": {"start": "2025-06-01T00:00:00.250Z"}},
    ],
    "when.end": [{"when": {"end": "2035-01-01T00:00:00Z"}}],
    "input.message": [{"input": {"message": "two\nlines, ünïcode"}}, {"input": {"message": ""}}],
    "input.data": [
        {"input": {"message": "m", "data": {"k": "v", "n": 3, "nested": {"a": [1, 2.5, True, None]}}}},
        {"input": {"message": "m", "data": {"x": {"secret": True, "value": "v"}}}},
    ],
    "input.secrets": [
        {"input": {"message": "m", "secrets": {"token": "{{ secret('RT_TOKEN') }}"}}},
        {"input": {"message": "m", "secrets": {"a.b": "{{ secret('RT_TOKEN') }}"}}},
        {"input": {"message": "m", "data": {"token": "x"}, "secrets": {"token": "{{ secret('RT_TOKEN') }}"}}},
    ],
    "labels": [
        {"labels": {"team": "ops", "app.kubernetes.io/name": "digest"}},
        {"labels": {"Team Name": "x y"}},
        {"labels": {"x/y/z": "v"}},
        {"labels": {"k" * 70: "v"}},
        {"labels": {"lang": "ünï"}},
        {"labels": {"empty": ""}},
        {"labels": {"reconciler.dev/bundle": "other"}},
        {"labels": {"reconciler.name": "other"}},
    ],
    "protect": [{"protect": True}],
    "adopt": [{"adopt": True}],
}
OPTION_VARIANTS: dict[str, list[dict[str, Any]]] = {
    "cadenya": [{"overlapPolicy": "OVERLAP_POLICY_ALLOW"}, {"userData": {"a": 1}}, {"variationId": "var_1"}],
    "agentex": [{"workflow_params": {"a": 1}}, {"execution_timeout_seconds": 600}],
    "agentex/run-schedules": [
        {"author": "agent"},
        {"description": "d"},
        {"task_params": {"a": [1, "b"]}},
        {"task_metadata": {"k": "v"}},
        {"task_metadata": {"reconciler.dev/protect": True}},
    ],
    "orq": [
        {"agent_tag": "v1"},
        {"memory_entity_id": "mem_1"},
        {"metadata": {"k": "v", "n": 5}},
        {"metadata": {"reconciler.dev/name": "x"}},
    ],
    "oz": [{"mode": "plan"}, {"team": False}, {"agent_config": {"model_id": "m1"}}],
    "tbd-agents": [],
}
OPTION_VARIANTS["orq/display-name"] = OPTION_VARIANTS["orq"]


def _merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    merged = {**base}
    for key, value in patch.items():
        if key == "when" and any(f in value for f in ("cron", "every", "at", "calendars")):
            kept = {k: v for k, v in base.get("when", {}).items() if k in ("start",)}
            merged["when"] = {**kept, **value}  # a variant naming a timing form replaces the base's form
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged


def _variants(revision: Revision) -> list[tuple[str, dict[str, Any]]]:
    key = f"{revision.provider}/{revision.api}" if revision.api else revision.provider
    out: list[tuple[str, dict[str, Any]]] = []
    base = {"agent": "agent_a", **revision.base}
    fields = {**VARIANTS, "options": [{"options": o} for o in OPTION_VARIANTS[key]]}
    for field, patches in fields.items():
        for index, patch in enumerate(patches):
            schedule = _merge(base, patch)
            schedule.setdefault("name", f"v-{len(out):02d}")
            out.append((f"{field}[{index}]", schedule))
    return out


def _document(revision: Revision, schedules: list[dict[str, Any]]) -> dict[str, Any]:
    target: dict[str, Any] = {"provider": revision.provider}
    if revision.provider == "cadenya":
        target["workspace"] = "ws_rt"
    if revision.api:
        target["api"] = revision.api
    return {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": "rt",
        "target": target,
        "schedules": schedules,
    }


def _fires(timing: Any, provider: str) -> list[datetime]:
    after = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        *next_fire_times(timing, after, 12, provider=provider),
        *next_fire_times(timing, datetime(2029, 12, 20, tzinfo=UTC), 12, provider=provider),
    ]


def _fields_of(desired: DesiredSchedule) -> dict[str, Any]:
    return {"name": desired.name, "agent": desired.agent, "input": desired.input, "options": desired.options}


def _live_timing(live: LiveSchedule, desired: DesiredSchedule, provider: str, api: str | None) -> Any:
    """The read-back `when` as the validator understands it (what it means, not how it is spelt)."""
    problems: list[str] = []
    data = {**_fields_of(desired), "when": dict(live.when)}
    read = check_schedule(
        data, capabilities_for(provider, api), "rt", lambda p, m: problems.append(f"{p}: {m}"), "", 0
    )
    assert read is not None, f"{desired.name}: read-back {live.when} is not a timing: {problems}"
    return read.timing


@pytest.fixture(params=REVISIONS, ids=[r.id for r in REVISIONS])
def revision(request: pytest.FixtureRequest) -> Iterator[tuple[Revision, Server]]:
    rev: Revision = request.param
    with running_sandbox(rev.provider, *rev.serve, "--agents", "agent_a,agent_b") as server:
        yield rev, server


def test_every_field_round_trips_or_is_refused_by_validate(
    revision: tuple[Revision, Server], tmp_path: Path
) -> None:
    rev, server = revision
    accepted: list[tuple[str, dict[str, Any]]] = []
    refused: dict[str, list[str]] = {}
    for label, schedule in _variants(rev):
        path = tmp_path / "one.yaml"
        path.write_text(json.dumps(_document(rev, [schedule])))
        loaded = load_bundles([str(path)], environ=ENV)
        if loaded.diagnostics:
            assert all(d.line > 0 and d.col > 0 for d in loaded.diagnostics), loaded.diagnostics
            refused[label] = [d.message for d in loaded.diagnostics]
        else:
            accepted.append((label, schedule))
    assert len(accepted) >= 10, refused  # the gate must not simply refuse everything

    path = tmp_path / "all.yaml"
    path.write_text(json.dumps(_document(rev, [s for _, s in accepted])))
    applied = cli(server, "apply", "--auto-approve", str(path), env=ENV)
    assert applied.code == 0, applied.out + applied.err
    again = cli(server, "plan", "--detailed-exitcode", str(path), env=ENV)
    assert again.code == 0, again.out + again.err

    loaded = load_bundles([str(path)], environ=ENV)
    bundle = loaded.bundles[0]
    provider = open_provider(bundle, endpoint=server.url, environ={**server.env, **ENV})
    live = {s.name: s for s in provider.list_live()}
    key = f"{rev.provider}/{rev.api}" if rev.api else rev.provider
    changed: list[str] = []
    for (label, _), desired in zip(accepted, bundle.schedules, strict=True):
        got = live.get(desired.name)
        if got is None:
            changed.append(f"{label}: not found on the platform")
            continue
        if _fires(desired.timing, key) != _fires(_live_timing(got, desired, rev.provider, rev.api), key):
            changed.append(f"{label}: fires differently: wrote {desired.when}, reads back {got.when}")
        want, have = comparable(desired), comparable_live(got)
        for field in ("agent", "state", "input", "labels", "options", "protect"):
            if want.get(field) != have.get(field):
                changed.append(f"{label}: {field} wrote {want.get(field)!r}, reads back {have.get(field)!r}")
    assert not changed, "\n".join(changed)
