"""The published JSON Schema of the plan document (`schemas/plan.schema.json`), built from the same constants
the explainer writes with (`FORMAT_VERSION`, the action kinds, the redaction marker), so the two never
disagree; `reconciler schema --check` fails when the committed copy is stale. Users' guide: docs/plan-json.md.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.bundle.sensitive import REDACTED
from reconciler.plan.explain import FORMAT_VERSION
from reconciler.plan.model import KINDS

SCHEMA_ID = "https://reconciler.dev/schemas/plan.schema.json"
SCHEMA_PATH = "schemas/plan.schema.json"

KIND_MEANINGS = {
    "create": "a schedule the bundle declares that does not exist yet: it will be created",
    "update": "an owned schedule whose fields differ from the bundle: the changed fields will be written",
    "pause": "an owned schedule the bundle declares `state: paused`: it will be paused",
    "resume": "an owned paused (or archived) schedule the bundle declares active: it will be resumed",
    "archive": "an owned schedule that left the bundle (prune: archive), or a duplicate: it will be archived",
    "delete": "an owned schedule that left a bundle with prune: delete: it will be deleted (needs --allow-delete)",
    "adopt": "an unowned schedule the bundle takes over (`adopt: true`): the ownership marker will be added",
    "rename": "an owned schedule renamed in the bundle (`renamedFrom`), or taken over from another bundle: "
    "renamed in place (same id and fire history), with any other change in the same step",
    "noop": "an owned schedule that already matches the bundle: nothing will be done",
}


def plan_json_schema() -> dict[str, Any]:
    if set(KIND_MEANINGS) != set(KINDS):  # a new kind of step must be documented before it is published
        raise AssertionError(f"describe every action kind: {sorted(set(KINDS) ^ set(KIND_MEANINGS))}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "reconciler plan",
        "description": (
            "What `reconciler plan --format json` prints and `plan --out` saves (with `source`), what `show "
            "--format json` prints, and the `plan` of `apply --format json`. One shape whatever the number "
            "of bundles. Secret values never appear: a sensitive change shows `(sensitive)`. See "
            "docs/plan-json.md."
        ),
        "type": "object",
        "properties": {
            "format_version": {
                "const": FORMAT_VERSION,
                "description": "The version of this document's shape. A reconciler reads only its own "
                "version and refuses others, naming both.",
            },
            "summary": {
                "$ref": "#/$defs/summary",
                "description": "How many steps of each kind, over every bundle together.",
            },
            "bundles": {
                "type": "array",
                "items": {"$ref": "#/$defs/bundle"},
                "description": "One entry per bundle, in the order the bundles were given.",
            },
            "selection": {
                "type": "object",
                "properties": {
                    "only": {"type": "array", "items": {"type": "string"}, "description": "`--only` globs."},
                    "exclude": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "`--exclude` globs.",
                    },
                },
                "required": ["only", "exclude"],
                "additionalProperties": False,
                "description": "Present in a partial plan (`--only`, `--exclude`): the name globs it was made "
                "with. Schedules outside the selection are neither changed nor pruned.",
            },
            "load": {
                "$ref": "#/$defs/load",
                "description": "From `plan --format json`, and in a file saved by `plan --out` (as computed when "
                "the plan was made): runs per day and per month and the monthly cost, before -> after, per bundle "
                "and per agent, over the 30 days from midnight UTC (docs/costs.md).",
            },
            "source": {
                "$ref": "#/$defs/source",
                "description": "Only in a file saved by `plan --out`: what `apply PLANFILE` renders again to "
                "check the plan is still current.",
            },
            "pins": {
                "$ref": "#/$defs/pins",
                "description": "Only in a file saved by `plan --out`: a keyed digest of every secret-bearing "
                "value a step writes, which the steps show only as `(sensitive)`. `apply PLANFILE` refuses the "
                "plan as stale when a fresh plan would write different values.",
            },
        },
        "required": ["format_version", "summary", "bundles"],
        "additionalProperties": False,
        "$defs": {
            "summary": _summary(),
            "bundle": _bundle(),
            "action": _action(),
            "change": _change(),
            "source": _source(),
            "pins": _pins(),
            "load": _load(),
        },
    }


def _load() -> dict[str, Any]:
    pair = {
        "type": "object",
        "properties": {
            "before": {"type": "integer", "description": "With the live schedules as the plan read them."},
            "after": {"type": "integer", "description": "With the state the plan leaves."},
        },
        "required": ["before", "after"],
        "additionalProperties": False,
    }
    money = {
        "type": "object",
        "properties": {
            "amount": {"type": "string", "description": "A decimal as text (`288.00`), never a float."},
            "currency": {"type": "string", "description": "An ISO 4217 code (`USD`)."},
        },
        "required": ["amount", "currency"],
        "additionalProperties": False,
    }
    monies = {
        "type": "array",
        "items": money,
        "description": "One entry per currency; empty: no price known.",
    }
    figures = {
        "runs_per_day": {**pair, "description": "The busiest UTC day of the window."},
        "runs_per_month": {**pair, "description": "All runs of the 30 days."},
        "monthly_cost": {
            "type": "object",
            "properties": {
                "before": {**monies, "description": "Runs per month before x each agent's perRun."},
                "after": {**monies, "description": "Runs per month after x each agent's perRun."},
                "change": {
                    **monies,
                    "description": "After minus before; currencies that do not change left out.",
                },
            },
            "required": ["before", "after", "change"],
            "additionalProperties": False,
            "description": "Per currency (docs/costs.md).",
        },
    }

    def group(key: str) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                key: {
                    "type": "string",
                    "description": "The bundle key." if key == "bundle_key" else "The agent id.",
                },
                **figures,
            },
            "required": [key, *figures],
            "additionalProperties": False,
        }

    return {
        "type": "object",
        "properties": {
            "window": {
                "type": "object",
                "description": "The days the figures count.",
                "properties": {
                    "start": {"type": "string", "description": "Midnight UTC of the day the plan was made."},
                    "days": {"const": 30, "description": "A month is these 30 days."},
                },
                "required": ["start", "days"],
                "additionalProperties": False,
            },
            "bundles": {"type": "array", "items": group("bundle_key"), "description": "Per bundle."},
            "agents": {"type": "array", "items": group("agent"), "description": "Per agent id."},
        },
        "required": ["window", "bundles", "agents"],
        "additionalProperties": False,
    }


def _summary() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A count for every kind of step, each key always present, in this order.",
        "properties": {
            kind: {"type": "integer", "minimum": 0, "description": f"Steps of kind `{kind}`: {meaning}."}
            for kind, meaning in ((k, KIND_MEANINGS[k]) for k in KINDS)
        },
        "required": list(KINDS),
        "additionalProperties": False,
    }


def _bundle() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "The plan of one bundle against its target.",
        "properties": {
            "bundle_key": {"type": "string", "description": "The bundle's `bundleKey`: the owner it marks."},
            "provider": {"type": "string", "description": "The platform (`target.provider`)."},
            "target": {
                "type": "object",
                "description": "The rest of the bundle's `target` (workspace, api, ...); a secret value "
                "shows as `(sensitive)`.",
            },
            "created_at": {
                "type": "string",
                "format": "date-time",
                "pattern": "Z$",
                "description": "When the live state was read and the plan made, in UTC.",
            },
            "summary": {"$ref": "#/$defs/summary", "description": "How many steps of each kind."},
            "actions": {
                "type": "array",
                "items": {"$ref": "#/$defs/action"},
                "description": "Every step, `noop`s included, in the order they were planned.",
            },
            "live_fingerprint": {
                "type": "string",
                "pattern": "^sha256:[0-9a-f]{64}$",
                "description": "A digest of the live schedules the plan depends on, keyed (HMAC-SHA256 with "
                "RECONCILER_DIGEST_KEY: live values may hold secrets). Applying a saved plan plans again and "
                "refuses it as stale when this, or any step, differs.",
            },
        },
        "required": [
            "bundle_key",
            "provider",
            "target",
            "created_at",
            "summary",
            "actions",
            "live_fingerprint",
        ],
        "additionalProperties": False,
    }


def _action() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "One step against one schedule.",
        "properties": {
            "action": {
                "enum": list(KINDS),
                "description": "What happens: " + "; ".join(f"`{k}` {KIND_MEANINGS[k]}" for k in KINDS) + ".",
            },
            "name": {
                "type": "string",
                "description": "The schedule's name as the bundle writes it (after `for_each`), never the "
                "platform's prefixed form.",
            },
            "agent": {"type": "string", "description": "The agent the schedule runs."},
            "remote_id": {
                "type": ["string", "null"],
                "description": "The platform's id of the live schedule; null for a `create`.",
            },
            "changes": {
                "type": "array",
                "items": {"$ref": "#/$defs/change"},
                "description": "The fields that change; for a `create`, every field it sets. Empty for a "
                "`noop`.",
            },
            "reason": {
                "type": "string",
                "description": "Present when the diff alone does not explain the step: `not in the bundle`, "
                "`duplicate`, `restore archived`, `recreate: ...`, `paused outside the bundle (...)`.",
            },
            "ignored": {
                "type": "array",
                "items": {"$ref": "#/$defs/change"},
                "description": "Present when fields the bundle leaves to the platform (`ignore:`) differ: never "
                "applied, listed by `--show-ignored`.",
            },
            "kept": {
                "type": "array",
                "items": {"$ref": "#/$defs/change"},
                "description": "Present when the step leaves differences as they are: the state of a schedule "
                "paused outside the bundle (`pauses: respect`), drifted fields (`drift: report`). Shown, never "
                "applied.",
            },
        },
        "required": ["action", "name", "agent", "remote_id", "changes"],
        "additionalProperties": False,
    }


def _change() -> dict[str, Any]:
    hidden = {
        "enum": [None, REDACTED],
        "description": f"A secret: only null or `{REDACTED}`, never its value.",
    }
    return {
        "type": "object",
        "description": "One field, before and after, in the reconciler's canonical form.",
        "properties": {
            "path": {
                "type": "string",
                "description": "The field, dotted: `when.cron`, `input.message`, `labels.team`.",
            },
            "before": {"description": "The live value; null when absent (always for a `create`)."},
            "after": {"description": "The value the bundle wants; null when it will be removed."},
            "origin": {
                "enum": ["drift", "pending", "both", "unknown"],
                "description": "Where the difference comes from, judged by the record of the last apply the "
                "ownership marker keeps: `drift` (changed on the platform, not in the bundle), `pending` (changed "
                "in the bundle, not applied yet), `both`, `unknown` (no record). Absent on creates and removals.",
            },
            "written": {
                "type": "string",
                "description": "Present when `H` or `spread` chose `after`: what the bundle wrote "
                "(`H 9 * * mon-fri`, `spread: 30m`, `H 9 * * *, spread: 30m`); `after` is the concrete value the "
                "platform receives and plans compare.",
            },
            "sensitive": {
                "const": True,
                "description": f"Present when the value is a secret: `before` and `after` are then only "
                f"null or `{REDACTED}`.",
            },
        },
        "required": ["path", "before", "after"],
        "additionalProperties": False,
        "if": {"required": ["sensitive"]},
        "then": {"properties": {"before": hidden, "after": hidden}},
    }


def _source() -> dict[str, Any]:
    text_list: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    return {
        "type": "object",
        "description": "How the plan was made, so `apply PLANFILE` can make it again and compare.",
        "properties": {
            "paths": {**text_list, "minItems": 1, "description": "The bundle paths, as given to `plan`."},
            "vars": {**text_list, "description": "The `--var key=value` overrides, as given."},
            "allow_empty": {"type": "boolean", "description": "Whether `plan` was given `--allow-empty`."},
            "only": {**text_list, "description": "The `--only` globs, when the plan is partial."},
            "exclude": {**text_list, "description": "The `--exclude` globs, when the plan is partial."},
        },
        "required": ["paths", "vars"],
        "additionalProperties": False,
    }


def _pins() -> dict[str, Any]:
    digest: dict[str, Any] = {"type": "string", "pattern": "^hmac-sha256:[0-9a-f]{64}$"}
    field = {
        "type": "object",
        "properties": {
            "path": {
                "type": "array",
                "items": {"type": ["string", "integer"]},
                "description": 'The field, one key or list index at a time: `["input", "message"]`.',
            },
            "digest": {**digest, "description": "HMAC-SHA256 of the value with RECONCILER_DIGEST_KEY."},
        },
        "required": ["path", "digest"],
        "additionalProperties": False,
    }
    step = {
        "type": "object",
        "description": "One step that writes at least one secret-bearing value.",
        "properties": {
            "agent": {"type": "string", "description": "The step's agent, as in its action."},
            "name": {"type": "string", "description": "The step's schedule name, as in its action."},
            "remote_id": {
                "type": ["string", "null"],
                "description": "The step's remote_id, as in its action.",
            },
            "fields": {
                "type": "array",
                "items": field,
                "description": "Every secret-bearing value the step writes, in path order.",
            },
        },
        "required": ["agent", "name", "remote_id", "fields"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "description": "What the saved plan writes that it cannot show (reconciler/plan/pins.py).",
        "properties": {
            "key_check": {
                **digest,
                "description": "Tells a plan made with another RECONCILER_DIGEST_KEY from one whose values "
                "changed.",
            },
            "bundles": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": step},
                "description": "By bundle key.",
            },
        },
        "required": ["key_check", "bundles"],
        "additionalProperties": False,
    }


def schema_text() -> str:
    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"
