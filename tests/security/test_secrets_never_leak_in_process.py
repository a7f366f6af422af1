"""A secret and the API key never leak from the parts the CLI scenario cannot reach at will, exercised in
process: the HTTP client's messages and debug log when the network fails or a body holds a secret (a real
request timeout would take the client's 30 s), `export` of what a marker records as secret, the planner
comparing a secret the platform returns in clear, and the applier's redaction of a failed step."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from reconciler.apply.executor import execute
from reconciler.bundle.export import export_bundle
from reconciler.bundle.sensitive import Sensitive
from reconciler.errors import ReconcilerError, RejectedError
from reconciler.plan.explain import to_json, to_text
from reconciler.plan.live import LiveSchedule
from reconciler.plan.model import Plan
from reconciler.plan.planner import plan_bundle
from reconciler.providers.cadenya.provider import CadenyaProvider
from reconciler.providers.http import ApiClient, RetryPolicy
from tests.plan import factories
from tests.security.canaries import API_KEY, CANARIES, ROTATED, SECRET, _encodings


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout(f"timed out reading https://x/?token={SECRET}&key={API_KEY}"),
        httpx.ConnectTimeout(f"timed out connecting with {API_KEY}"),
        httpx.RemoteProtocolError(f"peer closed connection; last body {json.dumps({'token': SECRET})}"),
    ],
    ids=["read-timeout", "connect-timeout", "dropped"],
)
def test_timeouts_and_transport_errors_are_redacted(
    failure: httpx.TransportError, caplog: pytest.LogCaptureFixture
) -> None:
    """The client's own messages and debug log, when the network fails with the secret in the request."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    client = ApiClient(
        "https://platform.example",
        api_key=API_KEY,
        transport=httpx.MockTransport(fail),
        retry=RetryPolicy(max_attempts=2, jitter=False, base_delay=0),
        sleep=lambda _: None,
        secrets=[SECRET],
    )
    caplog.set_level(logging.DEBUG, logger="reconciler")
    messages = []
    for method in ("GET", "POST"):
        with pytest.raises(ReconcilerError) as info:
            client.request(method, "/schedules", params={"q": SECRET}, json={"message": f"Brief {SECRET}"})
        messages.append(str(info.value))
    shown = "\n".join(messages) + "\n" + caplog.text
    assert "(sensitive)" in shown
    assert not [c for c in CANARIES if any(form in shown for form in _encodings(c))], shown


def test_export_writes_secret_placeholders_never_values_or_digests() -> None:
    """What a provider recognised as a secret (through its marker) comes back as a digest; `export` writes a
    `secret()` for the author to fill in, named after its field."""
    digest = "hmac-sha256:" + "0" * 64
    live = LiveSchedule(
        remote_id="r1",
        agent="digest",
        name="s1",
        owner="leak",
        state="active",
        when={"cron": "0 9 * * *"},
        input={"message": digest, "data": {"d": digest, "plain": "kept"}, "secrets": {"token": digest}},
        labels={},
        options={"metadata": {"api-key": digest}},
    )
    [entry] = export_bundle([live], bundle_key="leak", provider="orq", target={}).document["schedules"]
    assert entry["input"] == {
        "message": "{{ secret('MESSAGE') }}",
        "data": {"d": "{{ secret('D') }}", "plain": "kept"},
        "secrets": {"token": "{{ secret('TOKEN') }}"},
    }
    assert entry["options"] == {"metadata": {"api-key": "{{ secret('API_KEY') }}"}}


def test_a_secret_the_platform_returns_in_clear_is_compared_by_digest() -> None:
    """Pure planner: a secret message, data value and option, read back in clear, is no change; a different
    value is one change per field, shown only as `(sensitive)` on both sides."""
    wanted = factories.desired(
        "s",
        input={"message": Sensitive(f"Brief {SECRET}"), "data": {"d": Sensitive(SECRET), "plain": "p"}},
        options={"workflow_params": {"token": Sensitive(SECRET)}},
    )
    clear = factories.reported(
        wanted,
        "r1",
        input={"message": f"Brief {SECRET}", "data": {"d": SECRET, "plain": "p"}},
        options={"workflow_params": {"token": SECRET}},
    )
    same = plan_bundle(factories.bundle(wanted), [clear], now=factories.NOW)
    assert [a.kind for a in same.actions] == ["noop"]
    old = factories.reported(
        wanted,
        "r1",
        input={"message": f"Brief {ROTATED}", "data": {"d": ROTATED, "plain": "p"}},
        options={"workflow_params": {"token": ROTATED}},
    )
    changed = plan_bundle(factories.bundle(wanted), [old], now=factories.NOW)
    [action] = changed.actions
    assert action.kind == "update"
    assert {c.path: (c.before, c.after) for c in action.changes} == {
        "input.message": ("(sensitive)", "(sensitive)"),
        "input.data.d": ("(sensitive)", "(sensitive)"),
        "options.workflow_params.token": ("(sensitive)", "(sensitive)"),
    }
    shown = json.dumps(to_json(Plan((changed,)))) + to_text(Plan((changed,)), color=False)
    assert SECRET not in shown and ROTATED not in shown


def test_a_secret_left_in_a_request_body_is_sent_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    sent: list[bytes] = []

    def platform(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(201, json={})

    client = ApiClient("https://platform.example", api_key=API_KEY, transport=httpx.MockTransport(platform))
    caplog.set_level(logging.DEBUG, logger="reconciler")
    client.request("POST", "/schedules", json={"options": {"token": Sensitive(SECRET)}, "stored": ROTATED})
    assert json.loads(sent[0]) == {"options": {"token": SECRET}, "stored": ROTATED}  # the platform needs it
    assert "fields options, stored" in caplog.text
    assert SECRET not in caplog.text and ROTATED not in caplog.text and API_KEY not in caplog.text


def test_a_failed_step_never_shows_a_secret_its_exception_held() -> None:
    """The applier's last line of defence: whatever a step raises, its message is redacted."""
    wanted = factories.desired("s", input={"message": Sensitive(SECRET)})
    plan = plan_bundle(factories.bundle(wanted), [], now=factories.NOW)
    client = ApiClient("https://platform.example", api_key=API_KEY, secrets=[SECRET])
    provider = CadenyaProvider(client, factories.bundle(wanted), b"reconciler", environ={})

    def broken(desired: Any) -> Any:
        raise KeyError(f"{SECRET} with {API_KEY}")

    def refused(desired: Any) -> Any:
        raise RejectedError(f"the platform said: {SECRET}", status=422)

    for failure in (broken, refused):
        provider.create = failure  # type: ignore[method-assign]
        [outcome] = execute(plan, provider).failures
        assert outcome.error and SECRET not in outcome.error and API_KEY not in outcome.error, outcome.error
        assert "(sensitive)" in outcome.error
    client.close()
