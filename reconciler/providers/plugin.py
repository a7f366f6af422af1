"""Providers as plugins: each platform registers one `ProviderPlugin` under the entry-point group
`reconciler.providers`, and the engine learns everything it needs about the platform from it.

The built-in providers register the same way (pyproject.toml); a third-party package does it from its own.
A descriptor is small, pure data: loading one never imports the provider's HTTP code (`provider`, `rules`
and `sandbox.start` are "module:attribute" paths, imported only when a bundle or a command needs them), so
`validate` of a cadenya bundle loads cadenya's descriptor and nothing of the others.

When this package's metadata is missing (a source checkout run with PYTHONPATH, no `pip install -e`), the
built-in providers are still found: `BUILT_IN` lists their descriptors.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from reconciler import __version__
from reconciler.errors import ConfigError
from reconciler.providers.capabilities import Capabilities

GROUP = "reconciler.providers"
DISTRIBUTION = "agent-reconciler"
# The built-ins' entry points, as pyproject.toml declares them: used when the package metadata is missing.
BUILT_IN = {
    "cadenya": "reconciler.providers.cadenya.plugin:PLUGIN",
    "agentex": "reconciler.providers.agentex.plugin:PLUGIN",
    "orq": "reconciler.providers.orq.plugin:PLUGIN",
    "oz": "reconciler.providers.oz.plugin:PLUGIN",
    "tbd-agents": "reconciler.providers.tbd_agents.plugin:PLUGIN",
    "temporal": "reconciler.providers.temporal.plugin:PLUGIN",
}
Path_ = tuple[str | int, ...]
Report = Callable[[Path_, str], None]
# (rendered schedule, its capabilities, report): the platform's own rules beyond the timing forms.
RuleCheck = Callable[[Mapping[str, Any], Capabilities, Report], None]


@dataclass(frozen=True)
class Connection:
    """Where the platform is and how to authenticate: the environment variables its own SDK reads."""

    base_url_env: str
    default_url: str | None
    api_key_env: str
    key_required: bool = True
    # Also read for the URL when base_url_env is unset, if it holds a URL: Temporal's own tools read
    # TEMPORAL_ADDRESS as a gRPC host:port, which is not the HTTP API reconciler speaks.
    address_env: str | None = None
    # A PEM file of trusted CAs, read when neither --ca-bundle nor SSL_CERT_FILE is set.
    ca_env: str | None = None
    # A client certificate and its key (PEM files), for servers that authenticate clients by mutual TLS.
    cert_env: str | None = None
    key_env: str | None = None

    def variables(self) -> tuple[str, ...]:
        named = (
            self.base_url_env,
            self.address_env,
            self.api_key_env,
            self.ca_env,
            self.cert_env,
            self.key_env,
        )
        return tuple(n for n in named if n)


@dataclass(frozen=True)
class TargetField:
    """A `target:` field the provider uses besides `provider` and `api` (workspace, namespace, taskQueue)."""

    name: str
    description: str
    required: str = ""  # when set, the field must be given, and this says why (the error shown)


@dataclass(frozen=True)
class Sandbox:
    """How to get a local copy of the platform: an emulator of this project's kind (`emulator`: the
    "module:Class" of a `reconciler.sandbox.runtime.Provider`), or a real server (`start`: the "module:name"
    of a context manager taking `host`, `http_port` and `db_file` and yielding an object with `http_url` and
    `env()`, the variables to export, as `reconciler.sandbox.temporal_dev.dev_server`)."""

    emulator: str = ""
    start: str = ""
    note: str = ""

    @property
    def kind(self) -> str:
        return "emulator" if self.emulator else "real server" if self.start else "none"


@dataclass(frozen=True)
class ProviderPlugin:
    """Everything the engine needs to know about one platform.

    `capabilities`: the first is the default API revision's; one more per other revision in `revisions`
    (its `revision` field names it). `forecast_family`: whose fire-time rules `preview` and `calendar`
    use (a built-in family of `reconciler.timing`: temporal, agentex, cadenya, orq, oz, tbd-agents)."""

    name: str
    provider: str  # "module:Class" of the reconciler.providers.base.Provider subclass
    capabilities: tuple[Capabilities, ...]
    connection: Connection
    revisions: tuple[str, ...] = ()  # target.api values; the first is the default; () = one API
    target_fields: tuple[TargetField, ...] = ()
    rules: str = ""  # "module:function", a RuleCheck
    forecast_family: str = "temporal"
    sandbox: Sandbox = field(default_factory=Sandbox)
    docs: str = ""  # one line: what the platform is, where its README is

    def capabilities_for(self, api: str | None = None) -> Capabilities:
        for caps in self.capabilities[1:]:
            if api is not None and caps.revision == api:
                return caps
        return self.capabilities[0]

    def target_field(self, name: str) -> TargetField | None:
        return next((f for f in self.target_fields if f.name == name), None)

    def rule_check(self) -> RuleCheck | None:
        return load_attribute(self.rules, f"{self.name} rules") if self.rules else None


@dataclass(frozen=True)
class Installed:
    """A plugin and where it came from. The distribution and its version are looked up when asked for
    (`reconciler providers`, an error message): finding them reads every installed package's metadata."""

    plugin: ProviderPlugin
    entry_point: str  # "module:attribute"

    @property
    def distribution(self) -> str:
        return _entry_points()[self.plugin.name][1]

    @property
    def version(self) -> str:
        return _entry_points()[self.plugin.name][2]


def names() -> tuple[str, ...]:
    """The installed providers' names, sorted, without loading any descriptor."""
    return tuple(sorted(_entry_points()))


def is_installed(name: str) -> bool:
    """Whether a provider called `name` is installed; a built-in's name needs no package metadata read."""
    return name in BUILT_IN or name in _entry_points()


def get(name: str) -> ProviderPlugin:
    """The descriptor of `name`; ConfigError listing the installed ones when there is none."""
    return installed(name).plugin


def installed(name: str) -> Installed:
    if (
        name in BUILT_IN
    ):  # a built-in's name is always the built-in (see `_entry_points`): no metadata to read
        return _load(name)
    points = _entry_points()
    if name not in points:
        raise ConfigError(f"unknown provider '{name}'; installed: {', '.join(sorted(points))}")
    return _load(name)


def all_installed() -> tuple[Installed, ...]:
    return tuple(_load(name) for name in names())


def find(name: str) -> ProviderPlugin | None:
    return get(name) if is_installed(name) else None


def forecast_family(provider: str) -> str:
    """The timing family `preview` and `calendar` should use for `provider` (a plugin's `forecast_family`;
    the name itself when no plugin of that name is installed)."""
    found = find(provider)
    return found.forecast_family if found is not None else provider


@cache
def _entry_points() -> dict[str, tuple[str, str, str]]:
    """name -> (entry point value, distribution, version). Read once per process."""
    from importlib import metadata  # here: `reconciler --help` never pays for it

    found: dict[str, tuple[str, str, str]] = {}
    for point in metadata.entry_points(group=GROUP):
        dist = point.dist
        origin = (dist.name, dist.version) if dist is not None else ("unknown distribution", "")
        if point.name in BUILT_IN and (origin[0] != DISTRIBUTION or point.value != BUILT_IN[point.name]):
            continue  # a built-in's name taken by another package: the built-in stays
        found[point.name] = (point.value, *origin)
    for name, value in BUILT_IN.items():
        found.setdefault(name, (value, f"{DISTRIBUTION} (built in; package metadata not found)", __version__))
    return found


@cache
def _load(name: str) -> Installed:
    value = BUILT_IN.get(name) or _entry_points()[name][0]

    def origin() -> str:  # only for a message: finding it reads the metadata of every package
        return _entry_points()[name][1]

    plugin = load_attribute(value, f"provider plugin '{name}'", origin)
    if not isinstance(plugin, ProviderPlugin):
        raise ConfigError(
            f"provider plugin '{name}' (from {origin()}): {value} is a {type(plugin).__name__}, "
            "not a reconciler.providers.plugin.ProviderPlugin"
        )
    if plugin.name != name or not plugin.capabilities:
        raise ConfigError(
            f"provider plugin '{name}' (from {origin()}): its descriptor names '{plugin.name}' and must "
            "name its entry point, with at least one Capabilities"
        )
    return Installed(plugin, value)


def load_attribute(path: str, what: str, origin: Callable[[], str] | None = None) -> Any:
    """The object `path` ("module:attribute") names; ConfigError naming `what` (and `origin()`, the package
    it came from, when given) when it cannot be loaded."""
    module, _, attribute = path.partition(":")
    try:
        target: Any = importlib.import_module(module)
        for part in attribute.split(".") if attribute else ():
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        where = f" (from {origin()})" if origin is not None else ""
        raise ConfigError(f"{what}{where}: cannot load {path}: {exc}") from exc
    return target
