"""What each platform can express exactly: checked by `validate` before any request is made.

Pure data (docs/providers.md describes it per platform). Each provider's values are in its plugin
descriptor (`reconciler/providers/<name>/plugin.py`); `CAPABILITIES` is a view over the installed ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    provider: str
    forms: frozenset[str]  # timing forms it accepts: cron, every, at, calendars
    utc_only: bool = False
    cron_seconds: bool = True  # may a cron have a seconds field?
    min_cadence_seconds: int = 0  # the shortest gap between two fires it allows (one-offs exempt)
    max_name_length: int | None = None  # for platforms where the marker lives in the name
    name_separator: str = ""  # bundleKey + separator + name, when the marker is in the name
    every_units: tuple[int, ...] = ()  # `every` must be a whole number of one of these (seconds)
    every_offset: bool = True  # can an `every` carry an `offset`?
    cron_list: bool = True  # may `cron` be a list (several crons on one schedule)?
    cron_pattern: str | None = None  # the cron, 6 canonical fields (seconds first), must match this
    # How its cron engine combines day-of-month and day-of-week (reconciler.timing.dialects): a cron the
    # engine fires on other days than the bundle means (Vixie) is refused. `cron_dialect_documented` False:
    # the platform does not say; `validate` then refuses what the likely engines disagree on.
    cron_dialect: str = "vixie"
    cron_dialect_documented: bool = True
    unsupported: tuple[tuple[str, str], ...] = ()  # (schedule field, why / what instead) it has no place for
    required_options: tuple[str, ...] = ()  # `options:` keys every schedule must set
    every_as_cron: bool = False  # takes cron only: an `every` must have one exact 5-field UTC cron
    requires_start: bool = False
    start_ignored: bool = False  # the platform does not wait for `start` (it counts from registration)
    needs_workspace: bool = False
    name_pattern: str | None = None  # what the platform allows in the (prefixed) name
    window: bool = True  # can it hold `start` / `end`?
    options: tuple[str, ...] = ()  # the `options:` keys it understands
    option_choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # options whose value is one of a list
    note: str = ""
    revision: str = ""  # the API revision (target.api) these are for, when the provider has several
    calendar_years: bool = True  # can a calendar name years? (Cadenya's Calendar has no year field)
    at_must_be_future: bool = False  # the platform refuses a one-off whose time has passed


class _CapabilitiesView(Mapping[str, Capabilities]):
    """`provider` or `provider/revision` -> Capabilities, from the installed plugins
    (`reconciler.providers.plugin`); a lookup loads only that provider's descriptor."""

    def __getitem__(self, key: str) -> Capabilities:
        from reconciler.providers import plugin

        name, _, revision = key.partition("/")
        found = plugin.find(name)
        if found is not None and not revision:
            return found.capabilities[0]
        for caps in found.capabilities[1:] if found is not None else ():
            if caps.revision == revision:
                return caps
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        from reconciler.providers import plugin

        for installed in plugin.all_installed():
            for caps in installed.plugin.capabilities:
                yield f"{caps.provider}/{caps.revision}" if caps.revision else caps.provider

    def __len__(self) -> int:
        return sum(1 for _ in self)


CAPABILITIES: Mapping[str, Capabilities] = _CapabilitiesView()


def capabilities_for(provider: str, api: str | None = None) -> Capabilities:
    """The capabilities of `provider` at API revision `api` (its default revision when None or unknown)."""
    from reconciler.providers import plugin

    return plugin.get(provider).capabilities_for(api)
