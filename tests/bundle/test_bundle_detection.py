"""Which files in a walked folder are read as bundles: every one that says it is one, in any YAML style."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.bundle.files import claims_to_be_bundle

BUNDLE = {
    "apiVersion": "reconciler/v1",
    "kind": "Bundle",
    "bundleKey": "team",
    "target": {"provider": "cadenya", "workspace": "ws"},
    "schedules": [],
}


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: reconciler/v1\nkind: Bundle\n",
        json.dumps(BUNDLE),  # JSON on one line
        json.dumps({"bundleKey": "team", "apiVersion": "reconciler/v2"}),  # the header after another key
        json.dumps(BUNDLE, indent=2),
        "{apiVersion: reconciler/v1, kind: Bundle}\n",  # YAML flow style
        "apiVersoin: reconciler/v1\nkind: Bundle\n",  # a mistyped header still says kind: Bundle
        "- bundleKey: team\n",
    ],
)
def test_a_file_that_says_it_is_a_bundle_is_read(tmp_path: Path, text: str) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(text)
    assert claims_to_be_bundle(path)


@pytest.mark.parametrize(
    "text",
    [
        "name: ci\non:\n  push: {branches: [main]}\njobs: {}\n",  # a GitHub workflow beside the bundles
        json.dumps({"apiVersion": "apps/v1", "kind": "Deployment"}),
        "",
    ],
)
def test_other_yaml_in_the_folder_is_not(tmp_path: Path, text: str) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(text)
    assert not claims_to_be_bundle(path)
