"""Whether the `[sandbox]` extra is installed: the sandbox servers need FastAPI and uvicorn, the CLI does not.

`pip install agent-reconciler` gives a CLI that plans and applies against real platforms; `--sandbox` and
`reconciler sandbox serve` need `pip install 'agent-reconciler[sandbox]'`, and say so instead of failing with
an import error deep inside.
"""

from __future__ import annotations

from importlib.util import find_spec

from reconciler.errors import ConfigError

INSTALL_HINT = "pip install 'agent-reconciler[sandbox]'"


def require_sandbox_extra(what: str, *, server: bool = False) -> None:
    """Raise a ConfigError naming the extra when `what` (e.g. "--sandbox") cannot run here. `server`: the
    sandbox is to listen on a socket (uvicorn too), not only answer in process."""
    needed = ("fastapi", "uvicorn") if server else ("fastapi",)
    missing = [name for name in needed if find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"{what} needs the local sandbox servers, which are an optional part of reconciler "
            f"({', '.join(missing)} not installed): {INSTALL_HINT}"
        )
