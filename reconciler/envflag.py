"""On/off switches read from the environment (`RECONCILER_ALLOW_HTTP`, `RECONCILER_SANDBOX`).

A switch that weakens a safety rule must never be turned on by a value meant to turn it off: only explicit
true values enable one, the usual false values (and unset or empty) leave it off, and anything else is an
error naming the variable, rather than a guess in either direction.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.errors import ConfigError, printable

ALLOW_HTTP_ENV = (
    "RECONCILER_ALLOW_HTTP"  # plain http:// to another machine (reconciler/providers/transport.py)
)

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"", "0", "false", "no", "off"})


def env_flag(environ: Mapping[str, str], name: str) -> bool:
    """Whether switch `name` is on; ConfigError when its value is neither an on nor an off value."""
    value = environ.get(name, "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigError(
        f"{name}={printable(value[:40])!r} is neither on nor off: set it to 1 (or true, yes, on) to turn it on, "
        "or to 0 (or false, no, off), or unset it, to leave it off"
    )
