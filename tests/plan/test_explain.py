"""The explainer's three outputs against golden files, the comment size limit, and no secret anywhere.

Golden files are only compared here. After an intended change of output, regenerate them by hand with
`.venv/bin/python -m tests.plan.test_explain` and review the diff before committing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.explain import MARKDOWN_LIMIT, NO_CHANGES, describe, to_json, to_markdown, to_text
from reconciler.plan.model import Action, BundlePlan, Change, Plan
from reconciler.plan.planner import plan_bundle
from tests.plan.factories import NOW, bundle, desired, reported
from tests.plan.samples import OLD_SECRET, SECRET, sample_plan, two_bundle_plan

GOLDEN = Path(__file__).parent / "golden"


def _json_text(plan: Plan) -> str:
    return json.dumps(to_json(plan), indent=2, ensure_ascii=False) + "\n"


OUTPUTS: dict[str, Callable[[], str]] = {
    "plan.txt": lambda: to_text(sample_plan(), color=False),
    "plan.json": lambda: _json_text(sample_plan()),
    "plan.md": lambda: to_markdown(sample_plan()),
    "two_bundles.txt": lambda: to_text(two_bundle_plan(), color=False),
    "two_bundles.json": lambda: _json_text(two_bundle_plan()),
    "two_bundles.md": lambda: to_markdown(two_bundle_plan()),
}


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_output_matches_its_golden_file(name: str) -> None:
    assert OUTPUTS[name]() == (GOLDEN / name).read_text(encoding="utf-8")


# ---- text ---------------------------------------------------------------------------------------------------


def test_headlines_read_like_terraform() -> None:
    lines = to_text(sample_plan(), color=False).splitlines()
    assert "+ create  weekday-briefing (agent_x)" in lines
    assert "~ update  digest-emea (agent_x)" in lines
    assert '    when.every: "4h" → "6h"' in lines
    assert "⏸ pause   digest-apac (agent_x)" in lines
    assert "▶ resume  nightly-report (agent_x)" in lines
    assert "⇐ adopt   handmade (agent_x)" in lines
    assert "- archive retired (agent_x)  # not in the bundle" in lines
    assert (
        lines[-1]
        == "Plan: 1 to create, 1 to update, 1 to pause, 2 to resume, 1 to archive, 0 to delete, 1 to adopt."
    )
    assert not any("unchanged" in line for line in lines)  # noops are counted, not listed


def test_summary_mentions_adopt_only_when_there_is_one() -> None:
    result = Plan((plan_bundle(bundle(desired("a")), [], now=NOW),))
    assert to_text(result, color=False).splitlines()[-1] == (
        "Plan: 1 to create, 0 to update, 0 to pause, 0 to resume, 0 to archive, 0 to delete."
    )


def test_no_changes() -> None:
    schedule = desired("a")
    result = Plan((plan_bundle(bundle(schedule), [reported(schedule, "sch_1")], now=NOW),))
    assert to_text(result, color=False) == NO_CHANGES + "\n"
    assert NO_CHANGES == "No changes. The live schedules match the bundle."
    assert NO_CHANGES in to_markdown(result)


def test_colour_only_when_asked() -> None:
    plain = to_text(sample_plan(), color=False)
    coloured = to_text(sample_plan(), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[32m+ create  \x1b[0mweekday-briefing" in coloured
    assert "\x1b[33m~ update  \x1b[0m" in coloured and "\x1b[31m- archive \x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_platform_supplied_names_cannot_inject_terminal_or_bidi_controls() -> None:
    action = Action(
        "archive", "evil\x1b[2J\u202ename", "agent\nx", "sch_1", (Change("labels.a", "\x9b", None),)
    )
    text = "\n".join(describe(action))
    assert "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
    assert "evil\\u001b[2J\\u202ename (agent\\u000ax)" in text


# ---- secrets ------------------------------------------------------------------------------------------------


def test_no_secret_value_or_digest_in_any_output() -> None:
    clear = [SECRET, OLD_SECRET]
    digests = [Sensitive(value).digest() for value in clear]
    for result in (sample_plan(), two_bundle_plan()):
        text, coloured, markdown = (
            to_text(result, color=False),
            to_text(result, color=True),
            to_markdown(result),
        )
        document = json.dumps(to_json(result))
        for output in (text, coloured, markdown, document, repr(result)):
            for value in [*clear, *digests, "hmac-sha256:"]:
                assert value not in output
        assert "(sensitive)" in text and "(sensitive)" in markdown and "(sensitive)" in document


def test_a_secret_inside_a_message_is_masked_whole() -> None:
    schedule = desired("a", input={"message": Sensitive(f"Bearer {SECRET}")})
    result = Plan((plan_bundle(bundle(schedule), [reported(desired("a"), "sch_1")], now=NOW),))
    assert "    input.message: (sensitive) → (sensitive)" in to_text(result, color=False)
    assert SECRET not in json.dumps(to_json(result)) + to_markdown(result)


# ---- JSON ---------------------------------------------------------------------------------------------------


def test_json_has_one_shape_whatever_the_number_of_bundles() -> None:
    document = to_json(sample_plan())
    assert list(document) == ["format_version", "summary", "bundles"]
    assert document["format_version"] == 2
    [only] = document["bundles"]
    assert list(only) == [
        "bundle_key",
        "provider",
        "target",
        "created_at",
        "summary",
        "actions",
        "live_fingerprint",
    ]
    assert list(document["summary"]) == [
        "create",
        "update",
        "pause",
        "resume",
        "archive",
        "delete",
        "adopt",
        "rename",
        "noop",
    ]
    assert document["summary"] == only["summary"] and document["summary"]["noop"] == 1
    noop = next(a for a in only["actions"] if a["action"] == "noop")
    assert noop == {
        "action": "noop",
        "name": "unchanged",
        "agent": "agent_x",
        "remote_id": "sch_07",
        "changes": [],
    }
    several = to_json(two_bundle_plan())
    assert list(several) == ["format_version", "summary", "bundles"] and len(several["bundles"]) == 3
    for kind, total in several["summary"].items():  # the top-level summary is every bundle's together
        assert total == sum(bundle["summary"][kind] for bundle in several["bundles"])
    assert to_json(Plan(()))["summary"] == dict.fromkeys(several["summary"], 0)


# ---- Markdown -----------------------------------------------------------------------------------------------


def _many(count: int) -> Plan:
    schedules = [desired(f"schedule-{i:05d}", input={"message": f"Digest {i}"}) for i in range(count)]
    return Plan((plan_bundle(bundle(*schedules), [], now=NOW),))


def test_a_long_plan_is_summarised_under_the_comment_limit() -> None:
    result = _many(5_000)
    markdown = to_markdown(result)
    assert len(markdown) <= MARKDOWN_LIMIT < 65_536
    assert "**Plan: 5000 to create, 0 to update" in markdown
    assert "full plan is in the plan file attached" in markdown
    shown = re.findall(r"^\+ create  (schedule-\d+)", markdown, flags=re.MULTILINE)
    assert 0 < len(shown) < 5_000
    assert shown == [f"schedule-{i:05d}" for i in range(len(shown))]  # the first steps, in plan order
    assert f"showing {len(shown):,} of 5,000 steps" in markdown
    assert f"and {5_000 - len(shown):,} more steps" in markdown
    assert markdown.count("```") % 2 == 0  # every code block is closed


def test_a_plan_that_fits_is_shown_whole() -> None:
    markdown = to_markdown(_many(50))
    assert "attached" not in markdown and markdown.count("+ create ") == 50


def test_a_huge_value_is_shortened_in_comments_only() -> None:
    schedule = desired("a", input={"message": "x" * 5_000})
    result = Plan((plan_bundle(bundle(schedule), [], now=NOW),))
    assert "more characters)" in to_markdown(result)
    assert "x" * 5_000 in to_text(result, color=False)


def test_backticks_in_a_value_cannot_close_the_code_block() -> None:
    schedule = desired("a", input={"message": "```\n</details> # injected"})
    markdown = to_markdown(Plan((plan_bundle(bundle(schedule), [], now=NOW),)))
    assert "````diff" in markdown


def test_markdown_with_thousands_of_bundles_still_fits() -> None:
    one = _many(1).bundles[0]
    result = Plan(tuple(replace(one, bundle_key=f"bundle-{i:05d}") for i in range(3_000)))
    assert len(to_markdown(result)) <= MARKDOWN_LIMIT


def test_an_empty_bundle_plan_has_its_own_line() -> None:
    empty = BundlePlan("quiet", "cadenya", {}, "2026-11-22T10:00:00Z", (), "sha256:0")
    assert "<code>quiet</code> → cadenya: no changes" in to_markdown(Plan((empty, empty)))


if __name__ == "__main__":  # regenerate the golden files by hand: review the diff before committing
    for golden_name, render in OUTPUTS.items():
        (GOLDEN / golden_name).write_text(render(), encoding="utf-8")
        print(f"wrote {GOLDEN / golden_name}")
