"""What `plan` and `apply` share: load and validate bundles, open providers, read live state, plan.

A bundle's live state is read as soon as that bundle is valid, while the later files are still checked; but
nothing is changed before every bundle is valid, within budget, read and planned.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from reconciler.bundle.desired import Bundle
from reconciler.bundle.semantics import timing_from_when
from reconciler.bundle.validate import load_bundles, parse_var_overrides
from reconciler.cli.common import parsed_files, warn_transport
from reconciler.cli.live_parts import LiveParts
from reconciler.envflag import env_flag
from reconciler.errors import BundleError
from reconciler.forecast.checks import budget_problems
from reconciler.forecast.costs import CostBook
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import BundlePlan, Plan
from reconciler.plan.options import Scope
from reconciler.plan.planner import BundlePlanning
from reconciler.plan.selection import selector
from reconciler.providers.base import Provider
from reconciler.providers.capabilities import capabilities_for
from reconciler.providers.registry import open_provider
from reconciler.providers.shared_reads import RequestSlots, SharedReads
from reconciler.providers.transport import TransportSecurity


@dataclass(frozen=True)
class Options:
    paths: tuple[str, ...]
    vars: tuple[str, ...] = ()
    endpoint: str | None = None
    sandbox: bool = False
    parallelism: int = 8
    allow_empty: bool = False
    security: TransportSecurity | None = None  # --insecure, --allow-http, --ca-bundle
    only: tuple[str, ...] = ()  # --only / --exclude globs: a partial plan
    exclude: tuple[str, ...] = ()
    costs: str | None = None  # --costs FILE: the Costs document, when it is not among the paths


@dataclass
class Session:
    options: Options
    plan: Plan
    providers: dict[str, Provider] = field(default_factory=dict)  # by bundle key
    secret_values: set[str] = field(default_factory=set)
    bundles: list[Bundle] = field(default_factory=list)  # as validated: the load forecast's "after"
    costs: CostBook | None = None

    def close(self) -> None:
        for provider in self.providers.values():
            provider.client.close()


def digest_key() -> bytes:
    """Secrets are compared through a keyed digest; a team may set its own key, the default is stable."""
    return os.environ.get("RECONCILER_DIGEST_KEY", "reconciler").encode()


def sandbox_requested(flag: bool) -> bool:
    return env_flag(os.environ, "RECONCILER_SANDBOX") or flag


def open_session(options: Options) -> Session:
    """Every bundle loaded, validated, within budget, read and planned; nothing is changed here.

    A bundle's live state is read as soon as that bundle is valid, while the later files are still being
    checked (`_EarlyReads`): when one of them is invalid, or the budget is exceeded, those reads are abandoned
    and the error is exactly the one a run that read nothing would show."""
    overrides = parse_var_overrides(options.vars)
    early = _EarlyReads(options)
    try:
        loaded = load_bundles(
            options.paths,
            overrides,
            allow_empty=options.allow_empty,
            costs_file=options.costs,
            on_valid=early.start if early.enabled else None,
            on_rendered=early.read_ahead if early.enabled else None,
            parsed=parsed_files(),
        )
        if loaded.diagnostics:
            raise BundleError(loaded.diagnostics)
        # A budget the bundles exceed stops here, before anything is applied (reads may have started).
        over = budget_problems(loaded.bundles, loaded.costs, datetime.now(UTC))
        if over:
            raise BundleError(over)
        providers = early.providers_for(loaded.bundles, loaded.secret_values)
    except BaseException:
        early.abandon()
        raise
    key = digest_key()
    claims = _claims(loaded.bundles, options)
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(len(loaded.bundles), 4))) as pool:
            plans = list(
                pool.map(
                    lambda b: _plan_one(
                        b,
                        providers[b.key],
                        options,
                        key,
                        claims.get(b.key, frozenset()),
                        early.reading_of(b),
                        loaded.secret_values,
                    ),
                    loaded.bundles,
                )
            )
    except BaseException:
        early.finish()
        for provider in providers.values():
            provider.client.close()
        raise
    early.finish()  # every read of the plan is done: later reads (apply's checks, read-backs) ask the platform
    return Session(
        options,
        Plan(tuple(plans), options.only, options.exclude),
        providers,
        loaded.secret_values,
        loaded.bundles,
        loaded.costs,
    )


def _claims(bundles: Sequence[Bundle], options: Options) -> dict[str, frozenset[tuple[str, str]]]:
    """Per bundle key, the (agent, name) of its schedules that another bundle of this run takes over
    (`renamedFrom: {bundleKey, name}`): its own plan must not prune them."""
    found: dict[str, set[tuple[str, str]]] = {}
    for bundle in bundles:
        selected = selector(bundle.key, options.only, options.exclude)
        for schedule in bundle.schedules:
            source = schedule.renamed_from
            if source is not None and source[0] != bundle.key and selected(schedule.name):
                found.setdefault(source[0], set()).add((schedule.agent, source[1]))
    return {key: frozenset(names) for key, names in found.items()}


class _EarlyReads:
    """The live reads of one run, each started as soon as its bundle is valid (`load_bundles(on_valid=)`).

    Reading only: nothing is written before every bundle is valid, within budget, read and planned. What a run
    shows when a later file is invalid does not change: a provider that cannot be opened (a missing API key)
    is reported only once every bundle is valid, a failed read only when the plan needs it, and a provider
    with a transport warning (plain http, --insecure) reads nothing before the warning is shown."""

    def __init__(self, options: Options) -> None:
        self.options = options
        # The embedded sandbox creates its database when opened: it opens once every bundle is valid.
        self.enabled = not (sandbox_requested(options.sandbox) or options.endpoint == "sandbox")
        self.slots = RequestSlots(options.parallelism)  # `--parallelism` is per run, not per bundle
        self._opened: dict[int, tuple[Bundle, Provider | Exception]] = {}  # by id() of the valid bundle
        self._keys: set[str] = set()
        self._reads: dict[int, LiveParts] = {}
        # Bundles on the same platform, endpoint and target share their identical GETs (providers/shared_reads)
        self._groups: dict[tuple[str, str, str], tuple[SharedReads, list[Provider]]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._ahead: list[Provider] = []  # opened to send a bundle's GETs ahead (`read_ahead`)

    def read_ahead(self, known: Bundle, agents: frozenset[str], secrets: frozenset[str]) -> None:
        """`known`'s target is checked and its schedules name `agents`: send the GETs of its live read now,
        while its schedules are checked, through a provider of its own whose answers the bundle's provider
        shares once the bundle is valid (`Provider.read_ahead`). Nothing is shown of this: a failure here is
        met again, and reported, by the read that follows."""
        if known.key in self._keys or any(p.bundle.key == known.key for p in self._ahead):
            return
        try:
            provider = self._open(known, secrets)
        except Exception:  # a missing API key, say: reported when the bundle's provider is opened
            return
        self._ahead.append(provider)
        if provider.client.warnings:
            return  # plain http, --insecure: nothing is sent before the warning is shown
        self._share(known, provider)
        self._pool_of_reads().submit(_quietly, provider.read_ahead, agents)

    def _pool_of_reads(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="live-read")
        return self._pool

    def start(self, bundle: Bundle, secrets: frozenset[str]) -> None:
        """`bundle` is valid: open its provider and start reading, unless a run-wide check must come first."""
        if bundle.key in self._keys:
            return  # two bundles with one key: the checks across bundles refuse the run
        self._keys.add(bundle.key)
        for opened in [*(o for _, o in self._opened.values()), *self._ahead]:
            if isinstance(opened, Provider):  # earlier clients redact this bundle's secrets as well
                opened.client.learn_secrets(secrets)
        try:
            provider = self._open(bundle, secrets)
        except Exception as exc:  # a missing API key, say: a later file's problems are reported first
            self._opened[id(bundle)] = (bundle, exc)
            return
        self._opened[id(bundle)] = (bundle, provider)
        if not provider.client.warnings:
            self._share(bundle, provider)
            self._reads[id(bundle)] = LiveParts.start(self._pool_of_reads(), provider)

    def providers_for(self, bundles: Sequence[Bundle], secrets: set[str]) -> dict[str, Provider]:
        """Every bundle is valid and within budget: one provider per bundle key, the transport warnings shown
        (before any request of theirs), and the reads that have not started set to share with their group."""
        providers: dict[str, Provider] = {}
        for bundle in bundles:
            _, opened = self._opened.get(id(bundle)) or (bundle, None)
            if isinstance(opened, Exception):
                raise opened
            if opened is None:
                opened = self._open(bundle, secrets)
                self._opened[id(bundle)] = (bundle, opened)
            else:  # opened early: it redacts every secret of the run from now on, as a late one does
                opened.client.learn_secrets(secrets)
            providers[bundle.key] = opened
        warn_transport(w for p in providers.values() for w in p.client.warnings)
        for bundle in bundles:
            if id(bundle) not in self._reads and not providers[bundle.key].client.embedded:
                self._share(bundle, providers[bundle.key])
        for reads, group in self._groups.values():
            if len(group) == 1:  # a lone bundle shares nothing: what it sends is unchanged
                reads.close()
                group[0].client.share_reads(None)
        return providers

    def reading_of(self, bundle: Bundle) -> LiveParts | None:
        """The read started for `bundle`, if one did."""
        return self._reads.get(id(bundle))

    def finish(self) -> None:
        """Every read of the plan is done: later reads (apply's checks, read-backs) ask the platform."""
        for provider in self._ahead:  # first: a read sent ahead but not yet begun must not go out unshared
            provider.client.close()
        for reads, group in self._groups.values():
            reads.close()
            for provider in group:
                provider.client.share_reads(None)
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def abandon(self) -> None:
        """The run stops before its plan: later GETs fail at once, every provider is closed (a read in flight
        ends with its request, one waiting to be retried stops waiting: `ApiClient.close`), and the readers
        are joined; what they end with is not shown."""
        for reads, _ in self._groups.values():
            reads.abandon()
        for opened in [*(o for _, o in self._opened.values()), *self._ahead]:
            if isinstance(opened, Provider):
                opened.client.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _open(self, bundle: Bundle, secrets: Iterable[str]) -> Provider:
        return _open_one(bundle, self.options, secrets, self.slots)

    def _share(self, bundle: Bundle, provider: Provider) -> None:
        if provider.client.embedded:
            return  # the embedded sandbox has no platform to share
        target = json.dumps(bundle.target, sort_keys=True, default=str)
        group = (bundle.provider, provider.client.base_url, target)
        reads, members = self._groups.setdefault(group, (SharedReads(), []))
        members.append(provider)
        provider.client.share_reads(reads)


def open_providers(bundles: Sequence[Bundle], options: Options, secrets: set[str]) -> dict[str, Provider]:
    """One provider per bundle, by bundle key; the transport warnings printed before any request. All of them
    share one cap of `options.parallelism` requests in flight: `--parallelism` is per run, not per bundle."""
    providers: dict[str, Provider] = {}
    slots = RequestSlots(options.parallelism)
    try:
        for bundle in bundles:
            providers[bundle.key] = _open_one(bundle, options, secrets, slots)
        warn_transport(w for p in providers.values() for w in p.client.warnings)
    except BaseException:
        for provider in providers.values():
            provider.client.close()
        raise
    return providers


def _open_one(bundle: Bundle, options: Options, secrets: Iterable[str], slots: RequestSlots) -> Provider:
    """The provider of `bundle`, as the run's options say, sharing the run's cap of requests in flight."""
    return open_provider(
        bundle,
        endpoint=options.endpoint,
        sandbox=sandbox_requested(options.sandbox),
        parallelism=options.parallelism,
        digest_key=digest_key(),
        secrets=secrets,
        security=options.security,
        slots=slots,
    )


def _plan_one(
    bundle: Bundle,
    provider: Provider,
    options: Options,
    key: bytes,
    claimed: frozenset[tuple[str, str]] = frozenset(),
    reading: LiveParts | None = None,
    secrets: Collection[str] = (),
) -> BundlePlan:
    """`reading`: the live read, when the session started it already (as soon as the bundle was valid);
    `secrets`: the run's, none of which a failed read's message may show."""
    # The live read is mostly waiting for the platform: it runs on a thread of its own while this one puts
    # the desired schedules in their read-back form (CPU only, no request), which needs nothing live, and then
    # plans each part of the live state (an agent's list) as it arrives.
    with ThreadPoolExecutor(max_workers=1) as reader:
        if reading is None:
            reading = LiveParts.start(reader, provider)
        normalised = replace(
            bundle,
            schedules=tuple(provider.normalise(s) for s in bundle.schedules),
            moved_from=provider.source_token(bundle.moved_from) if bundle.moved_from else "",
            source=provider.source,
        )
        planning_of = functools.partial(
            BundlePlanning,
            normalised,
            display_name=provider.display_name,
            restore_archived="create" if provider.restore_archived == "create" else "resume",
            update_reason=provider.update_reason,
            digest_key=key,
            scope=Scope(
                selector(bundle.key, options.only, options.exclude),
                claimed,
                provider.renames_in_place,
                provider.agents_in_identity,
            ),
            timing_of=lambda when: timing_from_when(
                when, capabilities_for(bundle.provider, bundle.target.get("api"))
            ),
            now=datetime.now(UTC),
        )
        planning = planning_of()
        live: list[LiveSchedule] = []
        for schedules, agents in reading.parts(secrets):
            live.extend(schedules)
            planning.add(schedules, agents)
    planned = planning.finish(allow_empty=options.allow_empty)
    # A create for an agent the platform does not have can only fail at apply: where the provider can tell
    # (most know from their listing, at no cost), plan again so each such schedule is refused at its line.
    unknown = provider.missing_agents({a.agent for a in planned.actions if a.kind == "create"})
    if not unknown:
        return planned
    again = planning_of(unknown_agents=frozenset(unknown))
    again.add(live)
    return again.finish(allow_empty=options.allow_empty)


def _quietly(work: Callable[[frozenset[str]], None], agents: frozenset[str]) -> None:
    with contextlib.suppress(Exception):  # met again, and reported, by the read that follows
        work(agents)
