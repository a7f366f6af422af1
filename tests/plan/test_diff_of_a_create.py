"""A create's changes (everything new) come out exactly as the general diff lists them: same paths, values,
masking and order, for every kind of value a schedule holds."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.bundle.sensitive import REDACTED
from reconciler.plan import diff
from reconciler.plan.diff import field_changes
from reconciler.plan.normalise import DIGEST_PREFIX

FORMS: list[dict[str, Any]] = [
    {
        "agent": "a",
        "state": "active",
        "when": {"cron": ["0 8 * * *", "0 17 * * *"], "timezone": "Europe/Berlin", "jitter": None},
        "input": {
            "message": "hello",
            "data": {"n": 1, "ok": True, "ratio": 0.5, "none": None, "empty": {}, "list": [1, {"x": 2}]},
            "secrets": {"token": f"{DIGEST_PREFIX}abc"},
        },
        "labels": {"app.kubernetes.io/name": "x", "team": "support", "a b": "c"},
        "options": {"overlapPolicy": "BUFFER_ONE", "userData": {"key": f"{DIGEST_PREFIX}def"}},
        "protect": True,
    },
    {"state": "paused", "when": {"every": "1h"}},
    {},
]


def _general_walk(after: dict[str, Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    diff._walk((), {}, after, out)
    return tuple(out)


@pytest.mark.parametrize("form", FORMS)
def test_a_create_lists_what_the_general_diff_lists(form: dict[str, Any]) -> None:
    assert field_changes({}, form) == _general_walk(form)
    assert [c.path for c in field_changes({}, form)] == [c.path for c in _general_walk(form)]


def test_a_create_masks_secrets_and_quotes_dotted_label_keys() -> None:
    changes = {c.path: c for c in field_changes({}, FORMS[0])}
    assert changes["input.secrets.token"].after == REDACTED and changes["input.secrets.token"].sensitive
    assert changes["options.userData.key"].after == REDACTED
    assert changes['labels."app.kubernetes.io/name"'].after == "x"
    assert changes["input.data.n"].after == 1 and not changes["input.data.n"].sensitive
    assert "input.data.none" not in changes and "input.data.empty" not in changes
    assert list(changes)[:3] == ["agent", "state", "when.cron"]  # the bundle's field order first
