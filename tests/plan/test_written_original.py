"""What `H` or `spread` was written as, kept beside the concrete value: in the plan JSON and in a saved plan shown
again, in the ownership marker (where the platform has room), and as a comment in what `export` writes, only
while the live timing is still the one last applied."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import yaml

from reconciler.bundle.export import export_bundle, export_yaml
from reconciler.plan.live import LiveSchedule
from reconciler.plan.normalise import canonical_json, comparable_live
from reconciler.plan.record import (
    AppliedRecord,
    group_digest,
    parse_written_label,
    parse_written_note,
    written_label,
    written_note,
)
from tests.bundle.test_hash_spread import BRIEFING, DIGEST_OFFSET, bundle, run, write

KEY = b"test-digest-key"
CADENYA = "{provider: cadenya, workspace: ws_demo}"


def test_the_plan_json_carries_the_original_beside_the_concrete_value(tmp_path: Path) -> None:
    path = write(tmp_path, bundle(CADENYA))
    planned = run(tmp_path, "plan", "--sandbox", "--format", "json", path)
    changes = {
        (action["name"], change["path"]): change
        for action in json.loads(planned.out)["bundles"][0]["actions"]
        for change in action["changes"]
    }
    assert changes["briefing", "when.cron"]["after"] == BRIEFING
    assert changes["briefing", "when.cron"]["written"] == "H 9 * * mon-fri"
    assert changes["digest", "when.offset"] == {
        "path": "when.offset",
        "before": None,
        "after": DIGEST_OFFSET,
        "written": "spread: true",
    }
    assert "written" not in changes["briefing", "input.message"]


def test_a_saved_plan_shown_again_still_names_the_original(tmp_path: Path) -> None:
    path = write(tmp_path, bundle(CADENYA))
    saved = str(tmp_path / "plan.json")
    assert run(tmp_path, "plan", "--sandbox", "--out", saved, path).code == 0
    shown = run(tmp_path, "show", saved)
    assert f'when.cron: "{BRIEFING}"  (H 9 * * mon-fri)' in shown.out, shown.out
    as_json = json.loads(run(tmp_path, "show", saved, "--format", "json").out)
    written = [c.get("written") for a in as_json["bundles"][0]["actions"] for c in a["changes"]]
    assert "H 9 * * mon-fri" in written and "spread: true" in written


def test_the_note_reads_back_as_written_and_a_label_holds_it_or_nothing() -> None:
    written = {"when.cron": "H(0-29) 9 * * mon-fri, spread: 30m"}
    assert parse_written_note(written_note(written)) == written
    label = written_label(written)
    assert label and len(label) <= 63 and label.isalnum() and label == label.lower()
    assert parse_written_label(label) == written
    assert written_label({"when.cron": "H 9 * * mon-fri; H 17 * * mon-fri; H 21 * * sat"}) == ""
    assert parse_written_label("not-a-note") == {} and parse_written_note("garbage") == {}


def _owned(cron: str, applied_cron: str) -> LiveSchedule:
    """A schedule the `team` bundle owns, live at `cron`, whose record says `applied_cron` was applied."""
    live = LiveSchedule(
        remote_id="s1",
        agent="agent_a",
        name="briefing",
        owner="team",
        state="active",
        when={"cron": applied_cron, "timezone": "UTC"},
        input={"message": "hi"},
        labels={},
        options={},
        display_name="briefing",
        written={"when.cron": "H 9 * * mon-fri"},
    )
    when = canonical_json(comparable_live(live)["when"], KEY)
    record = AppliedRecord("active", (group_digest("when", when, KEY), "0" * 10, "0" * 10, "0" * 10))
    return replace(live, when={"cron": cron, "timezone": "UTC"}, applied=record)


def test_export_names_the_original_in_a_comment_and_the_file_reads_as_the_document() -> None:
    result = export_bundle(
        [_owned(BRIEFING, BRIEFING)], bundle_key="team", provider="cadenya", target={}, digest_key=KEY
    )
    text = export_yaml(result)
    assert f"cron: {BRIEFING}  # from: H 9 * * mon-fri\n" in text, text
    assert yaml.safe_load(text) == result.document


def test_export_leaves_the_original_out_once_the_timing_changed_on_the_platform() -> None:
    result = export_bundle(
        [_owned("0 10 * * *", BRIEFING)], bundle_key="team", provider="cadenya", target={}, digest_key=KEY
    )
    text = export_yaml(result)
    assert "cron: 0 10 * * *\n" in text and "from:" not in text, text
