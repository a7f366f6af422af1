"""`calendar` and `preview` on 1,000 schedules over 7 days (target: under 2 s for the calendar).

    .venv/bin/python benchmarks/forecast.py [--schedules N] [--days D] [--seed S]

Writes ten bundles of a realistic, seeded mix to a temporary folder (every provider; crons, intervals,
calendars, one-offs; a dozen timezones; some heavy fan-outs), then times, in one process: loading and
validating them, the calendar (fires of the window, heatmap, collision report), its text and HTML, and
`preview --count 5`. Prints each phase and the total of the calendar path; no assertion (not a test).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from reconciler.bundle.validate import load_bundles
from reconciler.forecast.fires import preview
from reconciler.forecast.text import calendar_text
from reconciler.forecast.view import build
from reconciler.forecast.web import calendar_html

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Asia/Kathmandu",
]
START = datetime(2026, 3, 23, tzinfo=UTC)  # a week with the European DST change in it


def _cron(rng: random.Random, hourly_ok: bool) -> str:
    minute = rng.randrange(60)
    kinds = ["daily", "weekdays", "weekly", "monthly", "few_hours"] + (
        ["hourly", "quarter"] if hourly_ok else []
    )
    kind = rng.choice(kinds)
    if kind == "hourly":
        return f"{minute} * * * *"
    if kind == "quarter":
        return f"*/{rng.choice([5, 10, 15, 30])} * * * *"
    if kind == "weekdays":
        return f"{minute} {rng.randrange(24)} * * 1-5"
    if kind == "weekly":
        return f"{minute} {rng.randrange(24)} * * {rng.randrange(7)}"
    if kind == "monthly":
        return f"{minute} {rng.randrange(24)} {rng.randint(1, 28)} * *"
    if kind == "few_hours":
        return f"{minute} {','.join(str(h) for h in sorted(rng.sample(range(24), 3)))} * * *"
    return f"{minute} {rng.randrange(24)} * * *"


def _schedule(rng: random.Random, provider: str, index: int) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": f"s-{index:05d}",
        "agent": f"agent-{rng.randrange(40):02d}",
        "input": {"message": f"run {index}"},
    }
    if provider == "tbd-agents":
        entry["when"] = {
            "every": rng.choice(["15m", "30m", "1h", "2h", "6h", "1d"]),
            "start": "2026-03-01T00:00:00Z",
        }
    elif provider == "orq":
        entry["when"] = rng.choice(
            [
                {"cron": _cron(rng, hourly_ok=False)},
                {"every": rng.choice(["1h", "2h", "4h"])},
                {"at": "2030-03-25T09:00:00Z"},  # orq refuses a one-off already past
            ]
        )
    elif provider in ("oz", "agentex"):
        entry["when"] = (
            {"cron": _cron(rng, hourly_ok=True)}
            if rng.random() < 0.7
            else {"every": rng.choice(["10m", "30m", "1h", "6h"])}
        )
    else:
        zone = rng.choice(ZONES)
        pick = rng.random()
        if pick < 0.5:
            entry["when"] = {"cron": _cron(rng, hourly_ok=True), "timezone": zone}
        elif pick < 0.8:
            every = rng.choice(["5m", "10m", "15m", "30m", "1h", "2h", "6h", "1d"])
            entry["when"] = {"every": every, "offset": "1m" if every != "1m" else "0s", "timezone": zone}
        else:
            entry["when"] = {
                "timezone": zone,
                "calendars": [
                    {
                        "dayOfWeek": [{"start": 1, "end": 5}],
                        "hour": [{"start": rng.randrange(24)}],
                        "minute": [{"start": rng.randrange(0, 60, 5)}],
                    }
                ],
            }
    return entry


def write_bundles(folder: Path, schedules: int, seed: int) -> None:
    rng = random.Random(seed)
    providers = ["cadenya"] * 5 + ["agentex", "orq", "oz", "tbd-agents", "cadenya"]
    per_bundle = schedules // len(providers)
    for number, provider in enumerate(providers):
        target: dict[str, object] = {"provider": provider}
        if provider == "cadenya":
            target["workspace"] = f"ws_{number}"
        if provider == "agentex":
            target["api"] = "run-schedules"  # takes input.message as it is (legacy needs workflow options)
        bundle = {
            "apiVersion": "reconciler/v1",
            "kind": "Bundle",
            "bundleKey": f"bench-{number}",
            "target": target,
            "schedules": [_schedule(rng, provider, number * per_bundle + i) for i in range(per_bundle)],
        }
        (folder / f"bundle-{number}.yaml").write_text(yaml.safe_dump(bundle, sort_keys=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_bundles(folder, args.schedules, args.seed)
        started = time.perf_counter()
        loaded = load_bundles([str(folder)])
        if loaded.diagnostics:  # the mix must follow `validate`, whose rules grow with the providers
            raise SystemExit(
                "the generated bundles no longer validate; adapt _schedule():\n"
                + "\n".join(str(d) for d in loaded.diagnostics[:10])
            )
        loaded_at = time.perf_counter()
        view = build(loaded.bundles, START, args.days, "Europe/Berlin", budget=100)
        built_at = time.perf_counter()
        text = calendar_text(view)
        texted_at = time.perf_counter()
        page = calendar_html(view)
        done = time.perf_counter()
        forecasts = preview(loaded.bundles, START, 5)
        previewed = time.perf_counter() - done
    count = sum(len(b.schedules) for b in loaded.bundles)
    print(
        f"{count:,} schedules, {args.days} days, {view.grid.total:,} fires in the window "
        f"({len(text.splitlines())} text lines, {len(page):,} bytes of HTML, {len(forecasts)} previews)"
    )
    for label, seconds in (
        ("load + validate", loaded_at - started),
        ("fires + heatmap + report", built_at - loaded_at),
        ("text", texted_at - built_at),
        ("html", done - texted_at),
        ("calendar total", done - started),
        ("preview --count 5", previewed),
    ):
        print(f"  {label:<26}{seconds:7.3f} s" + ("   (target < 2 s)" if label == "calendar total" else ""))


if __name__ == "__main__":
    main()
