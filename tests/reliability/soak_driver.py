"""Play a bundle history against a faulty sandbox with the real CLI, in this process, and check every step.

One `reconciler sandbox serve` process per provider revision serves every history (the previous history's
schedules are deleted in between); Temporal's is a real dev server behind a fault proxy (soak_temporal.py).
Each step writes the bundle, turns faults on (`POST /_sandbox/traffic`, or the proxy's switch; Retry-After
0; on some steps latency beyond the client's timeout too), and runs `apply --auto-approve` until
it exits 0, at most `MAX_APPLIES` times. Then, faults off, the live state read by
the platform's own SDK must be exactly the bundle: every declared schedule once, with its fields; every
schedule that left the bundle archived by the provider's rule (or gone with `prune: delete`); nothing else
owned by the bundle; the stranger's schedule and the other bundle's untouched; and `plan` says "no changes".

The CLI runs in-process, made fast, with the attempts per request and the timeout varied by step
(in_process_cli.py).
"""

from __future__ import annotations

import contextlib
import json
import signal
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.reliability.in_process_cli import KNOBS, fast_in_process_cli, run_in_process
from tests.reliability.soak_backends import Backend, backend_for
from tests.reliability.soak_model import History, Sched, Step
from tests.reliability.soak_platforms import KEY, OTHER, Clients, Platform, Row

MAX_APPLIES = 12
TIMEOUT_LATENCY = "0-60"  # ms the sandbox waits before running a request, in a step with timeouts
CLIENT_TIMEOUT = 0.045  # s: the client gives up on about a quarter of those requests. The server still runs
# those it had read (a GET, a body-less POST or DELETE) after the client gave up; one whose body it had not
# read yet is dropped unrun.
PATIENT_AFTER = 3  # failed applies at CLIENT_TIMEOUT; each re-run after those doubles the client's timeout.
# 45 ms is meant to lose a quarter of the answers, not all of them: on a machine busy enough that every
# request takes longer (a CI runner shared with other work), no apply could ever finish, and the soak would
# report the machine's load as a reconciler failure. The first runs still give up on answers as designed.


@dataclass
class Figures:
    """What a soak did, for the report."""

    histories: int = 0
    steps: int = 0
    applies: int = 0
    failed_applies: int = 0
    requests: int = 0  # vendor requests the sandbox answered (or dropped)
    faults: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    operator_pauses: int = 0  # schedules paused by hand on the platform between applies (issue 18)
    renames: int = 0  # schedules renamed with renamedFrom (issue 19)

    def line(self, platform: str) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
        return (
            f"{platform}: {self.histories} histories, {self.steps} steps, {self.applies} applies "
            f"({self.failed_applies} exited 1 and were re-run), {self.requests} requests, "
            f"{sum(self.faults.values())} faults injected "
            f"({kinds}), {self.operator_pauses} operator pauses, {self.renames} renames, {self.seconds:.1f} s"
        )


class SoakFailure(AssertionError):
    pass


class Soak:
    """One platform's server and bundle files; `play` runs one history."""

    def __init__(self, platform: Platform, backend: Backend, workdir: Path) -> None:
        self.platform = platform
        self.backend = backend
        self.bundle_path = workdir / "bundle.yaml"
        self.other_path = workdir / "other.yaml"
        self.figures = Figures()
        self.clients: Clients = platform.clients(backend)
        self._ours: list[Row] | None = None  # the bundle's schedules as last read; None: reset first
        self._foreign: list[str] = []  # snapshots of the schedules no history owns
        self._counted: Counter[str] = Counter()  # sandbox stats already added to the figures

    def close(self) -> None:
        self.clients.close()
        self.backend.close()

    def cli(self, *args: str) -> Run:
        return run_in_process(*args, "--endpoint", self.backend.endpoint)

    def play(self, history: History) -> None:
        start = time.perf_counter()
        clean = False
        try:
            self._start()
            applied: dict[tuple[str, str], Sched] = {}  # (agent, name) -> as last applied
            held: set[tuple[str, str]] = set()  # paused by an operator, and kept paused (pauses: respect)
            for index, step in enumerate(history.steps):
                held |= self._pause_by_hand(step)
                self._apply(history, index, step)
                for name, sched in step.bundle:
                    agent = self.platform.agents[sched.agent]
                    self.figures.renames += sched.renamed_from is not None
                    if sched.renamed_from is not None and self.platform.renames_in_place:
                        # renamed in place: the old identity is gone, not archived; a pause kept moves with it
                        applied.pop((agent, sched.renamed_from), None)
                        if (agent, sched.renamed_from) in held:
                            held = (held - {(agent, sched.renamed_from)}) | {(agent, name)}
                    if not self.platform.agents_in_identity:  # the name is the identity: moved, not made anew
                        moved = {key for key in applied if key[1] == name and key[0] != agent}
                        for key in moved:
                            del applied[key]
                        held = {(agent, name) if key in moved else key for key in held}
                    applied[(agent, name)] = sched
                declared = {(self.platform.agents[s.agent], n): s for n, s in step.bundle}
                # A pause the bundle itself now asks for takes over the operator's; a schedule that left the
                # bundle is archived; where the platform has no room for the record, the apply resumed it.
                held = {
                    key
                    for key in held
                    if key in declared and not declared[key].paused and self.platform.records_applied
                }
                self._check(history, index, step, applied, held)
            self._check_plan_is_clean(history)
            clean = True
        finally:
            self._count()
            self.figures.histories += 1
            self.figures.seconds += time.perf_counter() - start
            if not clean:
                self._ours = None  # start the next history (a shrink, say) from a reset sandbox

    def _start(self) -> None:
        """A platform with only the stranger's schedule and the other bundle's.

        The first history, and any after a failure, reset the sandbox and make both; the others delete
        what the previous history left (they read it last) and keep both, so every history checks that
        schedules no history owns have stayed exactly as they were made.
        """
        if self._ours is not None:
            for row in self._ours:
                self.clients.http.delete(row.path).raise_for_status()
            return
        self.backend.reset()
        self._counted = self.backend.seen()
        self.platform.make_stranger(self.clients)
        theirs = {"theirs": Sched(agent=0, timing=0, message=0, option=0)}
        self.other_path.write_text(json.dumps(self.platform.document(OTHER, "archive", theirs)))
        created = self.cli("apply", "--auto-approve", str(self.other_path))
        assert created.code == 0, created.err
        rows = [r for r in self.platform.read(self.clients) if r.owner != KEY]
        owners = sorted((r.owner, r.name) for r in rows if r.owner) + [r.owner for r in rows if not r.owner]
        assert owners == [(OTHER, "theirs"), None], (
            rows
        )  # the stranger's: no owner (orq seed: no name either)
        self._foreign = sorted(r.snapshot for r in rows)

    def _count(self) -> None:
        """Add what the server saw since it was last counted: requests, and every injected fault."""
        seen = self.backend.seen()
        new = seen - self._counted
        self._counted = seen
        self.figures.requests += new.pop("requests", 0)
        self.figures.faults.update(new)

    def _pause_by_hand(self, step: Step) -> set[tuple[str, str]]:
        paused: set[tuple[str, str]] = set()
        for name in step.operator_pauses:
            row = next((r for r in self._ours or [] if r.name == name and r.state == "active"), None)
            if row is None:
                continue  # still paused by an earlier hand (kept since): nothing more to pause
            self.platform.pause_by_hand(self.clients, row)
            self.figures.operator_pauses += 1
            paused.add((row.agent, name))
        return paused

    def _apply(self, history: History, index: int, step: Step) -> None:
        document = self.platform.document(KEY, history.prune, step.schedules)
        self.bundle_path.write_text(json.dumps(document))
        faults = step.faults
        latency = TIMEOUT_LATENCY if faults.timeouts else None
        self.backend.faults(faults.rate, faults.seed, latency)
        KNOBS.attempts = faults.attempts
        KNOBS.timeout = CLIENT_TIMEOUT if faults.timeouts else None
        args = ["apply", "--auto-approve", "--parallelism", str(faults.parallelism)]
        args += ["--allow-delete"] if history.prune == "delete" else []
        runs: list[Run] = []
        try:
            for attempt in range(MAX_APPLIES):
                if faults.timeouts:
                    KNOBS.timeout = CLIENT_TIMEOUT * 2 ** max(0, attempt - PATIENT_AFTER + 1)
                runs.append(self.cli(*args, str(self.bundle_path)))
                self.figures.applies += 1
                if runs[-1].code == 0:
                    break
                self.figures.failed_applies += 1
                if runs[-1].code != 1:  # 3 is an internal error: a bug, whatever the faults
                    break
        finally:
            self.backend.quiet()
            KNOBS.attempts, KNOBS.timeout = 5, None
            if faults.timeouts:
                time.sleep(0.1)  # let requests the client gave up on land before the platform is read
            self.figures.steps += 1
        if runs[-1].code != 0:
            tail = "\n".join(
                f"--- apply {i + 1}: exit {r.code}\n{r.err.strip()[-1500:]}" for i, r in enumerate(runs)
            )
            raise SoakFailure(f"step {index}: apply did not converge in {len(runs)} runs\n{history}\n{tail}")

    def _check(
        self,
        history: History,
        index: int,
        step: Step,
        applied: dict[tuple[str, str], Sched],
        held: set[tuple[str, str]] | None = None,
    ) -> None:
        platform = self.platform
        held = held or set()
        rows = platform.read(self.clients)
        ours = [r for r in rows if r.owner == KEY]
        self._ours = ours
        declared = {
            (platform.agents[s.agent], name): platform.expected(
                name, replace(s, paused=True) if (platform.agents[s.agent], name) in held else s
            )
            for name, s in step.bundle
        }
        expected = dict(declared)
        if history.prune == "archive":
            for (agent, name), sched in applied.items():
                if (agent, name) not in declared:
                    expected[(agent, name)] = platform.expected(name, sched, archived=True)
        problems: list[str] = []
        counts = Counter((r.agent, r.name) for r in ours)
        problems += [f"duplicate: {n} live schedules for {key}" for key, n in sorted(counts.items()) if n > 1]
        found = {(r.agent, r.name): r for r in ours}
        for identity, want in sorted(expected.items()):
            have = found.get(identity)
            if have is None:
                problems.append(f"missing: {identity} (expected {want})")
            elif have != want:
                problems.append(f"differs: {identity}\n      expected {want}\n      live     {have}")
        problems += [f"unexpected: {found[i]}" for i in sorted(set(found) - set(expected))]
        now_foreign = sorted(r.snapshot for r in rows if r.owner != KEY)
        if now_foreign != self._foreign:
            problems.append(
                f"foreign schedules changed:\n      before {self._foreign}\n      after  {now_foreign}"
            )
        if problems:
            listed = "\n  ".join(problems)
            raise SoakFailure(f"step {index}: live state is not the bundle:\n  {listed}\n{history}")

    def _check_plan_is_clean(self, history: History) -> None:
        """Once converged, the reconciler's own view agrees: nothing left to do (no noise either)."""
        again = self.cli("plan", "--detailed-exitcode", str(self.bundle_path))
        if again.code != 0:
            raise SoakFailure(
                f"plan after the last apply is not clean (exit {again.code}):\n{again.out}{again.err}\n{history}"
            )


@contextlib.contextmanager
def soak_for(platform: Platform, workdir: Path) -> Iterator[Soak]:
    with backend_for(platform) as backend, fast_in_process_cli(), pytest.MonkeyPatch.context() as mp:
        for name, value in backend.env.items():
            mp.setenv(name, value)
        soak = Soak(platform, backend, workdir)
        try:
            yield soak
        finally:
            soak.close()


@dataclass(frozen=True)
class SoakResult:
    platform: str
    figures: str  # Figures.line()
    failure: str | None  # the failing history and what went wrong, as hypothesis reported it


class Terminated(BaseException):
    """SIGTERM in a soak worker: a BaseException, so neither the CLI's error handling nor hypothesis takes it
    for a result; unwinding stops the sandbox server too."""


def _terminated(signum: int, frame: object) -> None:
    raise Terminated


def run_soak(
    platform_id: str, examples: int, max_steps: int, max_rate: float, timeout_percent: int
) -> SoakResult:
    """`examples` histories against one sandbox; a top-level function, so a worker process can run it.

    Seeded (`derandomize=True`): the same histories every run. A failure is shrunk by hypothesis to the
    shortest history that still fails, and returned as text (with the falsifying example), not raised.
    """
    from hypothesis import HealthCheck, given, settings

    from tests.reliability.soak_model import histories
    from tests.reliability.soak_temporal import ALL_PLATFORMS

    platform = next(p for p in ALL_PLATFORMS if p.id == platform_id)
    signal.signal(signal.SIGTERM, _terminated)
    with tempfile.TemporaryDirectory(prefix="soak-") as workdir, soak_for(platform, Path(workdir)) as soak:

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(
            histories(platform.shape, max_steps=max_steps, max_rate=max_rate, timeout_percent=timeout_percent)
        )
        def play(history: History) -> None:
            soak.play(history)

        failure = None
        try:
            play()
        except Exception as exc:  # reported to the test in the parent process, with hypothesis' notes
            failure = "".join(traceback.format_exception(exc))
        return SoakResult(platform_id, soak.figures.line(platform_id), failure)
