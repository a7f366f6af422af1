"""`reconciler sandbox ...`: run a local emulator of a provider's API.

Imports of FastAPI and uvicorn wait until `serve` runs: every other CLI verb loads this module too.
"""

from __future__ import annotations

import shlex
import sys
from typing import Annotated

import typer

sandbox_app = typer.Typer(help="Run a local emulator of a provider's schedule API.", no_args_is_help=True)


@sandbox_app.command()
def serve(
    provider: Annotated[
        str,
        typer.Option(
            "--provider",
            help="cadenya, agentex, orq, oz or tbd-agents (emulators); temporal (a real Temporal dev server).",
        ),
    ],
    api: Annotated[
        str | None,
        typer.Option(
            "--api",
            help="API revision: agentex legacy (default) or run-schedules; orq v3 (default) or display-name.",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port; 0 picks a free one (printed).")] = 8765,
    db: Annotated[
        str, typer.Option("--db", help="SQLite file for the state; ':memory:' forgets it.")
    ] = ":memory:",
    api_key: Annotated[
        list[str] | None,
        typer.Option("--api-key", help="Accepted bearer token (repeatable). Default: sandbox-key."),
    ] = None,
    workspace: Annotated[
        str | None, typer.Option("--workspace", help="Workspace to create (default ws_sandbox).")
    ] = None,
    agents: Annotated[str, typer.Option("--agents", help="Agents to create: a,b,c.")] = "",
    latency: Annotated[
        str | None, typer.Option("--latency", help="Milliseconds per request: 20 or 10-30.")
    ] = None,
    rate_limit: Annotated[
        float | None, typer.Option("--rate-limit", help="Requests per second, then 429.")
    ] = None,
    fault_rate: Annotated[
        float, typer.Option("--fault-rate", help="Share of requests given a fault, 0..1.")
    ] = 0.0,
    seed: Annotated[
        int, typer.Option("--seed", help="Fault seed: same seed, same requests, same faults.")
    ] = 0,
    fault_kinds: Annotated[
        str, typer.Option("--fault-kinds", help="Faults to draw from: 500,503,429,drop,lost.")
    ] = "500,503,429,drop,lost",
    retry_after: Annotated[
        int, typer.Option("--retry-after", help="Retry-After seconds on 429/503 faults.")
    ] = 1,
) -> int:
    """Serve a provider's API on 127.0.0.1 until Ctrl-C; prints the URL and the variables to export."""
    from reconciler.providers import plugin

    found = plugin.find(provider)
    if found is not None and found.sandbox.start and not found.sandbox.emulator:
        emulator_only = {
            "--api": api is not None,
            "--api-key": bool(api_key),
            "--workspace": workspace is not None,
            "--latency": latency is not None,
            "--rate-limit": rate_limit is not None,
            "--fault-rate": fault_rate != 0.0,
        }
        unused = [flag for flag, given in emulator_only.items() if given]
        return _serve_real(provider, found.sandbox.start, host, port, db, unused)
    import sqlite3

    from reconciler.sandbox.extra import require_sandbox_extra

    require_sandbox_extra("reconciler sandbox serve", server=True)
    from reconciler.sandbox.config import DEV_API_KEY, Latency, SandboxConfig, Traffic, parse_fault_kinds

    keys = tuple(api_key or (DEV_API_KEY,))
    try:
        config = SandboxConfig(
            provider=provider,
            api=api,
            db=db,
            api_keys=keys,
            workspace=workspace,
            agents=tuple(a.strip() for a in agents.split(",") if a.strip()),
            traffic=Traffic(
                latency=Latency.parse(latency) if latency else None,
                rate_limit=rate_limit,
                fault_rate=fault_rate,
                seed=seed,
                fault_kinds=parse_fault_kinds(fault_kinds),
                retry_after=retry_after,
            ),
        )
        from reconciler.sandbox.app import build_app
        from reconciler.sandbox.serve import bind
        from reconciler.sandbox.serve import serve as run

        app = build_app(config)
    except ValueError as exc:  # bad option values, unknown provider or revision, a stale database file
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as exc:
        print(f"error: cannot open the sandbox database {db}: {exc}", file=sys.stderr)
        return 1
    try:
        sock = bind(host, port)
    except OSError as exc:
        app.close()
        print(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    url = _url(host, sock.getsockname()[1])
    sb = app.sandbox

    def announce() -> None:
        agents_note = f", agents {', '.join(config.agents)}" if config.agents else ""
        print(
            f"# reconciler sandbox: {sb.provider.name} (API {sb.api}) on {url}, state in {config.db}{agents_note}"
        )
        for name, value in sb.provider.env_vars(url, keys[0], sb.workspace).items():
            if value == keys[0] and value != DEV_API_KEY:
                print(f"# export {name}=...  (the --api-key you passed; keys are never printed)")
            else:
                print(f"export {name}={shlex.quote(value)}")
        print("# Ctrl-C stops it.", flush=True)

    run(app, sock, announce)
    return 0


def _url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def _serve_real(provider: str, start: str, host: str, port: int, db: str, ignored: list[str]) -> int:
    """A provider whose sandbox is a real server (Temporal's dev server): started by the plugin's `start`
    (a context manager taking host, http_port and db_file), its HTTP API on `port`, until Ctrl-C."""
    import signal
    from pathlib import Path

    from reconciler.errors import ConfigError
    from reconciler.providers import plugin

    if ignored:
        print(
            f"# {', '.join(ignored)}: not used: the {provider} sandbox is a real server "
            "(no API key, no injected latency or faults)",
            file=sys.stderr,
        )
    try:
        dev_server = plugin.load_attribute(start, f"the {provider} sandbox")
        with dev_server(host=host, http_port=port, db_file=None if db == ":memory:" else Path(db)) as server:
            print(f"# reconciler sandbox: {provider} (a real server) on {server.http_url}")
            for name, value in server.env().items():
                print(f"export {name}={shlex.quote(value)}")
            print("# Ctrl-C stops it.", flush=True)
            # Until Ctrl-C or SIGTERM: both blocked and waited for, so the server is always stopped on the way out.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
