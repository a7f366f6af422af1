"""schemas/plan.schema.json: current with the code, a valid draft 2020-12 schema, and it accepts the plans the
explainer writes and nothing shaped otherwise. Real CLI output is checked against it in
tests/e2e/test_machine_output.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.plan.explain import to_json
from reconciler.plan.schema import schema_text
from tests.conftest import ROOT, run_cli
from tests.plan.samples import sample_plan, two_bundle_plan

PATH = ROOT / "schemas" / "plan.schema.json"
SCHEMA = json.loads(PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def test_the_committed_schema_is_current_and_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert PATH.read_text() == schema_text()
    printed = run_cli("schema", "plan")
    assert printed.code == 0 and printed.out == schema_text()
    checked = run_cli("schema", "--check")
    assert checked.code == 0 and "plan.schema.json is up to date" in checked.out, checked.err


def test_check_fails_when_the_plan_schema_is_stale(tmp_path: Path) -> None:
    stale = tmp_path / "plan.schema.json"
    stale.write_text(schema_text().replace('"const": 2', '"const": 1'))
    result = run_cli("schema", "plan", "--check", "--path", str(stale))
    assert result.code == 1 and "out of date with the plan document" in result.err


def test_every_property_has_a_description() -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                assert "description" in prop, f"{where}.{name}"
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(SCHEMA, "$")


@pytest.mark.parametrize("make", [sample_plan, two_bundle_plan])
def test_the_explainers_documents_conform(make: Any) -> None:
    document = to_json(make())
    assert not list(VALIDATOR.iter_errors(document))
    saved = {**document, "source": {"paths": ["bundles"], "vars": ["region=EMEA"], "allow_empty": False}}
    assert not list(VALIDATOR.iter_errors(saved))


def _broken(change: Any) -> dict[str, Any]:
    document = to_json(sample_plan())
    change(document)
    return document


@pytest.mark.parametrize(
    "document",
    [
        # version 1: a single bundle's fields at the top level
        {"format_version": 1, **to_json(sample_plan())["bundles"][0]},
        _broken(lambda d: d.pop("summary")),
        _broken(lambda d: d["summary"].pop("noop")),
        _broken(lambda d: d["bundles"][0]["actions"][0].update(action="explode")),
        _broken(lambda d: d["bundles"][0].update(live_fingerprint="md5:0")),
        _broken(lambda d: d.update(extra=True)),
        # a sensitive change may only ever show (sensitive) or nothing
        _broken(
            lambda d: d["bundles"][0]["actions"][0]["changes"].append(
                {"path": "input.secrets.token", "before": None, "after": "hunter2", "sensitive": True}
            )
        ),
    ],
    ids=["v1", "no-summary", "partial-summary", "unknown-action", "fingerprint", "extra-key", "secret"],
)
def test_other_shapes_are_refused(document: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(document))
