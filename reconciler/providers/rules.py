"""What each platform refuses, or stores differently, beyond the timing forms of `capabilities`: labels,
options, input, the target. Checked by `validate` (through `reconciler.bundle.semantics`), each problem at
its field, so that a bundle `validate` passes is one whose every request the platform accepts and whose
read-back returns it unchanged: `plan` and `apply` never find out later. Pure data and functions.

Sources: each vendor's API reference and SDK (the rules their servers apply to a field), and the places the
reconciler itself keeps its ownership marker on the platform (a label or metadata key of the bundle's that
looked like the marker would be read back as the marker, and never converge).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.bundle.sensitive import Sensitive
from reconciler.providers import plugin
from reconciler.providers.capabilities import Capabilities

Path_ = tuple[str | int, ...]
Report = Callable[[Path_, str], None]

# Cadenya label rules (its API reference; the Kubernetes label rules): a name of 1-63 characters, a value of
# at most 63, both [A-Za-z0-9._-] starting and ending with a letter or digit; a key may be prefixed by a DNS
# subdomain of at most 253 characters and '/'. ASCII only.
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", re.ASCII)
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?", re.ASCII)
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", re.ASCII)
# Cadenya keeps the names of the `data` keys that hold secrets in one label value, '.'-separated.
_SECRET_KEY = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?", re.ASCII)
CADENYA_MARKER_PREFIX = "reconciler.dev/"
# Oz metadata (oz-agent-sdk): at most 20 keys of 1-64 bytes [a-zA-Z0-9._-], values <= 256 bytes without NUL.
OZ_METADATA_KEY = re.compile(r"[a-zA-Z0-9._-]{1,64}", re.ASCII)
OZ_MARKER_PREFIX = "reconciler."
# Eight keys are kept for the ownership marker (bundle, name, protect, every, mode, archived, source, and
# applied: the record of what was last applied).
OZ_MARKER_KEYS = 8
OZ_MAX_LABELS = 20 - OZ_MARKER_KEYS
OZ_VALUE_MAX_BYTES = 256
OZ_HARNESSES = ("oz", "claude", "gemini", "codex")
ORQ_MARKER_PREFIX = "reconciler.dev/"
AGENTEX_MARKER_PREFIX = "reconciler.dev/"

# How a provider without a target field is told so: "{provider} has no {words}".
_FIELD_WORDS = {"workspace": "workspaces", "namespace": "namespaces", "taskQueue": "task queues"}


def check_target(target: Mapping[str, Any], report: Report) -> None:
    """`target.api` must name a revision the provider has; every other target field must be one the
    provider uses (its plugin's `target_fields`), and the ones it requires must be there."""
    provider = str(target.get("provider"))
    found = plugin.find(provider)
    if found is None:  # the bundle's structure check has reported it
        return
    api = target.get("api")
    revisions = found.revisions
    if api is not None and api not in revisions:
        if revisions:
            allowed = f"{' or '.join(revisions)} (left out: {revisions[0]})"
            report(("target", "api"), f"target.api: {provider} has no API revision '{api}'; use {allowed}")
        else:
            report(("target", "api"), f"target.api: {provider} has one API; remove 'api: {api}'")
    for name, value in target.items():
        if name in ("provider", "api") or value is None or found.target_field(name) is not None:
            continue
        words = _FIELD_WORDS.get(name, f"target.{name}")
        report(
            ("target", name),
            f"target.{name}: {provider} has no {words}, so nothing would use '{value}'; remove it",
        )
    for field in found.target_fields:
        if field.required and not target.get(field.name):
            report(("target",), field.required)


def check_schedule_rules(data: Mapping[str, Any], caps: Capabilities, report: Report) -> None:
    """Every platform rule for one rendered schedule (its plugin's rule check); each problem goes to
    `report(path, message)`."""
    found = plugin.find(caps.provider)
    check = _rule_check(found) if found is not None else None
    if check is not None:
        check(data, caps, report)


_RULE_CHECKS: dict[str, plugin.RuleCheck | None] = {}


def _rule_check(found: plugin.ProviderPlugin) -> plugin.RuleCheck | None:
    """The plugin's rule check, imported once per `module:function` (this runs once per schedule)."""
    if found.rules not in _RULE_CHECKS:
        _RULE_CHECKS[found.rules] = found.rule_check()
    return _RULE_CHECKS[found.rules]


# --- shared ------------------------------------------------------------------------------------------------
def _mapping(data: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    # `type(...) is dict` first: rendered data is plain dicts, and the ABC check costs ten times more (this
    # runs several times per schedule).
    value: Any = data
    for part in path:
        value = value.get(part) if type(value) is dict or isinstance(value, Mapping) else None
    return value if type(value) is dict or isinstance(value, Mapping) else {}


def _text_options(data: Mapping[str, Any], provider: str, keys: tuple[str, ...], report: Report) -> None:
    options = _mapping(data, "options")
    for key in keys:
        if key in options and options[key] is not None and not isinstance(options[key], str | Sensitive):
            report(("options", key), f"options.{key}: {provider} takes text here; quote the value")


def _object_options(data: Mapping[str, Any], provider: str, keys: tuple[str, ...], report: Report) -> None:
    options = _mapping(data, "options")
    for key in keys:
        if key in options and options[key] is not None and not isinstance(options[key], Mapping):
            report(("options", key), f"options.{key}: {provider} takes a mapping (a JSON object) here")


def _reserved_keys(values: Mapping[str, Any], prefix: str, path: Path_, what: str, report: Report) -> None:
    for key in values:
        if str(key).startswith(prefix):
            report(
                (*path, key),
                f"{what} '{key}': keys starting with '{prefix}' hold the reconciler's ownership marker "
                "(it would be read back as the marker); rename it",
            )


def _data_and_secrets_apart(data: Mapping[str, Any], provider: str, report: Report) -> None:
    clash = sorted(set(_mapping(data, "input", "data")) & set(_mapping(data, "input", "secrets")))
    for key in clash:
        report(
            ("input", "secrets", key),
            f"input.secrets.{key}: input.data sets '{key}' too, and {provider} keeps both in one set of "
            "variables (one would overwrite the other); use one of them",
        )


# --- per provider --------------------------------------------------------------------------------------------
def check_cadenya(data: Mapping[str, Any], caps: Capabilities, report: Report) -> None:
    for key, value in _mapping(data, "labels").items():
        key = str(key)
        prefix, _, name = key.rpartition("/")
        if key.startswith(CADENYA_MARKER_PREFIX):
            _reserved_keys({key: value}, CADENYA_MARKER_PREFIX, ("labels",), "label", report)
        elif not _LABEL_NAME.fullmatch(name) or (
            prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix))
        ):
            report(
                ("labels", key),
                f"label '{key}': cadenya label keys are 1-63 ASCII letters, digits, '-', '_' or '.', starting "
                "and ending with a letter or digit, optionally after a DNS subdomain (lower case, at most "
                "253 characters) and one '/'",
            )
        if isinstance(value, str) and not _LABEL_VALUE.fullmatch(value):
            report(
                ("labels", key),
                f"label '{key}': cadenya label values are at most 63 ASCII letters, digits, '-', '_' or '.', "
                f"starting and ending with a letter or digit; '{value}' is not",
            )
    secrets = _mapping(data, "input", "secrets")
    for key in secrets:
        if not _SECRET_KEY.fullmatch(str(key)):
            report(
                ("input", "secrets", key),
                f"input.secrets.{key}: cadenya keeps the names of secret keys in a label, '.'-separated: use "
                "ASCII letters, digits, '-' and '_', starting and ending with a letter or digit",
            )
    joined = ".".join(sorted(str(k) for k in secrets))
    if len(joined) > 63:
        report(
            ("input", "secrets"),
            f"input.secrets: cadenya keeps the names of secret keys in one label of at most 63 characters; "
            f"'{joined}' has {len(joined)}: use fewer or shorter names",
        )
    _data_and_secrets_apart(data, "cadenya", report)
    _object_options(data, "cadenya", ("userData",), report)
    _text_options(data, "cadenya", ("variationId",), report)


def check_agentex(data: Mapping[str, Any], caps: Capabilities, report: Report) -> None:
    options = _mapping(data, "options")
    if caps.revision == "run-schedules":
        _text_options(data, "agentex", ("description",), report)
        _object_options(data, "agentex", ("task_params", "task_metadata"), report)
        metadata = _mapping(data, "options", "task_metadata")
        _reserved_keys(
            metadata, AGENTEX_MARKER_PREFIX, ("options", "task_metadata"), "task_metadata key", report
        )
        return
    _text_options(data, "agentex", ("workflow_name", "task_queue"), report)
    for key in ("workflow_name", "task_queue", "execution_timeout_seconds"):
        if isinstance(options.get(key), Sensitive):
            report(
                ("options", key),
                f"options.{key}: secret() is not allowed here: agentex legacy has no field to record that a "
                "value is secret (it would be shown, and exported, in clear); only options.workflow_params "
                "may hold one",
            )
    _object_options(data, "agentex", ("workflow_params",), report)
    timeout = options.get("execution_timeout_seconds")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1):
        report(
            ("options", "execution_timeout_seconds"),
            f"options.execution_timeout_seconds: agentex takes a whole number of seconds, at least 1; got {timeout!r}",
        )


def check_orq(data: Mapping[str, Any], caps: Capabilities, report: Report) -> None:
    _text_options(data, "orq", ("agent_tag", "memory_entity_id"), report)
    _object_options(data, "orq", ("metadata",), report)
    metadata = _mapping(data, "options", "metadata")
    _reserved_keys(metadata, ORQ_MARKER_PREFIX, ("options", "metadata"), "options.metadata key", report)
    if caps.revision == "display-name":
        for key, value in metadata.items():
            if not isinstance(value, str | Sensitive):  # a value read with secret() is text
                report(
                    ("options", "metadata", key),
                    f"options.metadata.{key}: orq's display-name API takes text values only; quote it",
                )
    _data_and_secrets_apart(data, "orq", report)
    for key, value in _mapping(data, "input", "data").items():
        if isinstance(value, Mapping) and "secret" in value:
            report(
                ("input", "data", key),
                f"input.data.{key}: orq reads a variable with a 'secret' key as a secret variable (write-only: "
                "it reads back without its value); put secrets in input.secrets, or rename the key",
            )


def check_oz(data: Mapping[str, Any], caps: Capabilities, report: Report) -> None:
    labels = _mapping(data, "labels")
    if len(labels) > OZ_MAX_LABELS:
        report(
            ("labels",),
            f"labels: oz keeps labels in `metadata` (at most 20 keys, {OZ_MARKER_KEYS} kept for the ownership marker): at "
            f"most {OZ_MAX_LABELS} labels, got {len(labels)}",
        )
    for key, value in labels.items():
        key = str(key)
        if key.startswith(OZ_MARKER_PREFIX):
            _reserved_keys({key: value}, OZ_MARKER_PREFIX, ("labels",), "label", report)
        elif not OZ_METADATA_KEY.fullmatch(key):
            report(
                ("labels", key),
                f"label '{key}': oz metadata keys are 1-64 ASCII letters, digits, '.', '_' or '-'",
            )
        if isinstance(value, str) and (len(value.encode()) > OZ_VALUE_MAX_BYTES or "\x00" in value):
            report(
                ("labels", key),
                f"label '{key}': oz metadata values are at most 256 bytes of UTF-8, without NUL",
            )
    options = _mapping(data, "options")
    config = options.get("agent_config")
    if config is not None and not isinstance(config, Mapping):
        report(
            ("options", "agent_config"), "options.agent_config: oz takes a mapping (its AmbientAgentConfig)"
        )
    elif isinstance(config, Mapping):
        if config.get("skill_spec") and config.get("skills"):
            report(
                ("options", "agent_config"),
                "options.agent_config: give skill_spec or skills, not both (oz refuses both)",
            )
        harness = config.get("harness")
        if harness is not None and (
            not isinstance(harness, Mapping) or harness.get("type") not in (None, *OZ_HARNESSES)
        ):
            report(
                ("options", "agent_config", "harness"),
                f"options.agent_config.harness: oz takes a mapping whose type is one of {', '.join(OZ_HARNESSES)}",
            )
    if "team" in options and not isinstance(options["team"], bool):
        report(("options", "team"), "options.team: true (a team schedule) or false (a personal one)")
    agent = data.get("agent")
    if options.get("team") is False and agent not in (None, "default"):
        report(
            ("agent",),
            f"agent '{agent}' is an agent identity (agent_uid), which oz allows on team schedules only: drop "
            "`team: false`, or use agent 'default'",
        )
    skill = isinstance(config, Mapping) and bool(config.get("skill_spec") or config.get("skills"))
    if not _mapping(data, "input").get("message") and not skill:
        report(
            ("input",),
            "oz needs input.message (the prompt) unless options.agent_config names a skill (skill_spec or skills)",
        )
