"""The reconciler CLI run thousands of times in this process, fast, with client settings a caller varies.

The CLI runs in-process (`reconciler.cli.main.main`), which saves Python's start-up on each of thousands
of applies. Three things the soak does not test are made cheap: the typer command is built once; retry
backoff sleeps are a millisecond (the behaviour under test is convergence, not waiting); and one
certificate store serves every client (each `httpx.Client` would load certifi's again, 40 ms, for a
plain-http loopback server that never uses it). Two client settings vary by step: the attempts per
request (3 or the default 5: with 3, failed applies and re-runs are common) and, on steps with timeouts,
the timeout.
"""

from __future__ import annotations

import contextlib
import io
import ssl
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import typer.main

import reconciler.cli.main as cli_main
import reconciler.providers.agentex.provider as agentex_provider
import reconciler.providers.http as http_module
import reconciler.providers.registry as registry
from tests.conftest import Run

_RealRetryPolicy = http_module.RetryPolicy


@dataclass
class ClientKnobs:
    attempts: int = 5  # RetryPolicy.max_attempts for the next CLI runs
    timeout: float | None = None  # the ApiClient timeout; None: its default


KNOBS = ClientKnobs()
LATE_WINDOW_WITHOUT_TIMEOUTS = 0.05  # s


def _fast_retry_policy(**kwargs: Any) -> http_module.RetryPolicy:
    """The client's own policy (the same statuses, Retry-After honoured up to a cap), with millisecond
    backoff and the step's number of attempts."""
    fast = {"base_delay": 0.001, "max_delay": 0.002, "max_retry_after": 0.0, "max_attempts": KNOBS.attempts}
    return _RealRetryPolicy(**{**fast, **kwargs})


class _KnobbedClient(http_module.ApiClient):
    """The CLI's ApiClient, with the step's timeout when it has one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if KNOBS.timeout is not None:
            kwargs["timeout"] = KNOBS.timeout
        else:
            # Without client timeouts, nothing this sandbox was sent runs after its answer was given up on (a
            # dropped request never runs, a lost answer's write ran before it was lost): an apply need not
            # wait the default late window (5 s) at its end whenever a fault dropped a write.
            kwargs["late_window"] = LATE_WINDOW_WITHOUT_TIMEOUTS
        super().__init__(*args, **kwargs)


@contextlib.contextmanager
def fast_in_process_cli() -> Iterator[None]:
    """Patches for running the CLI thousands of times in one process; see the module docstring."""
    real_context = ssl.create_default_context
    contexts: dict[tuple[Any, ...], ssl.SSLContext] = {}

    def shared_context(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        key = (args, tuple(sorted(kwargs.items())))
        if key not in contexts:
            contexts[key] = real_context(*args, **kwargs)
        return contexts[key]

    no_sleep = types.SimpleNamespace(**{**vars(time), "sleep": lambda seconds: None})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli_main, "app", typer.main.get_command(cli_main.app))
        mp.setattr(http_module, "RetryPolicy", _fast_retry_policy)
        mp.setattr(registry, "ApiClient", _KnobbedClient)
        mp.setattr(agentex_provider, "time", no_sleep)  # the legacy recreate's own backoff
        mp.setattr(ssl, "create_default_context", shared_context)
        mp.delenv("RECONCILER_SANDBOX", raising=False)
        yield


def run_in_process(*args: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main.main(list(args))
    return Run(code, out.getvalue(), err.getvalue())
