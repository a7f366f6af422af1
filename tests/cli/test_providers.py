"""`reconciler providers`: what is installed, with each provider's limits, through the real CLI; and a
third-party provider that registers from its own distribution, without a line of reconciler changed."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

from tests.conftest import run_cli

BUILT_IN = {"agentex", "cadenya", "orq", "oz", "tbd-agents", "temporal"}


def _providers(env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run_cli("providers", "--format", "json", env=env)
    assert result.code == 0, result.err
    return {entry["name"]: entry for entry in json.loads(result.out)["providers"]}


def test_lists_the_built_in_providers_with_their_limits() -> None:
    listed = _providers()
    assert set(listed) >= BUILT_IN
    assert {listed[name]["distribution"] for name in BUILT_IN} == {"agent-reconciler"}
    orq = listed["orq"]
    assert [r["api"] for r in orq["revisions"]] == ["v3", "display-name"]
    assert orq["revisions"][0]["default"] and orq["revisions"][0]["minCadenceSeconds"] == 3600
    assert orq["revisions"][1]["forms"] == ["cron"]
    temporal = listed["temporal"]
    assert {f["name"]: f["required"] for f in temporal["targetFields"]} == {
        "namespace": False,
        "taskQueue": True,
    }
    assert temporal["revisions"][0]["utcOnly"] is False and "overlap" in temporal["revisions"][0]["options"]
    assert temporal["connection"]["address"] == "TEMPORAL_ADDRESS"
    assert temporal["sandbox"]["kind"] == "real server"
    assert listed["cadenya"]["sandbox"]["kind"] == "emulator"
    assert listed["oz"]["connection"]["apiKey"] == "WARP_API_KEY"


def test_text_names_every_provider_and_its_connection() -> None:
    result = run_cli("providers")
    assert result.code == 0, result.err
    for name in BUILT_IN:
        assert f"\n{name}  (from agent-reconciler" in f"\n{result.out}"
    assert "TEMPORAL_HTTP_ADDRESS or TEMPORAL_ADDRESS" in result.out
    assert "UTC only; at most once every 1h" in result.out  # orq
    assert "target fields: namespace, taskQueue (required)" in result.out


def _acme_distribution(site: Path) -> None:
    """A provider package as a third party would ship it: its own module and an entry point in its own
    distribution's metadata. It reuses Cadenya's API under another name (and Cadenya's emulator)."""
    package = site / "acme_reconciler"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(
        textwrap.dedent(
            """
            from dataclasses import replace

            from reconciler.providers.cadenya.plugin import PLUGIN as CADENYA
            from reconciler.providers.plugin import Connection, ProviderPlugin

            PLUGIN = ProviderPlugin(
                name="acme",
                provider="acme_reconciler.provider:AcmeProvider",
                capabilities=(replace(CADENYA.capabilities[0], provider="acme", options=("overlapPolicy",)),),
                connection=Connection("ACME_BASE_URL", None, "ACME_API_KEY"),
                target_fields=CADENYA.target_fields,
                forecast_family="cadenya",
                sandbox=CADENYA.sandbox,
                docs="Acme: Cadenya's API under another name",
            )
            """
        )
    )
    (package / "provider.py").write_text(
        textwrap.dedent(
            """
            from reconciler.providers.cadenya.provider import CadenyaProvider
            from reconciler.providers.capabilities import CAPABILITIES


            class AcmeProvider(CadenyaProvider):
                name = "acme"
                capabilities = CAPABILITIES["acme"]
            """
        )
    )
    info = site / "acme_reconciler-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-reconciler\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[reconciler.providers]\nacme = acme_reconciler.plugin:PLUGIN\n")


ACME_BUNDLE = """\
apiVersion: reconciler/v1
kind: Bundle
bundleKey: acme-team
target: {provider: acme, workspace: ws}
schedules:
  - name: daily
    agent: helper
    when: {cron: "0 9 * * *", timezone: Europe/Berlin}
    input: {message: hello}
    options: {%s: OVERLAP_POLICY_SKIP}
"""


def test_a_third_party_provider_registers_without_touching_reconciler(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _acme_distribution(site)
    env = {"PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p)}

    listed = _providers(env)
    assert listed["acme"]["distribution"] == "acme-reconciler" and listed["acme"]["version"] == "1.0"
    assert listed["acme"]["revisions"][0]["options"] == ["overlapPolicy"]
    assert set(listed) >= BUILT_IN

    bundle = tmp_path / "acme.yaml"
    bundle.write_text(ACME_BUNDLE % "overlapPolicy")
    assert run_cli("validate", str(bundle), env=env).code == 0
    bundle.write_text(ACME_BUNDLE % "userData")  # a Cadenya option the acme descriptor does not list
    refused = run_cli("validate", str(bundle), env=env)
    assert refused.code == 1 and "unknown acme option 'userData'" in refused.out

    # plan and apply it against its emulator (the descriptor's sandbox), embedded in the command
    bundle.write_text(ACME_BUNDLE % "overlapPolicy")
    applied = run_cli("apply", "--sandbox", "--auto-approve", str(bundle), env=env, cwd=tmp_path)
    assert applied.code == 0, applied.err
    again = run_cli("plan", "--sandbox", "--detailed-exitcode", str(bundle), env=env, cwd=tmp_path)
    assert again.code == 0, again.out + again.err  # converged: nothing left to change

    # preview and calendar use the family its descriptor names (cadenya's rules), not its own name
    preview = run_cli("preview", "--count", "2", str(bundle), env=env)
    assert preview.code == 0 and "Traceback" not in preview.err, preview.err
    assert "acme" in preview.out

    # without the package, the same bundle names an unknown provider, and the error lists what is installed
    missing = run_cli("validate", str(bundle))
    assert missing.code == 1
    assert "'provider' must be one of the installed providers" in missing.out and "'temporal'" in missing.out
