"""The provider plugins (`reconciler.providers` entry points): how they are found, what loading one costs,
and how the engine reads its descriptor (target fields, revisions)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from reconciler.bundle.validate import load_bundles
from reconciler.errors import ConfigError
from reconciler.providers import plugin
from reconciler.sandbox.app import PROVIDERS as EMULATORS
from tests.conftest import ROOT


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    """Forget what was found, before and after: the test changes what the entry points say."""
    caches = (plugin._entry_points, plugin._load)  # the test may replace the first one
    for cached in caches:
        cached.cache_clear()
    yield
    for cached in caches:
        cached.cache_clear()


def test_the_built_ins_are_found_without_package_metadata(
    monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    """A source checkout run with PYTHONPATH (no `pip install -e`) has no entry points: the built-ins stay."""
    monkeypatch.setattr(metadata, "entry_points", lambda **_: [])
    assert plugin.names() == ("agentex", "cadenya", "orq", "oz", "tbd-agents", "temporal")
    assert plugin.get("orq").revisions == ("v3", "display-name")
    assert "metadata not found" in plugin.installed("oz").distribution


def test_an_entry_point_that_is_no_descriptor_is_named_with_its_package(
    monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    broken = {"broken": ("reconciler.providers.rules:check_oz", "broken-dist", "0.1")}
    monkeypatch.setattr(plugin, "_entry_points", lambda: broken)
    with pytest.raises(
        ConfigError, match=r"provider plugin 'broken' \(from broken-dist\).*not a .*ProviderPlugin"
    ):
        plugin.get("broken")
    with pytest.raises(ConfigError, match="unknown provider 'nosuch'; installed: broken"):
        plugin.get("nosuch")


def test_each_built_in_emulator_is_the_one_its_descriptor_names() -> None:
    """The sandbox keeps its own list of the built-in emulators (it imports no provider code): the same
    classes as the descriptors', so `sandbox serve` and `reconciler providers` agree."""
    named = {
        name: plugin.get(name).sandbox.emulator
        for name in plugin.names()
        if plugin.get(name).sandbox.emulator
    }
    assert named == EMULATORS


def test_validate_loads_only_the_descriptor_of_the_bundles_provider(tmp_path: Path) -> None:
    """`validate` of a cadenya bundle imports no provider's HTTP code and no other provider's descriptor."""
    bundle = tmp_path / "b.yaml"
    bundle.write_text(
        "apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: k\ntarget: {provider: cadenya, workspace: ws}\n"
        "schedules:\n  - {name: a, agent: x, when: {cron: '0 9 * * *'}, input: {message: hi}}\n"
    )
    script = textwrap.dedent(
        f"""
        import json, sys
        from reconciler.cli.main import main
        code = main(["validate", {str(bundle)!r}])
        print(json.dumps([code, sorted(m for m in sys.modules if m.startswith("reconciler.providers."))]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    code, modules = json.loads(done.stdout.splitlines()[-1])
    assert code == 0
    assert "reconciler.providers.cadenya.plugin" in modules
    others = [m for m in modules if m.split(".")[2] in {"agentex", "orq", "oz", "tbd_agents", "temporal"}]
    assert others == []
    assert "reconciler.providers.cadenya.provider" not in modules


def _problems(tmp_path: Path, target: str) -> list[str]:
    path = tmp_path / "b.yaml"
    path.write_text(
        f"apiVersion: reconciler/v1\nkind: Bundle\nbundleKey: k\ntarget: {target}\n"
        "schedules:\n  - {name: a, agent: x, when: {cron: '0 9 * * *'}, input: {message: hi}}\n"
    )
    return [f"{d.line}: {d.message}" for d in load_bundles([str(path)], environ={}).diagnostics]


def test_target_fields_and_revisions_come_from_the_descriptor(tmp_path: Path) -> None:
    assert _problems(tmp_path, "{provider: cadenya, workspace: ws}") == []
    assert _problems(tmp_path, "{provider: oz, workspace: ws}") == [
        "4: target.workspace: oz has no workspaces, so nothing would use 'ws'; remove it"
    ]
    assert _problems(tmp_path, "{provider: cadenya, workspace: ws, taskQueue: q}") == [
        "4: target.taskQueue: cadenya has no task queues, so nothing would use 'q'; remove it"
    ]
    assert any("temporal needs target.taskQueue" in p for p in _problems(tmp_path, "{provider: temporal}"))
    assert _problems(tmp_path, "{provider: orq, api: v4}") == [
        "4: target.api: orq has no API revision 'v4'; use v3 or display-name (left out: v3)"
    ]
