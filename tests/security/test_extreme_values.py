"""Extreme numbers and dates never crash anything: every value a bundle can hold goes through validate,
preview, plan and a create on each provider revision's sandbox, and ends as a located refusal or a schedule
the sandbox stores (never exit 3, never a 500). The sandboxes themselves answer 4xx to extreme values sent
straight to them, as the real APIs' validation would."""

from __future__ import annotations

import importlib
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import load_bundles
from reconciler.errors import ProviderError
from reconciler.forecast.fires import preview
from reconciler.plan.planner import plan_bundle
from reconciler.providers.base import Provider
from reconciler.providers.http import ApiClient
from reconciler.providers.registry import IMPLEMENTATIONS
from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport
from tests.conftest import run_cli

REVISIONS: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "cadenya": ("cadenya", None, ("cron", "every", "calendars")),
    "agentex": ("agentex", None, ("cron", "every")),
    "agentex/run-schedules": ("agentex", "run-schedules", ("cron", "every")),
    "orq": ("orq", None, ("cron", "every", "at")),
    "oz": ("oz", None, ("cron", "every")),
    "tbd-agents": ("tbd-agents", None, ("every",)),
}
# Each value is drawn from the edges (where overflow and precision loss live) or from the valid range next to
# them, so that about half the bundles validate and go all the way to the sandbox.
YEARS = (
    st.sampled_from([1, 1969, 1970, 2099, 2100, 2101, 9999])
    | st.integers(1970, 2100)
    | st.integers(1970, 2100)
)
OFFSETS = st.sampled_from(["Z", "+14:00", "-12:00", "-02:00", "Z", "Z", "", ".5Z"])
INSTANTS = st.builds(
    lambda y, m, d, h, off: f"{y:04d}-{m:02d}-{d:02d}T{h:02d}:00:00{off}",
    YEARS,
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 23),
    OFFSETS,
)
HUGE = st.sampled_from(
    [0, 1, 59, 60, 2**31, 2**53 - 1, 2**53, 2**63, 10**15, 36500, 36501, 2562047, 99999999999]
)
DURATIONS = st.builds(
    lambda n, u: f"{n}{u}", HUGE | st.integers(0, 10**13), st.sampled_from("dhms")
) | st.builds(lambda n: f"{n}d", st.integers(1, 36500))
SAFE = 2**53 - 1
NUMBERS = (
    HUGE
    | st.integers(-(2**70), 2**70)
    | st.integers(-SAFE, SAFE)
    | st.floats(allow_nan=False, allow_infinity=False)
)
CRON_NUMBERS = (
    st.sampled_from(["60", "99999", "9" * 30]) | st.integers(0, 59).map(str) | st.integers(1, 31).map(str)
)
CALENDAR_NUMBERS = HUGE | st.integers(-1, 10**12) | st.integers(0, 59) | st.integers(1970, 2100)


def _when(form: str, draw: st.DrawFn, provider: str) -> dict[str, Any]:
    when: dict[str, Any]
    if form == "cron":
        when = {"cron": f"{draw(CRON_NUMBERS)} 9 */{draw(CRON_NUMBERS)} * *"}
    elif form == "every":
        when = {"every": draw(DURATIONS)}
    elif form == "at":
        when = {"at": draw(INSTANTS)}
    else:
        field = draw(st.sampled_from(["second", "hour", "dayOfMonth", "year"]))
        ranges = {
            "start": draw(CALENDAR_NUMBERS),
            "end": draw(CALENDAR_NUMBERS),
            "step": draw(CALENDAR_NUMBERS),
        }
        when = {"calendars": [{field: [ranges]}]}
    if provider in ("agentex", "tbd-agents"):
        for key in ("start", "end"):
            if (key == "start" and provider == "tbd-agents") or draw(st.booleans()):
                when[key] = draw(INSTANTS)
    return when


@st.composite
def bundles(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    key = draw(st.sampled_from(sorted(REVISIONS)))
    provider, api, forms = REVISIONS[key]
    target: dict[str, Any] = {
        "provider": provider,
        **({"workspace": "ws_sandbox"} if provider == "cadenya" else {}),
    }
    if api:
        target["api"] = api
    schedule: dict[str, Any] = {
        "name": "extreme",
        "agent": "default" if provider == "oz" else "agent_a",
        "when": _when(draw(st.sampled_from(forms)), draw, provider),
    }
    if key == "agentex":
        timeout = draw(HUGE | st.integers(-5, 10**20) | st.integers(1, 10**9))
        schedule["options"] = {"workflow_name": "w", "task_queue": "q", "execution_timeout_seconds": timeout}
        schedule["options"]["workflow_params"] = {"n": draw(NUMBERS)}
    else:
        schedule["input"] = {"message": "go"}
        if provider in ("cadenya", "orq"):
            schedule["input"]["data"] = {"n": draw(NUMBERS), "list": [draw(NUMBERS)]}
    document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": "extreme", "target": target}
    return key, {**document, "schedules": [schedule]}


_APPS: dict[str, SandboxApp] = {}


def _sandbox(key: str) -> SandboxApp:
    if key not in _APPS:
        provider, api, _ = REVISIONS[key]
        _APPS[key] = build_app(SandboxConfig(provider=provider, api=api, agents=("agent_a",)))
    return _APPS[key]


@pytest.fixture(scope="module", autouse=True)
def _close_sandboxes() -> Iterator[None]:
    yield
    for app in _APPS.values():
        app.close()
    _APPS.clear()


def _provider(bundle: Bundle, app: SandboxApp) -> Provider:
    client = ApiClient("http://sandbox", api_key="sandbox-key", transport=in_process_transport(app))
    module, _, name = IMPLEMENTATIONS[bundle.provider].partition(":")
    cls: type[Provider] = getattr(importlib.import_module(module), name)
    return cls(client, bundle, b"k", environ={})


def _server_errors(app: SandboxApp) -> list[str]:
    routes = app.sandbox.stats.snapshot()["routes"]
    return [
        f"{route} {outcome}"
        for route, outcomes in routes.items()
        for outcome in outcomes
        if outcome[0] == "5"
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundles())
def test_extreme_values_are_refused_or_carried_never_a_crash(case: tuple[str, dict[str, Any]]) -> None:
    key, document = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.yaml"
        path.write_text(json.dumps(document))
        loaded = load_bundles([str(path)], environ={})
    if loaded.diagnostics:
        assert all(d.line >= 1 and d.col >= 1 and len(d.message) < 1000 for d in loaded.diagnostics), loaded
        return
    bundle = loaded.bundles[0]
    for after in (datetime(2026, 1, 1, tzinfo=UTC), datetime(2100, 12, 31, 23, tzinfo=UTC)):
        preview([bundle], after, 5)
    app = _sandbox(key)
    app.sandbox.reset()  # no schedules, zero stats
    provider = _provider(bundle, app)
    try:
        normalised = Bundle(
            key=bundle.key,
            provider=bundle.provider,
            target=bundle.target,
            prune=bundle.prune,
            schedules=tuple(provider.normalise(s) for s in bundle.schedules),
        )
        planned = plan_bundle(normalised, provider.list_live(), now=datetime.now(UTC))
        assert [action.kind for action in planned.actions] == ["create"]
        provider.create(bundle.schedules[0])
        assert len(provider.list_live()) == 1
    except ProviderError as exc:
        pytest.fail(f"{key}: a bundle validate accepted was refused by the sandbox: {exc}\n{document}")
    finally:
        provider.client.close()
    assert not _server_errors(app), document


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("validate",), "must be between 1970-01-01T00:00:00Z and 2100-12-31T23:59:59Z"),
        (("plan", "--sandbox"), "must be between"),
        (("apply", "--sandbox", "--auto-approve"), "must be between"),
        (("preview",), "must be between"),
        (("calendar",), "must be between"),
    ],
    ids=["validate", "plan", "apply", "preview", "calendar"],
)
def test_a_start_that_overflows_in_utc_is_refused_by_every_command(
    tmp_path: Path, args: tuple[str, ...], text: str
) -> None:
    (tmp_path / "bundle.yaml").write_text(
        json.dumps(
            {
                "apiVersion": "reconciler/v1",
                "kind": "Bundle",
                "bundleKey": "late",
                "target": {"provider": "agentex", "api": "run-schedules"},
                "schedules": [
                    {
                        "name": "late",
                        "agent": "agent_a",
                        "input": {"message": "m"},
                        "when": {"cron": "0 9 * * *", "start": "9999-12-31T23:00:00-02:00"},
                    }
                ],
            }
        )
    )
    result = run_cli(*args, "bundle.yaml", cwd=tmp_path)
    assert result.code == 1, result.out + result.err
    assert text in result.out + result.err
    assert "internal error" not in result.err


def test_preview_of_the_longest_every_lists_what_fits(tmp_path: Path) -> None:
    (tmp_path / "long.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: long\ntarget: {provider: agentex, api: run-schedules}\n"
        "schedules:\n  - {name: a, agent: x, input: {message: m}, when: {every: 36500d}}\n"
        "  - {name: b, agent: x, input: {message: m}, when: {every: 1000000d}}\n"
    )
    result = run_cli("preview", "long.yaml", cwd=tmp_path)
    assert result.code == 1 and "internal error" not in result.err, result.err
    assert "'1000000d' is longer than 36500d (100 years)" in result.err


_SANDBOX_CASES: list[tuple[str, str | None, str, str, dict[str, Any]]] = [
    *[
        (
            "agentex",
            None,
            "POST",
            "/agents/agent_a/schedules",
            {"name": f"i{i}", "workflow_name": "w", "task_queue": "q", **body},
        )
        for i, body in enumerate(
            [
                {"interval_seconds": 10**30},
                {"interval_seconds": 2**63},
                {"cron_expression": "0 9 * * *", "start_at": "9999-12-31T23:00:00-02:00"},
                {"cron_expression": "0 9 * * *", "end_at": "0001-01-01T00:00:00+14:00"},
            ]
        )
    ],
    *[
        (
            "agentex",
            "run-schedules",
            "POST",
            "/agents/agent_a/schedules",
            {"name": f"r{i}", "initial_input": {"content": "x"}, **body},
        )
        for i, body in enumerate(
            [
                {"interval_seconds": 10**30},
                {"cron_expression": "0 9 * * *", "start_at": "9999-12-31T23:00:00-02:00"},
            ]
        )
    ],
    (
        "orq",
        None,
        "POST",
        "/v3/agents/agent_a/schedules",
        {"type": "interval", "expression": "@every 99999999999h", "payload": {}},
    ),
    (
        "orq",
        None,
        "POST",
        "/v3/agents/agent_a/schedules",
        {"type": "interval", "expression": "@every 2562048h", "payload": {}},
    ),
    (
        "cadenya",
        None,
        "POST",
        "/v1/workspaces/ws_sandbox/agents/agent_a/schedules",
        {
            "metadata": {"name": "c"},
            "spec": {"schedule": {"timezone": "UTC", "intervals": [{"every": "99999999999999999999s"}]}},
        },
    ),
    (
        "cadenya",
        None,
        "POST",
        "/v1/workspaces/ws_sandbox/agents/agent_a/schedules",
        {
            "metadata": {"name": "s"},
            "spec": {"schedule": {"timezone": "UTC", "calendars": [{"hour": [{"start": 1, "step": 2**63}]}]}},
        },
    ),
    *[
        (
            "tbd-agents",
            None,
            "POST",
            "/api/scheduled-agents",
            {"name": "n", "workflow_id": "agent_a", "prompt": "p", **body},
        )
        for body in [
            {"interval_value": 10**30, "interval_unit": "days", "start_at": "2026-01-01T00:00:00Z"},
            {"interval_value": 2**63, "interval_unit": "minutes", "start_at": "2026-01-01T00:00:00Z"},
            {"interval_value": 1, "interval_unit": "hours", "start_at": "9999-12-31T23:00:00-02:00"},
        ]
    ],
]


@pytest.mark.parametrize(("provider", "api", "method", "path", "body"), _SANDBOX_CASES)
def test_sandboxes_answer_extreme_values_with_a_4xx(
    provider: str, api: str | None, method: str, path: str, body: dict[str, Any]
) -> None:
    app = build_app(SandboxConfig(provider=provider, api=api, agents=("agent_a",)))
    client = httpx.Client(
        transport=in_process_transport(app),
        base_url="http://s",
        headers={"Authorization": "Bearer sandbox-key"},
    )
    try:
        answer = client.request(method, path, json=body)
        assert 400 <= answer.status_code < 500, answer.text
        listed = client.get(path.rsplit("/", 0)[0])
        assert listed.status_code < 500, listed.text
    finally:
        client.close()
        app.close()


@pytest.mark.parametrize(
    "args",
    [
        ("preview", "--from", "0001-01-01T00:00+14:00"),
        ("preview", "--from", "9999-12-31T23:00:00-02:00"),
        ("calendar", "--from", "9999-12-30"),
        ("calendar", "--from", "0001-01-01", "--timezone", "Asia/Tokyo"),
    ],
    ids=["preview-year-1", "preview-year-9999", "calendar-9999", "calendar-year-1"],
)
def test_a_from_at_the_edge_of_the_calendar_is_refused_not_a_crash(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "b.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: edge\ntarget: {provider: cadenya, workspace: w}\n"
        'schedules:\n  - {name: a, agent: a, when: {cron: "0 9 * * *"}}\n'
    )
    result = run_cli(args[0], "b.yaml", *args[1:], cwd=tmp_path)
    assert result.code == 1 and "internal error" not in result.err, result.err
    assert "must lie between 1970-01-01T00:00:00Z and 2100-12-31T23:59:59Z" in result.err
