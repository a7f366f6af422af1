"""Local emulators of the providers' schedule APIs (FastAPI + SQLite), for tests, benchmarks and `--sandbox`.

Entry points: `config.SandboxConfig` -> `app.build_app(config)` (an ASGI app) -> `serve.serve` (uvicorn)
or `transport.in_process_transport(app)` (httpx, no socket). One package per provider (`cadenya/`);
the store, auth, traffic shaping, stats, clock and admin routes are shared.
"""
