"""Legacy Agentex: the schedules an apply created under a name that an unanswered DELETE had addressed,
checked once the apply's steps are done.

Legacy schedules are addressed by name, and an update is a DELETE, then a POST, of the same name. A DELETE
that timed out is repeated (it is idempotent); the first attempt may still be running on the platform, and
land after the POST: the schedule the apply just created is gone, though every request it made succeeded.
So each such schedule is read again, once the late DELETE has had time to land (`ApiClient.wait_for_late`).

If it is gone, it is created again, once, and read back. Created, not reported for the user to fix: it is
ours and the bundle declares it, which is what `apply` is for (as `terraform apply` recreates what went
missing), and a DELETE removes one schedule once: the late one is spent, so the second create stays. Only if
that fails too does the step fail (the apply exits 1), with a message that says what happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from reconciler.bundle.desired import DesiredSchedule
from reconciler.errors import ProviderError
from reconciler.plan.live import LiveSchedule
from reconciler.providers.base import Recheck
from reconciler.providers.http import ApiClient

LATE = (
    "a DELETE of '{platform}' sent earlier in this apply got no answer and ran on the platform after the "
    "schedule was created again"
)


class CreatedByName:
    """The schedules this provider created, by (agent, platform name); safe to use from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._created: dict[tuple[str, str], DesiredSchedule] = {}

    def add(self, platform_name: str, desired: DesiredSchedule) -> None:
        with self._lock:
            self._created[(desired.agent, platform_name)] = desired

    def items(self) -> list[tuple[str, DesiredSchedule]]:
        with self._lock:
            return [(name, desired) for (_, name), desired in self._created.items()]


def recheck(
    client: ApiClient,
    created: CreatedByName,
    path_of: Callable[[str, str], str],
    find: Callable[[DesiredSchedule], LiveSchedule | None],
    create: Callable[[DesiredSchedule], LiveSchedule],
) -> list[Recheck]:
    """Each schedule of `created` whose path (`path_of(agent, platform name)`) an unanswered DELETE addressed:
    still there, created again, or the error that says it is gone."""
    results: list[Recheck] = []
    for platform, desired in sorted(created.items(), key=lambda item: (item[1].agent, item[0])):
        path = path_of(desired.agent, platform)
        if not client.wait_for_late("DELETE", path):
            continue
        late = LATE.format(platform=platform)
        try:
            if find(desired) is not None:
                results.append(Recheck(desired.agent, desired.name))
                continue
            create(desired)
            client.wait_for_late("DELETE", path)  # the create may have deleted a half-made one on the way
            if find(desired) is not None:
                note = f"created again: {late}"
                results.append(Recheck(desired.agent, desired.name, note=note))
                continue
            failure = "it was gone again when read back"
        except ProviderError as exc:
            failure = f"checking for it, or creating it again, failed ({exc})"
        error = (
            f"schedule '{desired.name}' (agent {desired.agent}) is missing: {late}; {failure}. "
            "Run `reconciler apply` again to recreate it"
        )
        results.append(Recheck(desired.agent, desired.name, error=error))
    return results
