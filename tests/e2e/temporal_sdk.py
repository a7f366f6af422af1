"""The Temporal dev server through the official `temporalio` SDK, as a person running Temporal sees and changes
it (list, describe, pause, update, create by hand), never through reconciler's code; its schedule list is
eventually consistent, so reads that expect something wait for it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleDescription,
    ScheduleIntervalSpec,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError

from reconciler.sandbox.temporal_dev import DevServer

T = TypeVar("T")


class Temporal:
    """The dev server through the official SDK: what a person sees and does in Temporal."""

    def __init__(self, server: DevServer) -> None:
        self.server = server

    def run(self, work: Callable[[Client], Awaitable[T]]) -> T:
        async def go() -> T:
            client = await Client.connect(self.server.address, namespace=self.server.namespace)
            return await work(client)

        return asyncio.run(go())

    def ids(self, expected: list[str] | None = None) -> list[str]:
        """The schedule ids Temporal lists. Its list is eventually consistent (it trails a write by tens to
        hundreds of milliseconds): given the ids a test expects, wait up to 15 s for the list to show them."""

        async def work(client: Client) -> list[str]:
            return sorted([s.id async for s in await client.list_schedules()])

        deadline = time.monotonic() + 15
        while True:
            found = self.run(work)
            if expected is None or found == expected or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def describe(self, schedule_id: str) -> ScheduleDescription:
        return self.run(lambda client: client.get_schedule_handle(schedule_id).describe())

    def delete_all(self) -> None:
        """Until the (eventually consistent) list shows nothing: a schedule the previous test made a moment
        ago may appear in it only now."""

        async def work(client: Client) -> int:
            found = [entry.id async for entry in await client.list_schedules()]
            for schedule_id in found:
                with contextlib.suppress(RPCError):  # deleted since the list
                    await client.get_schedule_handle(schedule_id).delete()
            return len(found)

        deadline = time.monotonic() + 15
        while self.run(work) and time.monotonic() < deadline:
            time.sleep(0.2)

    def pause(self, schedule_id: str, note: str) -> None:
        self.run(lambda client: client.get_schedule_handle(schedule_id).pause(note=note))

    def update(self, schedule_id: str, change: Callable[[Schedule], None]) -> None:
        def updater(given: ScheduleUpdateInput) -> ScheduleUpdate:
            change(given.description.schedule)
            return ScheduleUpdate(schedule=given.description.schedule)

        self.run(lambda client: client.get_schedule_handle(schedule_id).update(updater))

    def create_foreign(self, schedule_id: str, workflow: str, argument: Any = None) -> None:
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                workflow, argument or {"by": "hand"}, id=f"{schedule_id}-wf", task_queue="other"
            ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))]),
        )
        self.run(lambda client: client.create_schedule(schedule_id, schedule))
