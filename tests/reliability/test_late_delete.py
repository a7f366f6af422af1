"""A DELETE that timed out, was retried, and ran on the platform late must not leave `apply` exiting 0 with
a declared schedule gone.

Agentex legacy updates a schedule by DELETE and POST of its name. The client repeats a DELETE that got no
answer; the first attempt may still be running on the platform and land after the POST, deleting the schedule
just created. The long fault soak found it by chance (sandbox latency beyond the client's timeout); here it is
made to happen every time: a proxy holds the first DELETE past the client's timeout, lets the repeat and the
POST through, and only then forwards the held DELETE to the sandbox. The real CLI applies, in this process,
with a client timeout of two seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

import reconciler.providers.http as http_module
import reconciler.providers.registry as registry
from tests.reliability.apply_harness import env_for, owned
from tests.reliability.interrupting_proxy import InterruptingProxy
from tests.reliability.revision_profiles import PROFILES, Profile, Variant
from tests.reliability.soak_driver import run_in_process
from tests.sandbox_server import Server, running_sandbox

LEGACY = next(p for p in PROFILES if p.id == "agentex-legacy")
CLIENT_TIMEOUT = 2.0  # s; also how long the apply gives the late DELETE to land (ms here, once released)


class LateFirstDelete(InterruptingProxy):
    """Forwards everything, but the first DELETE: held until a POST that came after it has been answered,
    then forwarded (its client gave up long before), so it runs on the sandbox last."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self._delete_seen = False
        self.posted = threading.Event()
        self.late_delete_ran = threading.Event()
        self._guard = threading.Lock()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._guard:
            first = handler.command == "DELETE" and not self._delete_seen
            self._delete_seen = self._delete_seen or handler.command == "DELETE"
        if first:
            assert self.posted.wait(30), "no POST followed the held DELETE"
            super().handle(handler)  # its client is gone: the answer goes nowhere
            self.late_delete_ran.set()
            return
        super().handle(handler)
        if handler.command == "POST" and self._delete_seen:
            self.posted.set()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox(LEGACY.provider, *LEGACY.serve_args) as srv:
        yield srv


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's client gives up after CLIENT_TIMEOUT (its default, 30 s, would make this test slow)."""

    class Impatient(http_module.ApiClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "timeout": CLIENT_TIMEOUT})

    monkeypatch.setattr(registry, "ApiClient", Impatient)


def apply(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], path: str) -> Any:
    with monkeypatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        return run_in_process("apply", "--auto-approve", path)


def test_a_delete_landing_after_the_recreate_never_leaves_the_schedule_gone(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_timeout: None
) -> None:
    profile: Profile = LEGACY
    server.admin("POST", "reset")
    path = profile.write(tmp_path / "bundle.yaml", [Variant("bravo", 0)])
    first = apply(monkeypatch, env_for(profile, server, server.url), path)
    assert first.code == 0, first.err

    # A change legacy Agentex can only make by DELETE + POST of the name.
    profile.write(tmp_path / "bundle.yaml", [Variant("bravo", 0, version=2, recreate=True)])
    proxy = LateFirstDelete(server.url)
    try:
        run = apply(monkeypatch, env_for(profile, server, proxy.url), path)
        assert proxy.late_delete_ran.wait(30), "the held DELETE never reached the sandbox"
    finally:
        proxy.close()
    requests = " | ".join(proxy.requests)
    assert requests.count("DELETE ") == 2, f"the first DELETE was not repeated: {requests}"

    live = {entry.name for entry in owned(profile, server)}
    assert run.code != 0 or live == {"bravo"}, (
        f"apply exited 0 but 'bravo' is gone (live: {sorted(live)}); requests: {requests}\n{run.out}{run.err}"
    )
    # The apply created it once more after the late DELETE: nothing left to do.
    assert run.code == 0, run.out + run.err
    assert live == {"bravo"}
    again = apply(monkeypatch, env_for(profile, server, server.url), path)
    assert again.code == 0 and "No changes" in again.out, again.out + again.err
