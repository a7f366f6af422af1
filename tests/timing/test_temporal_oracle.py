"""Temporal as the oracle for the timing engine (issue 20, part 3).

The real server (`temporal server start-dev`, the session fixture) is given each random spec as a paused
schedule and asked for its `matching-times`; `preview`'s engine for provider temporal (and agentex, whose
schedules are Temporal schedules) must list exactly the same instants. A fast sample runs in CI; the full
run (`--runslow`) checks 5,000 cases and prints its figures (docs/timing.md quotes them).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from reconciler.sandbox.temporal_dev import DevServer
from reconciler.timing import Calendar, Range, Timing, cron_to_calendars, next_fire_times, parse_cron
from reconciler.timing.calendars import expand_calendar
from reconciler.timing.fire_times import _calendar_source, _cron_source
from reconciler.timing.temporal_cron import parse_temporal_cron
from reconciler.timing.temporal_walk import joint_next
from reconciler.timing.wallclock import to_datetime, to_instant
from reconciler.timing.zones import load_zone
from tests.timing.oracle_cases import MATCHING_TIMES_CAP, Case, calendar_json, iso, make_case

FAST_CASES = range(1, 121)
FULL_CASES = range(1, 5001)
_WORKERS = 4  # requests in flight: the dev server answers each in a few milliseconds


class Oracle:
    """Paused schedules on the real server, each asked for its matching times and then deleted."""

    def __init__(self, server: DevServer) -> None:
        self.url = f"{server.http_url}/api/v1/namespaces/{server.namespace}/schedules"
        self.client = httpx.Client(timeout=60)

    def matching_times(self, spec: dict[str, Any], start: datetime, end: datetime) -> list[str]:
        schedule_id = f"oracle-{uuid.uuid4().hex[:12]}"
        body = {
            "requestId": schedule_id,
            "schedule": {
                "spec": spec,
                "action": {
                    "startWorkflow": {
                        "workflowId": schedule_id,
                        "workflowType": {"name": "oracle"},
                        "taskQueue": {"name": "oracle"},
                    }
                },
                "state": {"paused": True},
            },
        }
        created = self.client.post(f"{self.url}/{schedule_id}", json=body)
        assert created.status_code == 200, f"{spec}: {created.text}"
        try:
            answer = self.client.get(
                f"{self.url}/{schedule_id}/matching-times",
                params={"startTime": iso(start), "endTime": iso(end)},
            )
            assert answer.status_code == 200, f"{spec}: {answer.text}"
            times: list[str] = answer.json().get("startTime", [])
            return [iso(datetime.fromisoformat(t.replace("Z", "+00:00"))) for t in times]
        finally:
            self.client.delete(f"{self.url}/{schedule_id}")


@pytest.fixture(scope="module")
def oracle(temporal_server: DevServer) -> Iterator[Oracle]:
    oracle = Oracle(temporal_server)
    yield oracle
    oracle.client.close()


def forecast(case: Case, provider: str = "temporal") -> list[str]:
    found = next_fire_times(case.timing, case.start, MATCHING_TIMES_CAP + 1, provider=provider)
    return [iso(moment) for moment in found if moment <= case.end]


def disagreement(case: Case, server: list[str]) -> str | None:
    ours = forecast(case)
    if len(server) == MATCHING_TIMES_CAP:  # the server stopped at its cap: compare what it listed
        ours = ours[:MATCHING_TIMES_CAP]
    if ours == server:
        return None
    only_ours = sorted(set(ours) - set(server))[:5]
    only_server = sorted(set(server) - set(ours))[:5]
    return f"{case.describe()}: only in preview {only_ours}, only on the server {only_server}"


def check(oracle: Oracle, seeds: range) -> tuple[int, list[str], int]:
    """(fire times the server listed, disagreements, cases the documented DST rule would get wrong)."""
    cases = [make_case(seed) for seed in seeds]
    with ThreadPoolExecutor(_WORKERS) as pool:
        answers = list(pool.map(lambda c: oracle.matching_times(c.spec(), c.start, c.end), cases))
    failures = [d for case, server in zip(cases, answers, strict=True) if (d := disagreement(case, server))]
    # oz's engine uses the documented rule (and the same absolute intervals): what preview showed before.
    documented = sum(
        forecast(case, "oz")[: len(server)] != server for case, server in zip(cases, answers, strict=True)
    )
    return sum(len(a) for a in answers), failures, documented


def test_preview_lists_what_the_temporal_server_lists(oracle: Oracle) -> None:
    fires, failures, documented = check(oracle, FAST_CASES)
    assert documented > 0  # the sample reaches days where the server departs from its documentation
    assert fires > 1000  # the sample does fire, often next to an offset change
    assert failures == []


@pytest.mark.slow
@pytest.mark.timeout(3000)  # about 10 minutes on a shared 2-core machine
def test_preview_matches_the_temporal_server_on_5000_random_specs(oracle: Oracle) -> None:
    began = time.monotonic()
    fires, failures, documented = check(oracle, FULL_CASES)
    took = time.monotonic() - began
    kinds: dict[str, int] = {}
    for seed in FULL_CASES:
        kind = make_case(seed).kind
        kinds[kind] = kinds.get(kind, 0) + 1
    print(
        f"\ntemporal oracle: {len(FULL_CASES)} cases {kinds}, {fires} fire times compared, "
        f"{len(failures)} disagreements, {took:.0f} s; the documented DST rule would disagree in {documented}"
    )
    assert failures == [], "\n".join(failures[:20])


# The server's behaviour on offset-change days, each verified against it and pinned here with what preview says.
DST_DAYS = [
    # Europe/Berlin falls back on 2026-10-25 at 01:00Z: `45 1` also fires at the first 02:45 (00:45Z).
    ("45 1 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", ["2026-10-24T23:45:00Z", "2026-10-25T00:45:00Z"]),
    # ...and a repeated wall time fires once, at its second occurrence (CET), not twice.
    ("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", ["2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"]),
    # America/New_York (west of UTC) does fire a repeated wall time twice, as documented.
    (
        "30 1 * * *",
        "America/New_York",
        "2026-11-01T00:00:00Z",
        ["2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"],
    ),
    # Lord Howe skips 02:00-02:30 on 2026-10-04 (local): the skipped 02:15 fires at 02:45 (15:45Z the day before).
    (
        "15 2 * * *",
        "Australia/Lord_Howe",
        "2026-10-03T00:00:00Z",
        ["2026-10-03T15:45:00Z", "2026-10-04T15:15:00Z"],
    ),
    # Lord Howe goes back 02:00 -> 01:30 on 2026-04-05: hour 1 is walked again 1h later, 01:10 also at 01:40.
    (
        "10 1 * * *",
        "Australia/Lord_Howe",
        "2026-04-04T06:00:00Z",
        ["2026-04-04T14:10:00Z", "2026-04-04T15:10:00Z"],
    ),
    # America/Santiago skips its midnight on Sunday 2026-09-06: the server reads that day as a Saturday...
    ("0 12 * * 0", "America/Santiago", "2026-08-31T00:00:00Z", ["2026-09-13T15:00:00Z"]),
    # ...so a Saturday rule fires on it too.
    (
        "0 12 * * 6",
        "America/Santiago",
        "2026-09-01T00:00:00Z",
        ["2026-09-05T16:00:00Z", "2026-09-06T15:00:00Z"],
    ),
]


@pytest.mark.parametrize(("cron", "zone", "after", "expected"), DST_DAYS)
def test_preview_follows_the_server_on_offset_change_days(
    oracle: Oracle, cron: str, zone: str, after: str, expected: list[str]
) -> None:
    start = datetime.fromisoformat(after.replace("Z", "+00:00"))
    timing = Timing(cron=(cron,), timezone=zone)
    for provider in ("temporal", "agentex"):
        shown = [iso(t) for t in next_fire_times(timing, start, len(expected), provider=provider)]
        assert shown == expected, provider
    end = datetime.fromisoformat(expected[-1].replace("Z", "+00:00"))
    assert oracle.matching_times({"cronString": [cron], "timezoneName": zone}, start, end) == expected


def test_an_empty_calendar_field_never_matches_on_the_server(oracle: Oracle) -> None:
    """Not the documented defaults: a structured calendar must spell out every field but the year."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    end = datetime(2026, 3, 4, tzinfo=UTC)
    full = calendar_json(Calendar(hour=(Range(9),)))
    assert oracle.matching_times({"structuredCalendar": [full]}, start, end) == [
        "2026-03-01T09:00:00Z",
        "2026-03-02T09:00:00Z",
        "2026-03-03T09:00:00Z",
    ]
    without_second = {k: v for k, v in full.items() if k != "second"}
    assert oracle.matching_times({"structuredCalendar": [without_second]}, start, end) == []


@pytest.mark.parametrize("seed", range(1, 301))
def test_temporal_reads_our_and_crons_as_our_engine_does(seed: int) -> None:
    """A cron without a day-OR goes to Temporal as its cronString: Temporal's grammar must give our calendar."""
    case = make_case(seed)
    for text in case.timing.cron:
        if parse_cron(text).day_or:
            continue
        theirs = parse_temporal_cron(text).calendar
        assert theirs is not None
        (ours,) = cron_to_calendars(parse_cron(text))
        assert expand_calendar(theirs) == expand_calendar(ours), text


@pytest.mark.parametrize("seed", range(1, 201))
def test_the_fast_days_agree_with_the_servers_walk_replayed_everywhere(seed: int) -> None:
    """The engine replays the server's walk only on days with an offset change; replayed on every day instead
    (second by second, no server needed), it must list the same times."""
    case = make_case(seed)
    if case.kind == "interval":
        return
    timing = case.timing
    sources = [_cron_source(text) for text in timing.cron] + [_calendar_source(c) for c in timing.calendars]
    zone = load_zone(timing.timezone)
    replayed: list[str] = []
    cursor = to_instant(max(case.start, timing.start - timedelta(seconds=1) if timing.start else case.start))
    last = to_instant(min(case.end, timing.end or case.end))
    while len(replayed) < 200:
        found = joint_next(zone, sources, cursor)
        if found is None or found > last:
            break
        replayed.append(iso(to_datetime(found)))
        cursor = found
    assert forecast(case)[: len(replayed)] == replayed, case.describe()
