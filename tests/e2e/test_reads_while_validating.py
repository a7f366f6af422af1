"""A bundle's live state is read as soon as that bundle is valid, while the later files are still checked;
nothing is written unless every bundle is valid, within budget, read and planned, and what a failing run says
does not depend on what was read meanwhile. The real sandbox behind a proxy that counts what reaches it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from reconciler.bundle import assemble
from reconciler.bundle.assemble import READ_AHEAD_FROM
from reconciler.cli import session as session_module
from reconciler.cli.session import Options, open_session
from reconciler.testing.proxy import InterruptingProxy, is_write
from tests.e2e.support import bundle_text, cli, write
from tests.sandbox_server import Server, running_sandbox

WS = "ws_early_reads"
AGENTS = ("agent_a", "agent_b")
TARGET = {"provider": "cadenya", "workspace": WS}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_sandbox("cadenya", "--workspace", WS, "--agents", ",".join(AGENTS)) as srv:
        yield srv


class Counting(InterruptingProxy):
    """Counts the reads and writes that reach it; `refuse` answers every read 401 without forwarding it,
    `throttle` answers every read 429 with that Retry-After (seconds)."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.refuse = False
        self.refusal = "unauthenticated"  # what the 401 says
        self.refuse_writes = ""  # when set: every write is answered 400 with this message
        self.throttle = ""
        self.first_read = threading.Event()
        self._count = threading.Lock()
        self.reads = self.writes = 0

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        with self._count:
            if is_write(handler.command, handler.path):
                self.writes += 1
            else:
                self.reads += 1
        self.first_read.set()
        if self.refuse and not is_write(handler.command, handler.path):
            body = json.dumps({"code": 16, "message": self.refusal}).encode()
            return self._answer(handler, 401, {"Content-Type": "application/json"}, body)
        if self.throttle and not is_write(handler.command, handler.path):
            body = json.dumps({"code": 8, "message": "slow down"}).encode()
            headers = {"Content-Type": "application/json", "Retry-After": self.throttle}
            return self._answer(handler, 429, headers, body)
        if self.refuse_writes and is_write(handler.command, handler.path):
            body = json.dumps({"code": 3, "message": self.refuse_writes}).encode()
            return self._answer(handler, 400, {"Content-Type": "application/json"}, body)
        return super().handle(handler)


@pytest.fixture
def proxy(sandbox: Server) -> Iterator[Counting]:
    counting = Counting(sandbox.url)
    try:
        yield counting
    finally:
        counting.close()


def schedules(key: str, agent: str, count: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"name": f"{key}-{n}", "agent": agent, "when": {"every": "6h"}, "input": {"message": key}, **extra}
        for n in range(count)
    ]


def good_and_bad(tmp_path: Path, bad_count: int = 500) -> tuple[str, str]:
    """a.yaml is valid; b.yaml, checked after it, holds `bad_count` schedules and one invalid cron last."""
    good = write(tmp_path, bundle_text(TARGET, schedules("one", "agent_a", 3), "one"), "a.yaml")
    many = schedules("two", "agent_b", bad_count)
    many[-1]["when"] = {"cron": "0 25 * * *"}
    bad = write(tmp_path, bundle_text(TARGET, many, "two"), "b.yaml")
    return good, bad


def test_a_bundle_is_read_while_the_next_one_is_still_being_validated(
    sandbox: Server, proxy: Counting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first bundle's listing reaches the platform before the second bundle's checks even begin: the
    loader is held right after the first bundle is found valid until a read arrives (at most 20 s)."""
    first = write(tmp_path, bundle_text(TARGET, schedules("one", "agent_a", 3), "one"), "a.yaml")
    second = write(tmp_path, bundle_text(TARGET, schedules("two", "agent_b", 3), "two"), "b.yaml")
    for name, value in {**sandbox.env, sandbox.url_env: proxy.url}.items():
        monkeypatch.setenv(name, value)
    read_before_second: list[bool] = []
    load = session_module.load_bundles

    def held_after_the_first(*args: Any, on_valid: Any = None, **kwargs: Any) -> Any:
        assert on_valid is not None, "the session asks to hear of each valid bundle"

        def valid(bundle: Any, secrets: frozenset[str]) -> None:
            on_valid(bundle, secrets)
            if bundle.key == "one":
                read_before_second.append(proxy.first_read.wait(20))

        return load(*args, on_valid=valid, **kwargs)

    monkeypatch.setattr(session_module, "load_bundles", held_after_the_first)
    session = open_session(Options((first, second)))
    try:
        assert read_before_second == [True]
        assert [len(b.actions) for b in session.plan.bundles] == [3, 3]  # each plans its own creates
    finally:
        session.close()
    assert proxy.writes == 0


def test_a_bundles_own_reads_start_before_its_schedules_are_checked(
    sandbox: Server, proxy: Counting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the target is checked and the schedules rendered, the listing is sent while the schedules are
    checked: the first schedule's check is held until a read reaches the platform (at most 10 s)."""
    only = write(tmp_path, bundle_text(TARGET, schedules("one", "agent_a", READ_AHEAD_FROM), "one"), "a.yaml")
    for name, value in {**sandbox.env, sandbox.url_env: proxy.url}.items():
        monkeypatch.setenv(name, value)
    read_before_checks: list[bool] = []
    check = assemble.check_schedule

    def held(*args: Any, **kwargs: Any) -> Any:
        if not read_before_checks:
            read_before_checks.append(proxy.first_read.wait(10))
        return check(*args, **kwargs)

    monkeypatch.setattr(assemble, "check_schedule", held)
    session = open_session(Options((only,)))
    try:
        assert read_before_checks == [True]
        assert [len(b.actions) for b in session.plan.bundles] == [READ_AHEAD_FROM]
    finally:
        session.close()
    assert proxy.writes == 0


def test_reading_ahead_sends_no_request_the_read_would_not(
    sandbox: Server, proxy: Counting, tmp_path: Path
) -> None:
    """The workspace has agent_a and agent_b; the bundle names agent_a and an agent the workspace lacks. The
    plan sends what the API needs and no more: the agents listing, and one list per agent (the missing
    one's answers 404, and the plan refuses its create at its line)."""
    named = schedules("one", "agent_a", READ_AHEAD_FROM) + schedules("lost", "agent_nowhere", 1)
    path = write(tmp_path, bundle_text(TARGET, named, "one"), "a.yaml")
    planned = cli(sandbox, "plan", path, env={sandbox.url_env: proxy.url})
    assert "agent_nowhere" in planned.out + planned.err, planned.out + planned.err
    assert proxy.reads == 1 + 3
    assert proxy.writes == 0


def test_a_small_invalid_bundle_sends_no_request(sandbox: Server, proxy: Counting, tmp_path: Path) -> None:
    """Below `READ_AHEAD_FROM` schedules nothing is sent ahead: a typo costs the platform no request."""
    few = schedules("one", "agent_a", READ_AHEAD_FROM - 1)
    few[-1]["when"] = {"cron": "0 25 * * *"}
    bad = write(tmp_path, bundle_text(TARGET, few, "one"), "a.yaml")
    ran = cli(sandbox, "plan", bad, env={sandbox.url_env: proxy.url})
    assert ran.code == 1 and "0 25 * * *" in ran.err, ran.err
    assert proxy.reads == proxy.writes == 0


@pytest.mark.parametrize("verb", [["plan"], ["apply", "--auto-approve"]])
def test_an_invalid_schedule_says_what_validate_says_whatever_was_read_ahead(
    sandbox: Server, proxy: Counting, tmp_path: Path, verb: list[str]
) -> None:
    """One file, its last schedule invalid: its reads start before that schedule is checked, and the run says
    exactly what it says when nothing can be read (no API key), and writes nothing."""
    many = schedules("one", "agent_a", READ_AHEAD_FROM)
    many[-1]["when"] = {"cron": "0 25 * * *"}
    bad = write(tmp_path, bundle_text(TARGET, many, "one"), "a.yaml")
    ran = cli(sandbox, *verb, bad, env={sandbox.url_env: proxy.url})
    assert ran.code == 1 and "a.yaml:" in ran.err and "0 25 * * *" in ran.err, ran.err
    unread = cli(sandbox, *verb, bad, env={sandbox.url_env: proxy.url, key_env(sandbox): ""})
    assert (unread.code, unread.out, unread.err) == (ran.code, ran.out, ran.err)
    assert proxy.writes == 0


@pytest.mark.parametrize("verb", [["plan"], ["apply", "--auto-approve"]])
def test_an_invalid_later_file_says_what_validate_says_and_writes_nothing(
    sandbox: Server, proxy: Counting, tmp_path: Path, verb: list[str]
) -> None:
    good, bad = good_and_bad(tmp_path)
    checked = cli(sandbox, "validate", good, bad)
    ran = cli(sandbox, *verb, good, bad, env={sandbox.url_env: proxy.url})
    assert checked.code == ran.code == 1
    assert "b.yaml:" in ran.err and "0 25 * * *" in ran.err
    assert ran.out == "" and "Traceback" not in ran.err
    assert proxy.writes == 0
    # the same words whether or not a.yaml could be read meanwhile (no API key: nothing can be)
    unread = cli(sandbox, *verb, good, bad, env={sandbox.url_env: proxy.url, key_env(sandbox): ""})
    assert (unread.code, unread.out, unread.err) == (ran.code, ran.out, ran.err)


def test_a_refused_read_of_an_early_bundle_never_hides_a_later_files_problem(
    sandbox: Server, proxy: Counting, tmp_path: Path
) -> None:
    good, bad = good_and_bad(tmp_path)
    proxy.refuse = True
    ran = cli(sandbox, "apply", "--auto-approve", good, bad, env={sandbox.url_env: proxy.url})
    assert ran.code == 1
    assert "b.yaml:" in ran.err and "401" not in ran.err + ran.out
    assert proxy.writes == 0


def test_a_read_waiting_out_a_retry_after_never_delays_a_later_files_problem(
    sandbox: Server, proxy: Counting, tmp_path: Path
) -> None:
    """The platform answers a.yaml's early read 429 "retry after 120 s"; b.yaml is invalid. The run stops with
    b.yaml's problem without waiting for that read's retry (which would take the client's cap of 60 s): the
    read stops waiting when the run abandons it. The bound on the run's length is deliberately loose."""
    good, bad = good_and_bad(tmp_path, bad_count=2000)
    proxy.throttle = "120"
    started = time.monotonic()
    ran = cli(sandbox, "plan", good, bad, env={sandbox.url_env: proxy.url})
    took = time.monotonic() - started
    assert ran.code == 1
    assert "b.yaml:" in ran.err and "0 25 * * *" in ran.err and "429" not in ran.err + ran.out
    assert proxy.reads >= 1, (
        "a.yaml's read reached the platform (and was told to wait) before the run stopped"
    )
    assert took < 40, f"the run waited out the read's retry: {took:.0f} s"
    assert proxy.writes == 0


def test_a_refused_read_never_shows_a_secret_of_a_bundle_checked_after_it(
    sandbox: Server, proxy: Counting, tmp_path: Path
) -> None:
    """a.yaml's read starts before b.yaml (and its secret) is rendered; the platform's refusal happens to
    quote that secret: the error shows it redacted all the same."""
    later_secret = "s3cr3t-of-the-later-bundle"
    good = write(tmp_path, bundle_text(TARGET, schedules("one", "agent_a", 3), "one"), "a.yaml")
    secretive = schedules("two", "agent_b", 1)
    secretive[0]["input"] = {"message": "m", "secrets": {"token": "{{ secret('LATER_TOKEN') }}"}}
    later = write(tmp_path, bundle_text(TARGET, secretive, "two"), "b.yaml")
    proxy.refuse, proxy.refusal = True, f"unauthenticated (key {later_secret})"
    env = {sandbox.url_env: proxy.url, "LATER_TOKEN": later_secret}
    ran = cli(sandbox, "plan", good, later, env=env)
    assert ran.code == 1 and "401" in ran.err, ran.err
    assert later_secret not in ran.out + ran.err
    assert proxy.writes == 0


def test_a_refused_write_of_an_early_bundle_never_shows_a_later_bundles_secret(
    sandbox: Server, proxy: Counting, tmp_path: Path
) -> None:
    """a.yaml's client is opened (to read early) before b.yaml's secret is rendered; when the platform refuses
    one of a.yaml's creates quoting that secret, the apply's error shows it redacted, as it did when every
    client was opened after validation."""
    later_secret = "s3cr3t-of-the-later-bundle"
    good = write(tmp_path, bundle_text(TARGET, schedules("one", "agent_a", 1), "one"), "a.yaml")
    secretive = schedules("two", "agent_b", 1)
    secretive[0]["input"] = {"message": "m", "secrets": {"token": "{{ secret('LATER_TOKEN') }}"}}
    later = write(tmp_path, bundle_text(TARGET, secretive, "two"), "b.yaml")
    proxy.refuse_writes = f"invalid schedule (token {later_secret})"
    env = {sandbox.url_env: proxy.url, "LATER_TOKEN": later_secret}
    ran = cli(sandbox, "apply", "--auto-approve", good, later, env=env)
    assert ran.code != 0 and "invalid schedule" in ran.out + ran.err, ran.out + ran.err
    assert later_secret not in ran.out + ran.err


def test_a_missing_api_key_is_still_the_error_when_every_bundle_is_valid(
    sandbox: Server, proxy: Counting, tmp_path: Path
) -> None:
    good = write(tmp_path, bundle_text(TARGET, schedules("one", "agent_a", 3), "one"), "a.yaml")
    ran = cli(sandbox, "plan", good, env={sandbox.url_env: proxy.url, key_env(sandbox): ""})
    assert ran.code == 1 and key_env(sandbox) in ran.err
    assert proxy.reads == proxy.writes == 0


def test_a_budget_breach_writes_nothing(sandbox: Server, proxy: Counting, tmp_path: Path) -> None:
    """a.yaml is valid and within its limit; b.yaml's 4 runs a day exceed its maxRunsPerDay of 2."""
    good = write(tmp_path, bundle_text(TARGET, schedules("one", "agent_a", 3), "one"), "a.yaml")
    over = json.loads(bundle_text(TARGET, schedules("two", "agent_b", 1), "two"))
    over["limits"] = {"maxRunsPerDay": 2}
    bad = write(tmp_path, json.dumps(over), "b.yaml")
    ran = cli(sandbox, "apply", "--auto-approve", good, bad, env={sandbox.url_env: proxy.url})
    assert ran.code == 1 and "maxRunsPerDay 2" in ran.err, ran.err
    assert proxy.writes == 0
    planned = cli(sandbox, "plan", good, env={sandbox.url_env: proxy.url})
    assert "3 to create" in planned.out  # the refused apply created nothing


def test_bundles_on_one_target_still_list_their_agents_once(
    sandbox: Server, proxy: Counting, tmp_path: Path
) -> None:
    """Three bundles on one workspace: the agents listing they all need is sent once, though each bundle
    starts reading as soon as it is valid."""
    paths = [
        write(tmp_path, bundle_text(TARGET, schedules(key, "agent_a", 2), key), f"{key}.yaml")
        for key in ("one", "two", "three")
    ]
    before = agents_listings(sandbox)
    planned = cli(sandbox, "plan", *paths, env={sandbox.url_env: proxy.url})
    assert planned.code == 0 and planned.out.count("+ create") == 6, planned.out + planned.err
    assert agents_listings(sandbox) - before == 1


def key_env(sandbox: Server) -> str:
    return next(name for name in sandbox.env if name.endswith("API_KEY"))


def agents_listings(sandbox: Server) -> int:
    routes = sandbox.admin("GET", "stats")["routes"]
    return sum(
        int(n) for route, answers in routes.items() if route.endswith("/agents") for n in answers.values()
    )
