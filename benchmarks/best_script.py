"""The best script a user would write instead of reconciler: the baseline of benchmarks/vs_script.py.

    python benchmarks/best_script.py --provider cadenya --url URL --parallelism 8 BUNDLE.yaml [--dry-run]

It reads the bundle with libyaml's C loader, lists what it manages (one agent per thread), then creates,
updates and archives with a thread pool of the same parallelism as reconciler's. On Cadenya it speaks
through the vendor's official SDK (`cadenya`); elsewhere through one shared `httpx.Client`, with the same
requests as the sequential scripts of plan_apply_providers.py. `--dry-run` reads and compares only: the
script's equivalent of `reconciler plan`. `--parallelism 1` is the naive sequential script.

What it leaves out, as a quick script would: validation beyond what the loader does, ownership markers,
retries beyond the SDK's own, a plan shown before writing, and any safety for schedules it did not declare.
Prints one JSON line: requests sent and writes done. The API key comes from BENCH_API_KEY.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml
from generated import WS, hours, name
from plan_apply_providers import SPECS
from sequential_scripts import Script

Wanted = tuple[int, str, bool]  # (index, agent, edited)
GLOBAL_LISTS = ("oz", "tbd-agents")  # one list of every schedule; elsewhere each agent has its own


def declared(path: Path) -> tuple[list[Wanted], list[str]]:
    """The bundle's schedules as (index, agent, edited), and its agents, read with libyaml's C loader."""
    with path.open("rb") as stream:
        bundle = yaml.load(stream, Loader=yaml.CSafeLoader)
    wanted: list[Wanted] = []
    for entry in bundle["schedules"]:
        edited = "edited" in json.dumps([entry.get("input"), entry.get("options")])
        wanted.append((int(entry["name"][1:]), entry["agent"], edited))
    return wanted, sorted({agent for _, agent, _ in wanted})


def fan_out(pool: ThreadPoolExecutor, work: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    return list(pool.map(work, items))  # re-raises the first failure, as a script would


class ThreadSafe(Script):
    """A plan_apply_providers script whose counters may be bumped from several threads."""

    lock = threading.Lock()

    def call(self, method: str, path: str, *, fixed: bool = False, **kw: Any) -> Any:
        response = self.client.request(method, path, **kw)
        with self.lock:
            self.requests["fixed" if fixed else "scaled"] += 1
        response.raise_for_status()
        return response.json() if response.content else None


def httpx_script(provider: str, url: str, key: str, parallelism: int) -> Script:
    spec = SPECS[provider]
    script_type = type(f"Threaded{spec.script.__name__}", (ThreadSafe, spec.script), {})
    script: Script = script_type(url, key)
    limits = httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism)
    script.client = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120, limits=limits
    )
    return script


def converge_httpx(
    script: Script,
    provider: str,
    wanted: list[Wanted],
    agents: list[str],
    dry: bool,
    pool: ThreadPoolExecutor,
) -> int:
    names = [(i, a) for i, a, _ in wanted]
    live: dict[str, tuple[str, Any]] = {}  # name -> (agent, item)
    if SPECS[provider].provider in GLOBAL_LISTS:
        live = {key: ("", item) for key, item in script.live(agents, names).items()}
    else:

        def listed(agent: str) -> dict[str, tuple[str, Any]]:
            return {key: (agent, item) for key, item in script.live([agent], names).items()}

        for found in fan_out(pool, listed, agents):
            live |= found
    creates = [w for w in wanted if name(w[0]) not in live]
    updates = [w for w in wanted if name(w[0]) in live and script.differs(live[name(w[0])][1], w[0], w[2])]
    gone = {name(i) for i, _, _ in wanted}
    archives = [found for key, found in live.items() if key not in gone]
    if dry:
        return 0
    fan_out(pool, lambda w: script.create(*w), creates)
    fan_out(pool, lambda w: script.update(w[0], w[1], live[name(w[0])][1], w[2]), updates)
    fan_out(pool, lambda found: script.archive(*found), archives)
    return len(creates) + len(updates) + len(archives)


def converge_cadenya_sdk(
    url: str,
    key: str,
    wanted: list[Wanted],
    agents: list[str],
    dry: bool,
    pool: ThreadPoolExecutor,
    parallelism: int,
) -> int:
    from cadenya import Cadenya

    limits = httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism)
    sdk = Cadenya(
        api_key=key, base_url=url, workspace_id=WS, http_client=httpx.Client(limits=limits, timeout=120)
    )

    def spec(i: int, edited: bool) -> Any:
        message = f"Run {i} (edited)" if edited else f"Run {i}"
        return {
            "schedule": {"intervals": [{"every": f"{hours(i) * 3600}s"}], "timezone": "UTC"},
            "first_user_message": message,
        }

    def listed(agent: str) -> dict[str, Any]:
        return {
            s.metadata.name: (agent, s)
            for s in sdk.agents.schedules.list(agent, limit=1000)
            if s.state != "STATE_ARCHIVED"
        }

    live: dict[str, Any] = {}
    for found in fan_out(pool, listed, agents):
        live |= found
    creates = [w for w in wanted if name(w[0]) not in live]
    updates = [
        w
        for w in wanted
        if name(w[0]) in live
        and live[name(w[0])][1].spec.first_user_message != spec(w[0], w[2])["first_user_message"]
    ]
    gone = {name(i) for i, _, _ in wanted}
    archives = [found for key, found in live.items() if key not in gone]
    if not dry:
        fan_out(
            pool,
            lambda w: sdk.agents.schedules.create(w[1], metadata={"name": name(w[0])}, spec=spec(w[0], w[2])),
            creates,
        )
        fan_out(
            pool,
            lambda w: sdk.agents.schedules.update(
                w[1], live[name(w[0])][1].metadata.id, spec=spec(w[0], w[2]), update_mask="spec"
            ),
            updates,
        )
        fan_out(pool, lambda found: sdk.agents.schedules.archive(found[0], found[1].metadata.id), archives)
    sdk.close()
    return 0 if dry else len(creates) + len(updates) + len(archives)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--provider", required=True, choices=sorted(SPECS))
    parser.add_argument("--url", required=True)
    parser.add_argument("--parallelism", type=int, default=8)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--no-sdk", action="store_true", help="httpx on Cadenya too")
    opts = parser.parse_args()
    key = os.environ["BENCH_API_KEY"]
    wanted, agents = declared(opts.bundle)
    with ThreadPoolExecutor(opts.parallelism) as pool:
        if opts.provider == "cadenya" and not opts.no_sdk:
            writes = converge_cadenya_sdk(opts.url, key, wanted, agents, opts.dry_run, pool, opts.parallelism)
            sent = None
        else:
            script = httpx_script(opts.provider, opts.url, key, opts.parallelism)
            writes = converge_httpx(script, opts.provider, wanted, agents, opts.dry_run, pool)
            sent = sum(script.requests.values())
            script.close()
    print(json.dumps({"writes": writes, "requests": sent}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
