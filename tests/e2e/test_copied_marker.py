"""Issue 17, item 4: a copied ownership marker does not make a schedule ours.

Someone duplicates an owned schedule in the platform, marker and all, under a name of their own. The copy
must never be archived (as a "duplicate" or as a schedule that left the bundle): the marker names the
schedule it was written for, and that is not the copy. Oz always checked the name against the marker's
name; every other platform that has room for it now does the same (Cadenya's `reconciler.dev/name` label,
Agentex run schedules' `task_metadata`, orq's `display_name`; orq's original API has no names, so its marker
records the schedule's own id). Agentex's legacy API and TBD Agents keep the marker in the name alone:
there a copy is named `<bundleKey>--...` or `<bundleKey>:...` by whoever made it (docs/safety.md).

Each test copies the marker by hand with plain HTTP, as a person with the API would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.apply_harness import env_for
from tests.reliability.apply_process import cli
from tests.reliability.revision_profiles import PROFILE_IDS, PROFILES, WS, Profile, Variant, client_for
from tests.sandbox_server import Server, running_sandbox

NAME_IS_THE_MARKER = {"agentex-legacy", "tbd-agents"}


@pytest.fixture(scope="module", params=PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> Profile:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server(profile: Profile) -> Iterator[Server]:
    with running_sandbox(profile.provider, *profile.serve_args) as srv:
        yield srv


def copy_of_a(profile: Profile, client: httpx.Client, agent: str) -> str:
    """Duplicate the owned schedule `a` under the name `a-copy`, every field (the marker too) as it is.
    Returns the copy's id."""
    answer: dict[str, Any]
    if profile.id == "cadenya":
        path = f"/v1/workspaces/{WS}/agents/{agent}/schedules"
        [item] = [i for i in client.get(path).json()["items"] if i["metadata"]["name"] == "a"]
        meta = item["metadata"]
        body = {"metadata": {**{k: meta[k] for k in ("labels", "bundleKey")}, "name": "a-copy"}}
        answer = client.post(path, json={**body, "spec": {"schedule": item["spec"]["schedule"]}}).json()
        return str(answer["metadata"]["id"])
    if profile.provider == "orq":
        path = f"/v3/agents/{agent}/schedules"
        items = client.get(path).json()["schedules"]
        [item] = [i for i in items if i["payload"]["metadata"]["reconciler.dev/name"] == "a"]
        body = {k: item[k] for k in ("type", "expression", "payload")}
        if profile.api == "display-name":
            body["display_name"] = "a-copy"
        answer = client.post(path, json=body).json()
        return str(answer["_id"])
    if profile.id == "oz":
        [item] = [
            i
            for i in client.get("/agent/schedules").json()["schedules"]
            if i["metadata"].get("reconciler.name") == "a"
        ]
        body = {k: item[k] for k in ("cron_schedule", "prompt", "metadata")}
        answer = client.post("/agent/schedules", json={**body, "name": "a-copy", "enabled": True}).json()
        return str(answer["id"])
    assert profile.id == "agentex-run-schedules"
    path = f"/agents/{agent}/schedules"
    [item] = [
        i for i in client.get(path, params={"limit": 100}).json()["run_schedules"] if i["name"] == "rel--a"
    ]
    body = {k: item[k] for k in ("initial_input", "cron_expression", "timezone", "task_metadata")}
    answer = client.post(path, json={**body, "name": "rel--a-copy"}).json()
    return str(answer["id"])


def firing(profile: Profile, server: Server) -> dict[str, bool]:
    with client_for(server.url) as client:
        return {e.platform_id: e.firing for e in profile.live(client)}


def test_a_copy_of_an_owned_schedule_with_its_marker_is_left_alone(
    profile: Profile, server: Server, tmp_path: Path
) -> None:
    if profile.id in NAME_IS_THE_MARKER:
        pytest.skip(
            "the name is the only marker: a copy is named as ours by whoever makes it (docs/safety.md)"
        )
    server.admin("POST", "reset")
    env = env_for(profile, server, server.url)
    path = profile.write(tmp_path / "bundle.yaml", [Variant("a", 0), Variant("b", 1)])
    assert cli(env, "apply", "--auto-approve", path).code == 0
    with client_for(server.url) as client:
        copy = copy_of_a(profile, client, profile.agents[0])

    planned = cli(env, "plan", "--detailed-exitcode", path)
    assert planned.code == 0 and "No changes" in planned.out, planned.out + planned.err
    target = ["--workspace", WS] if profile.provider == "cadenya" else []
    target += ["--api", profile.api] if profile.api else []
    exported = cli(env, "export", "--provider", profile.provider, "--bundle-key", "rel", *target)
    assert exported.code == 0, exported.err
    assert "carries a copy of the ownership marker of 'a'" in exported.err  # not exported as `a` twice
    assert exported.out.count("name: a\n") == 1, exported.out
    assert cli(env, "apply", "--auto-approve", path).code == 0
    assert firing(profile, server)[copy] is True

    profile.write(tmp_path / "bundle.yaml", [Variant("b", 1)])  # `a` leaves the bundle: only `a` is archived
    removed = cli(env, "apply", "--auto-approve", path)
    assert removed.code == 0, removed.err
    assert [line for line in removed.out.splitlines() if "archive" in line and "Plan:" not in line] == [
        f"- archive a ({profile.agents[0]})  # not in the bundle"
    ], removed.out
    assert firing(profile, server)[copy] is True
    again = cli(env, "plan", "--detailed-exitcode", path)
    assert again.code == 0, again.out + again.err
