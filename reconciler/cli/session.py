"""What `plan` and `apply` share: load and validate bundles, open providers, read live state, plan.

Every bundle is fully validated, and every live state read, before anything is changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from reconciler.bundle.desired import Bundle
from reconciler.bundle.semantics import timing_from_when
from reconciler.bundle.validate import load_bundles, parse_var_overrides
from reconciler.cli.common import warn_transport
from reconciler.envflag import env_flag
from reconciler.errors import BundleError
from reconciler.forecast.checks import budget_problems
from reconciler.forecast.costs import CostBook
from reconciler.plan.model import BundlePlan, Plan
from reconciler.plan.planner import Scope, plan_bundle
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
    loaded = load_bundles(
        options.paths,
        parse_var_overrides(options.vars),
        allow_empty=options.allow_empty,
        costs_file=options.costs,
    )
    if loaded.diagnostics:
        raise BundleError(loaded.diagnostics)
    # A budget the bundles exceed stops here, before any platform is contacted or anything is applied.
    over = budget_problems(loaded.bundles, loaded.costs, datetime.now(UTC))
    if over:
        raise BundleError(over)
    key = digest_key()
    providers = open_providers(loaded.bundles, options, loaded.secret_values)
    claims = _claims(loaded.bundles, options)
    shared = list(_share_reads(loaded.bundles, providers))
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(len(loaded.bundles), 4))) as pool:
            plans = list(
                pool.map(
                    lambda b: _plan_one(b, providers[b.key], options, key, claims.get(b.key, frozenset())),
                    loaded.bundles,
                )
            )
    except BaseException:
        for provider in providers.values():
            provider.client.close()
        raise
    finally:  # every read of the plan is done: later reads (apply's checks, read-backs) ask the platform
        for reads in shared:
            reads.close()
        for provider in providers.values():
            provider.client.share_reads(None)
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


def _share_reads(bundles: Sequence[Bundle], providers: dict[str, Provider]) -> Iterator[SharedReads]:
    """One `SharedReads` per group of two or more bundles on the same platform, endpoint and target (a lone
    bundle shares nothing: what it sends is unchanged); the embedded sandbox has no platform to share."""
    groups: dict[tuple[str, str, str], list[Provider]] = {}
    for bundle in bundles:
        provider = providers[bundle.key]
        if not provider.client.embedded:
            target = json.dumps(bundle.target, sort_keys=True, default=str)
            groups.setdefault((bundle.provider, provider.client.base_url, target), []).append(provider)
    for group in groups.values():
        if len(group) > 1:
            reads = SharedReads()
            for provider in group:
                provider.client.share_reads(reads)
            yield reads


def open_providers(bundles: Sequence[Bundle], options: Options, secrets: set[str]) -> dict[str, Provider]:
    """One provider per bundle, by bundle key; the transport warnings printed before any request. All of them
    share one cap of `options.parallelism` requests in flight: `--parallelism` is per run, not per bundle."""
    providers: dict[str, Provider] = {}
    slots = RequestSlots(options.parallelism)
    try:
        for bundle in bundles:
            providers[bundle.key] = open_provider(
                bundle,
                endpoint=options.endpoint,
                sandbox=sandbox_requested(options.sandbox),
                parallelism=options.parallelism,
                digest_key=digest_key(),
                secrets=secrets,
                security=options.security,
                slots=slots,
            )
        warn_transport(w for p in providers.values() for w in p.client.warnings)
    except BaseException:
        for provider in providers.values():
            provider.client.close()
        raise
    return providers


def _plan_one(
    bundle: Bundle,
    provider: Provider,
    options: Options,
    key: bytes,
    claimed: frozenset[tuple[str, str]] = frozenset(),
) -> BundlePlan:
    # The live read is mostly waiting for the platform: it runs on a thread of its own while this one puts
    # the desired schedules in their read-back form (CPU only, no request), which needs nothing live.
    with ThreadPoolExecutor(max_workers=1) as reader:
        reading = reader.submit(provider.list_live)
        normalised = replace(
            bundle,
            schedules=tuple(provider.normalise(s) for s in bundle.schedules),
            moved_from=provider.source_token(bundle.moved_from) if bundle.moved_from else "",
            source=provider.source,
        )
        live = reading.result()
    now = datetime.now(UTC)

    def plan(unknown_agents: frozenset[str] = frozenset()) -> BundlePlan:
        return plan_bundle(
            normalised,
            live,
            display_name=provider.display_name,
            restore_archived="create" if provider.restore_archived == "create" else "resume",
            update_reason=provider.update_reason,
            allow_empty=options.allow_empty,
            digest_key=key,
            unknown_agents=unknown_agents,
            scope=Scope(
                selector(bundle.key, options.only, options.exclude),
                claimed,
                provider.renames_in_place,
                provider.agents_in_identity,
            ),
            timing_of=lambda when: timing_from_when(
                when, capabilities_for(bundle.provider, bundle.target.get("api"))
            ),
            now=now,
        )

    planned = plan()
    # A create for an agent the platform does not have can only fail at apply: where the provider can tell
    # (most know from their listing, at no cost), plan again so each such schedule is refused at its line.
    unknown = provider.missing_agents({a.agent for a in planned.actions if a.kind == "create"})
    return plan(frozenset(unknown)) if unknown else planned
