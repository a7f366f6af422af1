"""What every end-to-end module does the same way: write a bundle, run the real CLI against a sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Run, run_cli
from tests.sandbox_server import Server


def bundle_text(
    target: dict[str, Any], schedules: list[dict[str, Any]], key: str = "team", prune: str = "archive"
) -> str:
    document = {
        "apiVersion": "reconciler/v1",
        "kind": "Bundle",
        "bundleKey": key,
        "target": target,
        "prune": prune,
        "schedules": schedules,
    }
    return json.dumps(document)  # JSON is YAML


def write(tmp_path: Path, text: str, name: str = "bundle.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def cli(server: Server, *args: str, env: dict[str, str] | None = None) -> Run:
    return run_cli(*args, env={**server.env, **(env or {})})


def plan_json(server: Server, *paths: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = cli(server, "plan", "--format", "json", *paths, env=env)
    assert result.code == 0, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def requests_made(server: Server) -> int:
    return int(server.admin("GET", "stats")["total"])


def writes_made(server: Server) -> int:
    """How many requests the sandbox answered that could change something (any method but GET)."""
    routes = server.admin("GET", "stats")["routes"]
    return sum(
        int(n)
        for route, answers in routes.items()
        if not route.startswith("GET ") and "/_sandbox/" not in route
        for n in answers.values()
    )


def export(server: Server, tmp_path: Path, *flags: str) -> tuple[str, str, str]:
    """`reconciler export FLAGS --bundle-key imported` into a file that must validate: (its path, its text,
    what export said on stderr). Its plan (adoptions only, then nothing) is the conformance kit's."""
    exported = tmp_path / "exported.yaml"
    result = cli(server, "export", *flags, "--bundle-key", "imported", "--out", str(exported))
    assert result.code == 0, result.err
    checked = cli(server, "validate", str(exported))
    assert checked.code == 0, checked.out + checked.err + exported.read_text()
    return str(exported), exported.read_text(), result.err
