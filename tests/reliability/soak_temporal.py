"""Temporal in the fault soak: the real dev server (`temporal server start-dev`), no emulator.

The server has no fault switch, so the CLI reaches it through the conformance kit's `InterruptingProxy` with
`Faults` of the sandbox's five kinds (seeded, and latency), with `TEMPORAL_HTTP_ADDRESS` pointing at the proxy. The reader is the official
`temporalio` SDK over gRPC, straight to the server, and decodes the marker by the provider's documented rules
(reconciler/providers/temporal/README.md), never by reconciler code:

- identity: the schedule's memo `reconciler: {bundleKey, name}`, the action's memo `reconciler` naming the
  same two, and the schedule id `<bundleKey>--<name>`; anything short of all three is nobody's;
- archived: paused, with `archived: true` in the action's memo; paused without it is a pause;
- a bundle cron is held as structured calendars with the comment `cron: <text>`; every+offset as an
  interval with its phase; `options.overlap` as `policies.overlapPolicy`.

Temporal's list comes from its visibility store, which trails writes; describe does not. So the reader
describes every id a history can make as well as every id the list shows (a gone one answers NotFound).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleDescription,
    ScheduleIntervalSpec,
    ScheduleSpec,
)
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from reconciler.sandbox.temporal_dev import DevServer, dev_server
from reconciler.testing.proxy import ALL_FAULTS, SANDBOX_NAMES, Faults, InterruptingProxy
from tests.reliability.soak_model import NAMES
from tests.reliability.soak_platforms import KEY, OTHER, PLATFORMS, Choice, Clients, Platform, Reachable, Row

QUEUE = "agents"
STRANGER = "stranger"
MEMO_KEY = "reconciler"
_PAYLOADS = DataConverter.default.payload_converter


class TemporalClients(Clients):
    """The SDK's client on an event loop of its own (the soak is synchronous), and plain HTTP for deletes."""

    def __init__(self, server: TemporalBackend, platform: Platform) -> None:
        super().__init__(server.url, platform)
        self.dev = server.server
        self._loop = asyncio.new_event_loop()
        self._client: Client | None = None

    def run(self, work: Any) -> Any:
        return self._loop.run_until_complete(work)

    @property
    def temporal(self) -> Client:
        if self._client is None:
            self._client = self.run(Client.connect(self.dev.address, namespace=self.dev.namespace))
        return self._client

    def close(self) -> None:
        super().close()
        self._loop.close()


def _ranges(ranges: Any) -> tuple[tuple[int, int, int], ...]:
    return tuple((r.start, r.end, r.step) for r in ranges)


def _timing(spec: ScheduleSpec) -> Any:
    calendars = tuple(
        (
            *(_ranges(getattr(c, f)) for f in ("second", "minute", "hour", "day_of_month", "month", "year")),
            _ranges(c.day_of_week),
            c.comment,
        )
        for c in spec.calendars
    )
    intervals = tuple(
        (int(i.every.total_seconds()), int((i.offset or timedelta(0)).total_seconds()))
        for i in spec.intervals
    )
    return (calendars, intervals, tuple(spec.cron_expressions), spec.time_zone_name)


def _decoded(payloads: Any) -> Any:
    return {k: _PAYLOADS.from_payload(v) for k, v in (payloads or {}).items()}


async def _row(client: Client, schedule_id: str) -> Row | None:
    try:
        described: ScheduleDescription = await client.get_schedule_handle(schedule_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None  # deleted (the list may still show it)
        raise
    schedule = described.schedule
    action = schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow), action
    identity = (await described.memo()).get(MEMO_KEY) or {}
    marker = _decoded(action.memo).get(MEMO_KEY) or {}
    owner, name = identity.get("bundleKey"), identity.get("name")
    owned = (
        owner is not None
        and name is not None
        and (marker.get("bundleKey"), marker.get("name")) == (owner, name)
        and schedule_id == f"{owner}--{name}"
    )
    args = [_PAYLOADS.from_payload(a) for a in action.args]
    paused = schedule.state.paused
    state = ("archived" if owned and marker.get("archived") else "paused") if paused else "active"
    return Row(
        owner=owner if owned else None,
        name=str(name) if owned else schedule_id,
        agent=action.workflow,
        state=state,
        timing=_timing(schedule.spec),
        message=args[0].get("message") if len(args) == 1 and isinstance(args[0], dict) else args,
        option=schedule.policy.overlap.name,
        snapshot=repr(
            (identity, marker, schedule.spec, action.workflow, action.id, action.task_queue, args),
        )
        + repr((schedule.policy, schedule.state)),
        path=f"/api/v1/namespaces/{client.namespace}/schedules/{schedule_id}",
    )


def _candidates() -> set[str]:
    """Every id a history can make (describe sees them however far the list trails)."""
    return {f"{KEY}--{n}" for n in NAMES} | {f"{OTHER}--theirs", STRANGER}


def _read_temporal(c: Clients) -> list[Row]:
    assert isinstance(c, TemporalClients)
    client = c.temporal

    async def read() -> list[Row]:
        listed = {entry.id async for entry in await client.list_schedules()}
        rows = await asyncio.gather(*(_row(client, i) for i in sorted(listed | _candidates())))
        return [row for row in rows if row is not None]

    rows: list[Row] = c.run(read())
    return rows


def _stranger_temporal(c: Clients) -> None:
    """A schedule a team made in Temporal under a name of its choosing: no memo, nobody's."""
    assert isinstance(c, TemporalClients)
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            c.platform.agents[0], {"by": "hand"}, id="stranger-wf", task_queue="other"
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=2))]),
    )
    c.run(c.temporal.create_schedule(STRANGER, schedule))


class TemporalPlatform(Platform):
    def clients(self, server: Reachable) -> Clients:
        assert isinstance(server, TemporalBackend)
        return TemporalClients(server, self)

    @property
    def renames_in_place(self) -> bool:
        return False  # ids never change: a rename creates the new id and archives the old (README)

    def pause_by_hand(self, clients: Clients, row: Row) -> None:
        assert isinstance(clients, TemporalClients)
        schedule_id = f"{row.owner}--{row.name}"
        clients.run(clients.temporal.get_schedule_handle(schedule_id).pause(note="incident 4711"))


def _calendar(minute: int, hour: int, weekdays: tuple[int, int], cron: str) -> Any:
    """One structured calendar as the SDK shows it: second 0, every day of the month, every month, any year."""
    return (
        ((0, 0, 1),),
        ((minute, minute, 1),),
        ((hour, hour, 1),),
        ((1, 31, 1),),
        ((1, 12, 1),),
        (),
        ((*weekdays, 1),),
        f"cron: {cron}",
    )


TEMPORAL = TemporalPlatform(
    id="temporal",
    provider="temporal",
    serve_args=(),
    key_env="",
    agents=("briefing-agent", "digest-agent"),
    target={"taskQueue": QUEUE},
    timings=(
        Choice({"every": "1h"}, ((), ((3600, 0),), (), "UTC")),
        Choice({"every": "6h", "offset": "15m"}, ((), ((21600, 900),), (), "UTC")),
        Choice(
            {"cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
            ((_calendar(0, 9, (1, 5), "0 9 * * 1-5"),), (), (), "Europe/Berlin"),
        ),
        Choice({"cron": "30 7 * * *"}, ((_calendar(30, 7, (0, 6), "30 7 * * *"),), (), (), "UTC")),
    ),
    options=(
        Choice({}, "SKIP"),
        Choice({"options": {"overlap": "buffer_one"}}, "BUFFER_ONE"),
        Choice({"options": {"overlap": "allow_all"}}, "ALLOW_ALL"),
    ),
    read=_read_temporal,
    make_stranger=_stranger_temporal,
)
ALL_PLATFORMS: tuple[Platform, ...] = (*PLATFORMS, TEMPORAL)


class TemporalBackend:
    """The dev server, reached by the CLI through the fault proxy and by the readers directly."""

    def __init__(self, server: DevServer, proxy: InterruptingProxy) -> None:
        self.server, self.proxy = server, proxy
        self.url = server.http_url
        self.endpoint = proxy.url
        self.env = {"TEMPORAL_HTTP_ADDRESS": proxy.url, "TEMPORAL_NAMESPACE": server.namespace}
        self.http = httpx.Client(base_url=server.http_url, timeout=30)
        self._counts: Counter[str] = Counter()
        self.quiet()

    def reset(self) -> None:
        """Delete every schedule (there is no `/_sandbox/reset`); faults off."""
        self.quiet()
        schedules = f"/api/v1/namespaces/{self.server.namespace}/schedules"
        page = self.http.get(schedules, params={"maximumPageSize": "1000"})
        page.raise_for_status()
        for schedule_id in {e["scheduleId"] for e in page.json().get("schedules") or []} | _candidates():
            gone = self.http.delete(f"{schedules}/{schedule_id}")
            assert gone.status_code in (200, 404), gone.text

    def faults(self, rate: float, seed: int, latency: str | None) -> None:
        """The sandbox's five kinds, seeded, from the next request on; counts carry over."""
        latency_ms = int(latency.split("-")[-1]) if latency else 0
        self.proxy.faults = self._counting(Faults(rate, seed, ALL_FAULTS, latency_ms))

    def quiet(self) -> None:
        self.proxy.faults = self._counting(Faults(0.0, 0))

    def _counting(self, faults: Faults) -> Faults:
        faults.counts = self._counts  # one tally for the backend's life, as the sandbox's own stats
        return faults

    def seen(self) -> Counter[str]:
        """Requests, each fault kind (in the sandbox's names) and timeouts so far."""
        names: dict[str, str] = dict(SANDBOX_NAMES)
        return Counter({names.get(kind, kind): n for kind, n in self._counts.items()})

    def close(self) -> None:
        self.http.close()


@contextlib.contextmanager
def temporal_backend() -> Iterator[TemporalBackend]:
    with dev_server() as server:
        proxy = InterruptingProxy(server.http_url)
        backend = TemporalBackend(server, proxy)
        try:
            yield backend
        finally:
            proxy.close()
