"""The published JSON Schema of bundle format v1, generated from the model so the two never disagree."""

from __future__ import annotations

import json
from typing import Any

from reconciler.bundle.model import BundleSpec

SCHEMA_ID = "https://reconciler.dev/schemas/bundle.schema.json"
SCHEMA_PATH = "schemas/bundle.schema.json"


def bundle_json_schema() -> dict[str, Any]:
    schema = BundleSpec.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "description": "A reconciler bundle: the schedules of AI agents, kept in git. "
        "The format: docs/bundle-format.md in the reconciler repository.",
    }


def schema_text() -> str:
    return json.dumps(bundle_json_schema(), indent=2, ensure_ascii=False) + "\n"
