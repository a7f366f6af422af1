"""What users deploy the controller with (docs/deploying.md): the Dockerfile, the Kubernetes manifests and
the systemd unit in docs/deploy/. Docker and Kubernetes cannot run here, so:

- the Kubernetes manifests are validated against the API's own schemas (kubernetes-validate, strict: an
  unknown field fails) for 1.28, the first release that labels StatefulSet pods with their ordinal, and for
  the newest release it bundles; the ServiceMonitor is a CRD those schemas do not hold, so it is checked
  against a schema of the fields it uses, written from the Prometheus Operator's API reference;
- the pieces must fit together (a Service that selects no pod, or a probe on a port the container does not
  open, validates fine and fails in the cluster), and these tests check that;
- the Dockerfile is read, and the package is built and installed from exactly what it copies into the image
  (no hadolint here); the systemd unit is parsed, and `systemd-analyze verify` runs when present.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from reconciler.controller.shards import parse_shard

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "docs" / "deploy" / "kubernetes"
UNIT = ROOT / "docs" / "deploy" / "systemd" / "reconciler.service"
VERSIONS = ("1.28.0", kubernetes_validate.latest_version())
POD_INDEX = "metadata.labels['apps.kubernetes.io/pod-index']"
# The ServiceMonitor fields used, as the Prometheus Operator's CRD defines them (monitoring.coreos.com/v1).
SERVICE_MONITOR = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}
                    },
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "interval": {"type": "string", "pattern": r"^(0|(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$"},
                            "scrapeTimeout": {
                                "type": "string",
                                "pattern": r"^(0|(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$",
                            },
                        },
                    },
                },
            },
        },
    },
}


def documents() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path.name, document


def manifest(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for _, d in documents() if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"{kind} {name}: {len(found)}"
    return found[0]


def controller(workload: dict[str, Any]) -> dict[str, Any]:
    [container] = workload["spec"]["template"]["spec"]["containers"]
    return dict(container)


def flag(container: dict[str, Any], name: str) -> str:
    args = container["args"]
    return str(args[args.index(name) + 1])


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_is_valid_for_kubernetes(version: str) -> None:
    checked = []
    for file, document in documents():
        if document["kind"] == "ServiceMonitor":
            jsonschema.validate(document, SERVICE_MONITOR)
        else:
            kubernetes_validate.validate(document, version, strict=True)
        checked.append((file, document["kind"]))
    kinds = {kind for _, kind in checked}
    assert {"Deployment", "StatefulSet", "Service", "Secret", "ServiceMonitor"} <= kinds


def test_the_validation_would_catch_a_mistake() -> None:
    deployment = manifest("Deployment")
    typo = {**deployment, "spec": {**deployment["spec"], "replica": 1}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, VERSIONS[0], strict=True)
    monitor = manifest("ServiceMonitor")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**monitor, "spec": {**monitor["spec"], "endpoint": []}}, SERVICE_MONITOR)


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
def test_the_controller_runs_locked_down_with_its_probes_and_keys_from_the_secret(kind: str) -> None:
    workload = manifest(kind)
    pod = workload["spec"]["template"]["spec"]
    container = controller(workload)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == dockerfile_uid()
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    # the git working copy is writable: an emptyDir at the --workdir
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts[flag(container, "--workdir")]]
    # the probes reach the port the controller listens on
    [port] = container["ports"]
    assert flag(container, "--listen") == f"0.0.0.0:{port['containerPort']}"
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    # every key comes from the Secret example, by a key it has; no value is written in the manifest
    secret = manifest("Secret")
    from_secret = {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in container["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert "CADENYA_API_KEY" in from_secret
    assert all(
        ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"]
        for ref in from_secret.values()
    )
    assert not any("value" in e for e in container["env"])
    # `$(VAR)` in args is expanded by Kubernetes only for variables the container defines
    names = {e["name"] for e in container["env"]}
    assert all(ref in names for arg in container["args"] for ref in re.findall(r"\$\((\w+)\)", arg))


def test_one_controller_at_a_time_without_shards() -> None:
    deployment = manifest("Deployment")
    assert deployment["spec"]["replicas"] == 1 and deployment["spec"]["strategy"] == {"type": "Recreate"}
    assert "--shard" not in controller(deployment)["args"]


def test_each_statefulset_pod_owns_the_shard_of_its_ordinal() -> None:
    statefulset = manifest("StatefulSet")
    container = controller(statefulset)
    replicas = statefulset["spec"]["replicas"]
    shard = flag(container, "--shard")
    [ordinal] = [e for e in container["env"] if e["name"] == "ORDINAL"]
    assert ordinal["valueFrom"]["fieldRef"]["fieldPath"] == POD_INDEX
    # every pod the StatefulSet runs (ordinals 0 … replicas-1) gets a valid, distinct shard of `replicas`
    shards = [parse_shard(shard.replace("$(ORDINAL)", str(i))) for i in range(replicas)]
    assert shards == [(i, replicas) for i in range(replicas)]
    headless = manifest("Service", statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"


def test_the_pod_index_label_is_a_field_the_downward_api_offers() -> None:
    """The schemas cannot know label names; they do document which fieldRef paths an env var may use."""
    for version in VERSIONS:
        folder = (
            Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"v{version}-local-strict"
        )
        definitions = json.loads((folder / "_definitions.json").read_text())["$defs"]
        source = definitions["io.k8s.api.core.v1.EnvVarSource"]["properties"]["fieldRef"]["description"]
        assert "metadata.labels['<KEY>']" in source


def test_services_and_the_service_monitor_find_the_pods_and_their_port() -> None:
    monitor = manifest("ServiceMonitor")
    services = [d for _, d in documents() if d["kind"] == "Service"]
    workloads = [manifest("Deployment"), manifest("StatefulSet")]
    for workload in workloads:
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
        [service] = [s for s in services if s["spec"]["selector"].items() <= labels.items()]
        port_names = {p["name"] for p in controller(workload)["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names
        # Prometheus scrapes this workload's Service, on a port the Service has
        assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        assert {e["port"] for e in monitor["spec"]["endpoints"]} <= {
            p["name"] for p in service["spec"]["ports"]
        }
    assert {e["path"] for e in monitor["spec"]["endpoints"]} == {"/metrics"}


def test_the_examples_hold_no_real_secret() -> None:
    values = list(manifest("Secret")["stringData"].values())
    env_file = UNIT.with_name("reconciler.env.example").read_text()
    values += [
        line.split("=", 1)[1] for line in env_file.splitlines() if "=" in line and not line.startswith("#")
    ]
    assert values and all(v.startswith("REPLACE") for v in values)


def test_the_flags_are_the_controllers() -> None:
    """Every flag the manifests and the unit pass is one `reconciler controller` accepts."""
    used = {
        a
        for _, d in documents()
        if d["kind"] in ("Deployment", "StatefulSet")
        for a in controller(d)["args"]
        if a.startswith("--")
    }
    used |= {a for a in shlex.split(unit()["Service"]["ExecStart"]) if a.startswith("--")}
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", "controller", "--help"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip("`reconciler controller` is not on this branch yet")
    assert {f for f in used if f not in proc.stdout} == set()


# ---- Dockerfile


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def dockerfile_uid() -> int:
    [*_, last] = [args for instruction, args in dockerfile() if instruction == "USER"]
    return int(last.split(":")[0])


def test_the_image_runs_the_controller_as_a_user_with_git() -> None:
    steps = dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    assert dockerfile_uid() > 0  # numeric, so Kubernetes' runAsNonRoot can check it
    assert [json.loads(args) for i, args in steps if i == "ENTRYPOINT"] == [["reconciler", "controller"]]
    assert not any(i == "CMD" for i, _ in steps)  # `docker run IMAGE --repo ...` passes every flag
    installs = [shlex.split(args) for i, args in steps if i == "RUN" and "apt-get install" in args]
    assert installs and "git" in installs[0]
    order = [i for i, _ in steps]
    assert order.index("USER") > max(
        n for n, i in enumerate(order) if i == "RUN"
    )  # nothing runs as root after


def pip_install() -> list[str]:
    [run] = [args for i, args in dockerfile() if i == "RUN" and "pip install" in args]
    words = shlex.split(run.split("&&")[0])
    return words


def test_the_image_installs_the_base_package_pinned_by_the_lock() -> None:
    words = pip_install()
    assert words[words.index("--constraint") + 1] == "constraints.txt"
    assert (
        words[-1] == "."
    )  # this checkout, no extras: the controller needs neither sandbox nor test packages


def copied() -> list[str]:
    sources = []
    for instruction, args in dockerfile():
        if instruction == "COPY":
            sources.extend(shlex.split(args)[:-1])
    return sources


def test_the_build_context_holds_what_the_image_copies_and_nothing_more() -> None:
    ignore = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert ignore[0] == "*"  # everything is left out (a .venv, sandbox state, credentials) ...
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert {s.rstrip("/") for s in copied()} == allowed  # ... but what the Dockerfile copies
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {project["readme"], *project["license-files"], "pyproject.toml"} <= allowed  # the build reads them
    assert all((ROOT / s).exists() for s in copied())


def test_the_package_installs_from_the_files_the_image_copies(tmp_path: Path) -> None:
    """The Dockerfile's install line, run on a copy of exactly what it copies, in a fresh virtualenv."""
    context = tmp_path / "src"
    context.mkdir()
    for source in copied():
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, context / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / source, context / source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    words = pip_install()
    assert words[:4] == ["python", "-m", "pip", "install"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "RECONCILER_"))}
    subprocess.run(
        [str(venv / "bin" / "python"), *words[1:]], cwd=context, env=clean, check=True, timeout=600
    )
    version = subprocess.run(
        [str(venv / "bin" / "reconciler"), "--version"], capture_output=True, text=True, env=clean
    )
    assert version.returncode == 0 and version.stdout.startswith("reconciler ")
    probe = "import importlib.util as u; print(u.find_spec('prometheus_client') is not None, u.find_spec('fastapi'))"
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, env=clean
    )
    assert found.stdout.split() == ["True", "None"]  # /metrics' library in, the sandbox servers out


# ---- systemd


def unit() -> configparser.ConfigParser:
    """The unit as systemd reads it: `\\` at a line's end continues it; keys are case-sensitive."""
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(re.sub(r"\\\n\s*", " ", UNIT.read_text()))
    return parser


def test_the_systemd_unit_restarts_stops_gently_and_reads_keys_from_a_file() -> None:
    service = unit()["Service"]
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM" and int(service["TimeoutStopSec"]) >= 30
    assert service["EnvironmentFile"].startswith("/etc/")
    assert service.get("DynamicUser") == "yes" or service.get("User") not in (None, "root")
    command = shlex.split(service["ExecStart"])
    assert command[1] == "controller"
    assert command[command.index("--workdir") + 1] == f"/var/lib/{service['StateDirectory']}"
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """`verify` wants the command to exist: the unit is checked with this environment's `reconciler`."""
    binary = shutil.which("reconciler") or str(Path(sys.executable).parent / "reconciler")
    copy = tmp_path / "reconciler.service"
    copy.write_text(UNIT.read_text().replace("/opt/reconciler/bin/reconciler", binary))
    proc = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    complaints = [line for line in (proc.stdout + proc.stderr).splitlines() if "reconciler.service" in line]
    assert proc.returncode == 0 and complaints == [], proc.stdout + proc.stderr
