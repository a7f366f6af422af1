"""Field-level changes between canonical schedules: paths, JSON equality, masking."""

from __future__ import annotations

from reconciler.bundle.sensitive import REDACTED
from reconciler.plan.diff import field_changes
from reconciler.plan.model import Change


def test_equal_as_json_means_no_change() -> None:
    assert field_changes({"options": {"n": 1}}, {"options": {"n": 1.0}}) == ()  # one number, two spellings
    assert field_changes({"a": {"b": [1, {"c": "x"}]}}, {"a": {"b": [1, {"c": "x"}]}}) == ()


def test_true_is_not_one_at_any_depth() -> None:
    assert field_changes({"options": {"x": 1}}, {"options": {"x": True}}) == (Change("options.x", 1, True),)
    assert field_changes({"options": {"x": [0]}}, {"options": {"x": [False]}}) == (
        Change("options.x", [0], [False]),
    )


def test_dicts_are_walked_and_lists_compared_whole() -> None:
    before = {"when": {"cron": ["0 9 * * *", "0 17 * * *"]}, "labels": {"a": "1"}}
    after = {"when": {"cron": ["0 9 * * *"]}, "options": {"x": {"y": 2}}}
    assert field_changes(before, after) == (
        Change("when.cron", ["0 9 * * *", "0 17 * * *"], ["0 9 * * *"]),
        Change("labels.a", "1", None),
        Change("options.x.y", None, 2),
    )


def test_a_value_changing_type_is_one_change() -> None:
    assert field_changes({"input": {"data": {"a": 1}}}, {"input": {"data": "text"}}) == (
        Change("input.data", {"a": 1}, "text"),
    )


def test_top_level_fields_follow_the_bundle_order_and_nested_keys_sort() -> None:
    changes = field_changes(
        {}, {"options": {"b": 1, "a": 2}, "agent": "x", "when": {"every": "1h"}, "state": "active"}
    )
    assert [c.path for c in changes] == ["agent", "state", "when.every", "options.a", "options.b"]


def test_secrets_and_digests_are_masked_on_both_sides() -> None:
    digest = "hmac-sha256:" + "0" * 64
    changes = field_changes(
        {"input": {"secrets": {"token": "old-plain"}, "data": {"k": digest}}},
        {"input": {"secrets": {"token": digest}, "data": {"k": "plain"}}},
    )
    assert changes == (
        Change("input.data.k", REDACTED, REDACTED, sensitive=True),
        Change("input.secrets.token", REDACTED, REDACTED, sensitive=True),
    )
    [added] = field_changes({}, {"input": {"secrets": {"token": digest}}})
    assert (added.before, added.after, added.sensitive) == (None, REDACTED, True)


def test_keys_that_would_make_a_path_ambiguous_are_quoted() -> None:
    changes = field_changes(
        {}, {"labels": {"app.io/name": "x", "plain_key-1": "y", "": "z", "with space": "w"}}
    )
    assert [c.path for c in changes] == [
        'labels.""',
        'labels."app.io/name"',
        "labels.plain_key-1",
        'labels."with space"',
    ]
