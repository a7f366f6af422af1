"""Start-up and validate: how long the offline commands take, whole processes, from exec to exit.

    .venv/bin/python benchmarks/startup.py                      # this checkout, 7 rounds
    .venv/bin/python benchmarks/startup.py --code /tmp/old      # A/B: another copy, interleaved round by round
    .venv/bin/python benchmarks/startup.py --rounds 11 --big 0  # without the 10,000-schedule bundle

Commands: `reconciler --help`, `validate` and `preview` of a 5-schedule Cadenya bundle (intervals in UTC, as
benchmarks/profile_plan_apply.py writes it, and the same schedules as crons in Europe/Berlin: a zone other than
UTC is looked up in the tz database), and `validate` of a 10,000-schedule one. Targets (issue 22): `--help`,
`validate` and `preview` of 5 schedules ≤ 0.2 s wall on an idle machine.

Each round runs every command once (and, with `--code`, each command of both versions back to back), so a
burst of load on the machine hits both versions alike. Wall time comes from `time.perf_counter`, CPU time
(user + system) from the child's rusage; the load average is printed before and after, because wall time
means little on a busy machine. Bytecode is written and used as an installed package would (a first,
unmeasured run of each command compiles it). `--code DIR` runs the `reconciler` package found in DIR
(`git archive <commit> reconciler | tar -x -C DIR`); this checkout's is run from its own folder, so an
installed copy elsewhere is never measured by mistake.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from profile_plan_apply import write_bundle

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "--help": 0.2,
    "validate 5": 0.2,
    "preview 5": 0.2,
    "validate 5 zoned": 0.2,
    "preview 5 zoned": 0.2,
}


def environment(code: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "RECONCILER_SANDBOX")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(code), os.environ.get("PYTHONPATH")) if p)
    return env


def timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m reconciler ARGS` (exit 0 expected)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"reconciler {' '.join(args)} failed:\n{errors.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--big", type=int, default=10_000, help="schedules of the big bundle (0: leave it out)"
    )
    parser.add_argument("--code", type=Path, help="also run this copy of the reconciler package (A/B)")
    opts = parser.parse_args()
    versions = {"this checkout": environment(ROOT)}
    if opts.code is not None:
        versions[str(opts.code)] = environment(opts.code.resolve())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        agents = [f"agent_{i:03d}" for i in range(200)]
        write_bundle(work / "five.yaml", 5, agents)
        zoned = (work / "five.yaml").read_text()
        zoned, count = re.subn(
            r'\{"every": "[0-9]+h"\}', '{"cron": "0 9 * * *", "timezone": "Europe/Berlin"}', zoned
        )
        assert count == 5, "benchmarks/profile_plan_apply.py writes `when` otherwise now"
        (work / "zoned.yaml").write_text(zoned)
        commands = {
            "--help": ["--help"],
            "validate 5": ["validate", "five.yaml"],
            "preview 5": ["preview", "five.yaml"],
            "validate 5 zoned": ["validate", "zoned.yaml"],
            "preview 5 zoned": ["preview", "zoned.yaml"],
        }
        if opts.big:
            write_bundle(work / "big.yaml", opts.big, agents)
            commands[f"validate {opts.big}"] = ["validate", "big.yaml"]
        for env in versions.values():  # compile bytecode; not measured
            for args in commands.values():
                timed(args, env, work)
        print(f"load average before: {load()}")
        runs: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(opts.rounds):
            for name, args in commands.items():
                for version, env in versions.items():
                    runs.setdefault((name, version), []).append(timed(args, env, work))
        print(f"load average after:  {load()}")
    print(
        f"\n{'command':<16} {'code':<20} {'wall min':>9} {'median':>8} {'CPU min':>9} {'median':>8}  target"
    )
    for (name, version), found in runs.items():
        walls, cpus = [w for w, _ in found], [c for _, c in found]
        target = f"≤ {TARGETS[name]} s wall" if name in TARGETS else ""
        print(
            f"{name:<16} {version[-20:]:<20} {min(walls):9.3f} {statistics.median(walls):8.3f} "
            f"{min(cpus):9.3f} {statistics.median(cpus):8.3f}  {target}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
