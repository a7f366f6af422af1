"""Where the platform's marker records which fields hold secrets (the platform returns them in clear), an
unchanged schedule is no change, and any change to such a field, or a field that stops or starts being a
secret, is an update: the quick comparison of unchanged schedules decides exactly as the full one."""

from __future__ import annotations

import pytest

from reconciler.bundle.desired import DesiredSchedule
from reconciler.bundle.sensitive import Sensitive
from reconciler.plan.live import LiveSchedule
from reconciler.plan.planner import plan_bundle
from tests.plan.factories import NOW, bundle, desired

DIGEST_KEY = b"reconciler"


def wanted(message: str | Sensitive | None = None, label: str = "support") -> DesiredSchedule:
    text = Sensitive("tok-1") if message is None else message
    return desired("nightly", input={"message": text}, labels={"team": label})


def live_in_clear(text: str, *, secret: bool = True, label: str = "support") -> LiveSchedule:
    """What a platform reports after applying the schedule with `text` as its message, in clear; its marker
    lists the message among the secrets when `secret`."""
    schedule = desired("nightly", input={"message": text}, labels={"team": label})
    return LiveSchedule(
        remote_id="r1",
        agent=schedule.agent,
        name=schedule.name,
        owner="support-digests",
        state="active",
        when=dict(schedule.when),
        input={"message": text},
        labels=dict(schedule.labels),
        options={},
        display_name=schedule.name,
        secret_paths=frozenset({("input", "message")}) if secret else frozenset(),
    )


@pytest.mark.parametrize(
    ("want", "live", "kind"),
    [
        (wanted(), live_in_clear("tok-1"), "noop"),
        (wanted(Sensitive("tok-2")), live_in_clear("tok-1"), "update"),  # the secret changed
        (wanted(label="ops"), live_in_clear("tok-1"), "update"),  # another field changed
        (wanted("tok-1"), live_in_clear("tok-1"), "update"),  # no longer a secret: the marker must say so
        (wanted(), live_in_clear("tok-1", secret=False), "update"),  # newly a secret: the same
    ],
    ids=["unchanged", "secret-changed", "label-changed", "stopped-being-secret", "became-secret"],
)
def test_recorded_secrets_compare_by_digest(want: DesiredSchedule, live: LiveSchedule, kind: str) -> None:
    plan = plan_bundle(bundle(want), [live], digest_key=DIGEST_KEY, now=NOW)
    assert [a.kind for a in plan.actions] == [kind]
    assert all("tok-" not in str(a.changes) for a in plan.actions)  # never printed in clear
