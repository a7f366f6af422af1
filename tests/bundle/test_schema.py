"""The published JSON Schema is current, accepts every example bundle and rejects structural mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reconciler.bundle.load import load_file
from reconciler.bundle.schema import schema_text
from reconciler.bundle.structure import check_structure
from reconciler.errors import BundleError
from tests.conftest import ROOT, run_cli

SCHEMA = json.loads((ROOT / "schemas" / "bundle.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
GOOD = sorted([*ROOT.glob("bundles/*.yaml"), *ROOT.glob("examples/*/*.yaml")])
INVALID = sorted((ROOT / "tests" / "data" / "invalid").glob("*.yaml"))


def _structural(path: Path) -> list[object] | None:
    """The documents of an invalid file whose problem is one of shape (None if YAML itself fails)."""
    try:
        documents = load_file(path)
    except BundleError:
        return None
    if all(not check_structure(d)[1] for d in documents):
        return None
    return [d.data for d in documents]


def test_schema_is_valid_draft_2020_12_and_committed_copy_is_current() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert (ROOT / "schemas" / "bundle.schema.json").read_text() == schema_text()
    assert run_cli("schema", "--check").code == 0


def test_schema_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "bundle.schema.json"
    stale.write_text(schema_text().replace("Bundle format version.", "old text"))
    result = run_cli("schema", "--check", "--path", str(stale))
    assert result.code == 1 and "out of date" in result.err


def test_schema_has_descriptions_and_examples() -> None:
    text = json.dumps(SCHEMA)
    assert '"description"' in text and '"examples"' in text
    assert SCHEMA["properties"]["bundleKey"]["pattern"]


@pytest.mark.parametrize("path", GOOD, ids=[str(p.relative_to(ROOT)) for p in GOOD])
def test_schema_accepts_example_bundles(path: Path) -> None:
    assert path.read_text().startswith("# yaml-language-server: $schema=")
    for document in load_file(path):
        assert not list(VALIDATOR.iter_errors(document.data))


def test_schema_rejects_structurally_invalid_bundles() -> None:
    structural = {p.name: docs for p in INVALID if (docs := _structural(p)) is not None}
    assert len(structural) >= 10
    for name, docs in structural.items():
        assert any(list(VALIDATOR.iter_errors(d)) for d in docs), f"schema accepted {name}"
