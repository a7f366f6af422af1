"""When a platform's cron engine fires a schedule on other days than the bundle means, `validate` refuses the
cron for that platform; what each engine does with the day fields, and the smaller timing rules of issue 17.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.bundle.validate import load_bundles
from reconciler.forecast.fires import preview
from reconciler.sandbox.app import build_app
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.transport import in_process_transport
from reconciler.timing import Timing, TimingError, next_fire_times, parse_cron
from reconciler.timing.dialects import read_as, reads_days_differently
from reconciler.timing.zones import is_utc


def _days(text: str, dialect: str, year: int = 2027) -> set[date]:
    expr = read_as(text, dialect)
    day, found = date(year, 1, 1), set()
    while day.year == year:
        if day.month in expr.months and expr.day_matches(day.day, day.isoweekday() % 7):
            found.add(day)
        day += timedelta(days=1)
    return found


@pytest.mark.parametrize(
    ("text", "robfig", "temporal"),
    [
        ("0 0 */2 * 1", True, False),  # Vixie: odd days that are Mondays; robfig: odd days, and Mondays
        ("0 0 1 * 1", False, True),  # both plain: OR for Vixie and robfig, AND on Temporal
        ("0 0 */1 * 1", False, False),  # robfig's star bit survives a step of 1: AND everywhere
        ("0 0 1-31/2 * 1", False, True),  # no leading '*': OR for Vixie and robfig
        ("0 0 * * 1", False, False),
        ("0 0 */2 * *", False, False),
        ("0 0 1,15 * */2", True, False),
        ("0 0 0 */3 * 1-5", True, False),  # six fields, seconds first
        ("@weekly", False, False),
    ],
)
def test_which_crons_each_engine_fires_on_other_days(text: str, robfig: bool, temporal: bool) -> None:
    assert reads_days_differently(text, "robfig") is robfig
    assert reads_days_differently(text, "temporal") is temporal
    assert not reads_days_differently(text, "vixie")


def test_robfig_fires_a_stepped_day_field_on_either_day() -> None:
    days = _days("0 0 */2 * 1", "robfig", 2027)
    assert date(2027, 1, 4) in days  # an even Monday: the Monday side of the OR
    assert date(2027, 1, 3) in days  # an odd Sunday: the day-of-month side
    assert _days("0 0 */2 * 1", "vixie", 2027) == {d for d in days if d.day % 2 and d.isoweekday() == 1}


CRON_FIELD = st.sampled_from(["*", "*/2", "*/3", "*/1", "1", "1-5", "1-31/2", "1,15", "2-6", "*/7", "0"])


@settings(max_examples=300, deadline=None)
@given(dom=CRON_FIELD, dow=CRON_FIELD.filter(lambda f: f not in ("1-31/2", "1,15")))
def test_reads_days_differently_is_exactly_a_different_set_of_days(dom: str, dow: str) -> None:
    text = f"0 0 {'1' if dom == '0' else dom} * {dow}"
    differs = any(_days(text, "robfig", year) != _days(text, "vixie", year) for year in (2027, 2028))
    assert reads_days_differently(text, "robfig") is differs


def _validate(tmp_path: Path, target: dict[str, str], when: dict[str, str]) -> list[str]:
    schedule = {"name": "s", "agent": "default" if target["provider"] == "oz" else "a", "when": when}
    schedule["input"] = {"message": "m"}
    document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": "k", "target": target}
    path = tmp_path / "b.yaml"
    path.write_text(json.dumps({**document, "schedules": [schedule]}))
    return [d.message for d in load_bundles([str(path)], environ={}).diagnostics]


@pytest.mark.parametrize("provider", ["orq", "oz"])
def test_a_stepped_day_field_is_refused_where_the_engine_reads_it_otherwise(
    tmp_path: Path, provider: str
) -> None:
    refused = _validate(tmp_path, {"provider": provider}, {"cron": "0 0 */2 * mon"})
    assert refused and "robfig/cron counts a stepped '*/n' as a restriction" in refused[0]
    assert ("does not say" in refused[0]) is (provider == "oz")
    for fine in ("0 0 */2 * *", "0 0 1 * mon", "0 9 * * 1-5"):
        assert not _validate(tmp_path, {"provider": provider}, {"cron": fine}), fine


def test_every_monday_in_february_is_not_an_impossible_date() -> None:
    expr = parse_cron("0 0 30 2 mon")  # Vixie: day 30 OR Monday, in February
    fires = next_fire_times(Timing(cron=(expr.canonical,)), datetime(2027, 1, 1, tzinfo=UTC), 4)
    assert [f.date() for f in fires] == [
        date(2027, 2, 1),
        date(2027, 2, 8),
        date(2027, 2, 15),
        date(2027, 2, 22),
    ]
    with pytest.raises(TimingError, match="no date would ever match"):
        parse_cron("0 0 30 2 *")


@pytest.mark.parametrize(
    ("zone", "utc"),
    [
        ("UTC", True),
        ("Etc/UTC", True),
        ("Zulu", True),
        ("Etc/Zulu", True),
        ("UCT", True),
        ("Universal", True),
        ("GMT", True),
        ("Etc/GMT0", True),
        ("GMT0", True),
        ("Etc/GMT+0", True),
        ("Greenwich", True),
        ("Africa/Abidjan", False),  # at 0 today, local mean time until 1912
        ("Europe/London", False),
        ("Etc/GMT+1", False),
    ],
)
def test_utc_by_any_name_is_utc_on_utc_only_platforms(tmp_path: Path, zone: str, utc: bool) -> None:
    assert is_utc(zone) is utc
    refused = _validate(tmp_path, {"provider": "orq"}, {"cron": "0 9 * * *", "timezone": zone})
    assert (not refused) is utc, refused


def test_preview_stops_where_temporal_stops(tmp_path: Path) -> None:
    bundles = []
    for provider, api in (("agentex", "run-schedules"), ("cadenya", None), ("orq", None)):
        target = {
            "provider": provider,
            **({"api": api} if api else {}),
            **({"workspace": "w"} if provider == "cadenya" else {}),
        }
        path = tmp_path / f"{provider}.yaml"
        schedule = {"name": "daily", "agent": "a", "when": {"cron": "0 9 * * *"}, "input": {"message": "m"}}
        document = {"apiVersion": "reconciler/v1", "kind": "Bundle", "bundleKey": provider, "target": target}
        path.write_text(json.dumps({**document, "schedules": [schedule]}))
        bundles.extend(load_bundles([str(path)], environ={}).bundles)
    forecasts = {f.ref.provider: f for f in preview(bundles, datetime(2100, 12, 29, tzinfo=UTC), 5)}
    for temporal in ("agentex", "cadenya"):
        assert [f.year for f in forecasts[temporal].fires] == [2100, 2100, 2100]
        assert any("end with 2100" in note for note in forecasts[temporal].notes)
    assert [f.year for f in forecasts["orq"].fires] == [2100, 2100, 2100, 2101, 2101]


def test_the_orq_sandbox_fires_a_stepped_day_field_as_orqs_scheduler_does() -> None:
    app = build_app(SandboxConfig(provider="orq", agents=("agent_a",)))
    client = httpx.Client(
        transport=in_process_transport(app),
        base_url="http://s",
        headers={"Authorization": "Bearer sandbox-key"},
    )
    try:
        client.post("/_sandbox/clock", json={"now": "2027-01-01T12:00:00Z"})
        made = client.post(
            "/v3/agents/agent_a/schedules",
            json={"type": "cron", "expression": "0 0 0 */2 * 1", "payload": {"input": "x"}},
        )
        assert made.status_code == 201, made.text
        fired = client.post("/_sandbox/clock", json={"now": "2027-01-11T12:00:00Z"}).json()
        got = client.get(f"/v3/agents/agent_a/schedules/{made.json()['_id']}").json()
    finally:
        client.close()
        app.close()
    # 3, 4 (an even Monday), 5, 7, 9, 11 (an odd Monday) January: robfig's OR; Vixie would say only the 11th
    assert got["trigger_count"] == 6, (fired, got)


def test_tbd_agents_refuses_a_start_it_would_not_wait_for(tmp_path: Path) -> None:
    future = (datetime.now(UTC) + timedelta(days=200)).strftime("%Y-%m-%dT00:00:00Z")
    refused = _validate(tmp_path, {"provider": "tbd-agents"}, {"every": "1d", "start": future})
    assert refused and "does not wait for it" in refused[0]
    assert not _validate(
        tmp_path, {"provider": "tbd-agents"}, {"every": "1d", "start": "2026-01-01T00:00:00Z"}
    )
