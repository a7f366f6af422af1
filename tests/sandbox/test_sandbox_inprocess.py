"""The embedded sandbox: `build_app` + in-process transports, sync and async, no socket."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from cadenya import Cadenya

from reconciler.sandbox.app import SandboxApp, build_app
from reconciler.sandbox.config import Latency, SandboxConfig, Traffic
from reconciler.sandbox.transport import in_process_async_transport, in_process_transport
from tests.sandbox.conftest import schedule_body

AUTH = {"Authorization": "Bearer sandbox-key"}
SCHEDULES = "/v1/workspaces/ws_sandbox/agents/agent_a/schedules"


@pytest.fixture
def app() -> Iterator[SandboxApp]:
    app = build_app(SandboxConfig(agents=("agent_a",)))
    yield app
    app.close()


@pytest.fixture
def client(app: SandboxApp) -> Iterator[httpx.Client]:
    with httpx.Client(transport=in_process_transport(app), base_url="http://sandbox", headers=AUTH) as client:
        yield client


def test_the_sdk_works_through_the_sync_transport(client: httpx.Client) -> None:
    sdk = Cadenya(
        api_key="sandbox-key", base_url="http://sandbox", workspace_id="ws_sandbox", http_client=client
    )
    made = sdk.agents.schedules.create("agent_a", metadata={"name": "x"}, spec=schedule_body("x")["spec"])
    assert [s.metadata.id for s in sdk.agents.schedules.list("agent_a")] == [made.metadata.id]


def test_one_transport_serves_many_threads(client: httpx.Client) -> None:
    def create(name: str) -> int:
        return client.post(SCHEDULES, json=schedule_body(name)).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(create, [f"s{i}" for i in range(40)])) == {200}
        same_name = list(pool.map(create, ["dup"] * 16))
    assert sorted(same_name) == [200] + [409] * 15  # the uniqueness check cannot race
    assert len(client.get(SCHEDULES, params={"limit": 100}).json()["items"]) == 41


def test_the_async_transport(app: SandboxApp) -> None:
    async def main() -> list[int]:
        transport = in_process_async_transport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=AUTH) as client:
            made = await asyncio.gather(
                *(client.post(SCHEDULES, json=schedule_body(f"s{i}")) for i in range(5))
            )
            return [r.status_code for r in made]

    assert asyncio.run(main()) == [200] * 5


@pytest.mark.parametrize("kind", ["drop", "lost"])
def test_faults_in_process_look_like_a_broken_connection(kind: str) -> None:
    config = SandboxConfig(agents=("agent_a",), traffic=Traffic(fault_rate=1.0, fault_kinds=(kind,)))  # type: ignore[arg-type]
    app = build_app(config)
    with httpx.Client(transport=in_process_transport(app), base_url="http://sandbox", headers=AUTH) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(SCHEDULES, json=schedule_body("x"))
        client.post("/_sandbox/traffic", json={"faultRate": 0})
        written = client.get(SCHEDULES).json()["items"]
    assert len(written) == (1 if kind == "lost" else 0)

    async def via_async() -> None:
        app.sandbox.traffic.configure(config.traffic)
        async with httpx.AsyncClient(
            transport=in_process_async_transport(app), base_url="http://s", headers=AUTH
        ) as c:
            with pytest.raises(httpx.RemoteProtocolError):
                await c.get(SCHEDULES)

    asyncio.run(via_async())
    app.close()


def test_the_clients_read_timeout_applies(app: SandboxApp) -> None:
    app.sandbox.traffic.configure(Traffic(latency=Latency.parse("500")))
    transport = in_process_transport(app)
    client = httpx.Client(transport=transport, base_url="http://s", headers=AUTH, timeout=0.05)
    with client, pytest.raises(httpx.ReadTimeout):
        client.get(SCHEDULES)


def test_a_file_database_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / ".reconciler" / "sandbox.sqlite"
    config = SandboxConfig(db=str(db), agents=("agent_a",))
    first = build_app(config)
    with httpx.Client(transport=in_process_transport(first), base_url="http://s", headers=AUTH) as client:
        made = client.post(SCHEDULES, json=schedule_body("kept")).json()
    first.close()
    second = build_app(config)
    with httpx.Client(transport=in_process_transport(second), base_url="http://s", headers=AUTH) as client:
        assert client.get(f"{SCHEDULES}/{made['metadata']['id']}").json() == made
        assert len(client.get("/v1/workspaces/ws_sandbox/agents").json()["items"]) == 1
    second.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unknown_provider_and_revision_are_refused() -> None:
    with pytest.raises(ValueError, match="no sandbox for provider 'nope'"):
        build_app(SandboxConfig(provider="nope"))
    with pytest.raises(ValueError, match="unknown API revision"):
        build_app(SandboxConfig(api="v9"))
