"""Two applies that both planned "create" for the same schedules, the second carried out after the first
had created them: the slow half of a race, made deterministic in-process (the sandbox app, the real
providers, planner and applier; no sockets). Both must succeed and leave each schedule exactly once.

Where names are unique (Cadenya and Agentex legacy answer 409, Agentex run schedules 400) the second
create is refused and looked up; where they are not (orq, Oz, TBD Agents) it succeeds, and the applier
must find and remove the twin it made. The real race, two `apply` processes at once, is in
test_concurrent_apply.py.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reconciler.apply.executor import ApplyReport, execute
from reconciler.bundle.desired import Bundle
from reconciler.bundle.validate import load_bundles
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import BundlePlan
from reconciler.plan.planner import plan_bundle
from reconciler.providers.base import Provider
from reconciler.providers.http import ApiClient, RetryPolicy
from reconciler.providers.registry import IMPLEMENTATIONS
from reconciler.sandbox.app import build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport
from tests.reliability.apply_harness import STEPS
from tests.reliability.revision_profiles import KEY, PROFILE_IDS, PROFILES, Profile, client_for
from tests.sandbox_server import API_KEY

DIGEST_KEY = b"reconciler"


@pytest.fixture(params=PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


class Shared(httpx.BaseTransport):
    """One in-process sandbox for several clients: closing a client must not close it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        pass


@pytest.fixture
def transport(profile: Profile) -> Iterator[httpx.BaseTransport]:
    config = SandboxConfig(
        provider=profile.provider,
        api=profile.api,
        workspace=profile.workspace,
        agents=profile.sandbox_agents,
        api_keys=(API_KEY,),
    )
    app = build_app(config)
    inner = in_process_transport(app)
    yield Shared(inner)
    inner.close()
    app.close()


def open_provider(bundle: Bundle, transport: httpx.BaseTransport) -> Provider:
    module, _, name = IMPLEMENTATIONS[bundle.provider].partition(":")
    cls: type[Provider] = getattr(importlib.import_module(module), name)
    client = ApiClient(
        "http://sandbox", api_key=API_KEY, transport=transport, retry=RetryPolicy(base_delay=0, jitter=False)
    )
    return cls(client, bundle, DIGEST_KEY, environ={}, parallelism=4)


def plan(provider: Provider) -> BundlePlan:
    bundle = provider.bundle
    normalised = Bundle(
        bundle.key,
        bundle.provider,
        bundle.target,
        bundle.prune,
        tuple(provider.normalise(s) for s in bundle.schedules),
        bundle.file,
        bundle.line,
    )
    return plan_bundle(
        normalised,
        provider.list_live(),
        display_name=provider.display_name,
        restore_archived="create" if provider.restore_archived == "create" else "resume",
        update_reason=provider.update_reason,
        digest_key=DIGEST_KEY,
        now=datetime.now(UTC),
    )


def failures(report: ApplyReport) -> list[str]:
    return [f"{o.action.kind} {o.action.name}: {o.error}" for o in report.failures]


def test_the_second_of_two_applies_that_planned_the_same_creates_makes_no_twin(
    profile: Profile, transport: httpx.BaseTransport, tmp_path: Path
) -> None:
    path = profile.write(tmp_path / "bundle.yaml", list(STEPS[0].variants))
    [bundle] = load_bundles([path]).bundles
    first, second = open_provider(bundle, transport), open_provider(bundle, transport)
    first_plan, second_plan = plan(first), plan(second)  # both before anything exists
    assert first_plan.summary["create"] == second_plan.summary["create"] == 3

    assert failures(execute(first_plan, first)) == []
    assert failures(execute(second_plan, second)) == []

    with client_for("http://sandbox", transport) as client:
        live = [(e.name, e.agent, e.firing) for e in profile.live(client) if e.owner == KEY]
    wanted = [(v.name, profile.agents[v.agent], not v.paused) for v in STEPS[0].variants]
    assert sorted(live) == sorted(wanted)
    assert not plan(open_provider(bundle, transport)).has_changes


def test_a_twin_removed_by_the_other_apply_before_this_one_paused_it_is_no_failure(
    profile: Profile, transport: httpx.BaseTransport, tmp_path: Path
) -> None:
    """Issue 17, item 14: the other run's twin check deletes what this run just created, before this run
    pauses it (a schedule declared `paused` is created, then paused). The pause meets a 404; the create
    step looks the schedule up by its marker, finds the one the other run kept, and succeeds."""
    path = profile.write(tmp_path / "bundle.yaml", list(STEPS[0].variants))
    [bundle] = load_bundles([path]).bundles
    first, second = open_provider(bundle, transport), open_provider(bundle, transport)
    first_plan, second_plan = plan(first), plan(second)
    assert failures(execute(first_plan, first)) == []

    pause = second.pause

    def removed_first(live: LiveSchedule) -> LiveSchedule:
        first.delete(live)  # the first run's twin check got there before this pause
        return pause(live)

    second.pause = removed_first  # type: ignore[method-assign]
    assert failures(execute(second_plan, second)) == []

    with client_for("http://sandbox", transport) as client:
        live = [(e.name, e.agent, e.firing) for e in profile.live(client) if e.owner == KEY]
    wanted = [(v.name, profile.agents[v.agent], not v.paused) for v in STEPS[0].variants]
    assert sorted(live) == sorted(wanted)
    assert not plan(open_provider(bundle, transport)).has_changes
