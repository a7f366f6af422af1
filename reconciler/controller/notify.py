"""`--notify URL`: post each condition's firing and resolved messages (conditions.py) to webhooks.

A Slack incoming webhook (hooks.slack.com, or any URL with `?format=slack`) gets Slack's `{"text", "blocks"}`;
every other URL the generic JSON body of docs/controller-notifications.md (`?format=generic` forces it).
`format` is our parameter: it is removed from the URL before posting.

Each URL has its own queue and thread, so `observe` returns at once and a slow or dead receiver delays only
itself. One retry, a second later, on a 5xx or a failed connection (not after a read timeout: the message
may have arrived): a notification is worth one more try for a blip, but not the platform client's backoff
(reconciler/providers/http.py retries for up to minutes): a receiver that is down would hold back every
later message, and the conditions are announced again when they change. Failures are logged with the URL reduced to scheme and host (Slack's and many receivers' URLs
carry their secret in the path or query) and never reach the loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from reconciler import __version__
from reconciler.controller.conditions import Announcer, Message
from reconciler.controller.snapshot import Snapshot
from reconciler.providers.transport import is_loopback

log = logging.getLogger("reconciler.controller.notify")

SLACK_HOSTS = frozenset({"hooks.slack.com"})
BODY_VERSION = 1
QUEUE_LIMIT = 1000  # messages waiting per URL; beyond it the oldest are dropped (and logged)
RETRY_PAUSE = 1.0  # seconds before the one retry
# Failures before a byte of the request left: repeating cannot make a duplicate.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_Item = tuple[dict[str, Any], Message] | None  # a body to post, or None: stop


def display_url(url: str | httpx.URL) -> str:
    """The URL as logs show it: scheme, host and port only (no credentials, path or query)."""
    parsed = httpx.URL(str(url))
    port = f":{parsed.port}" if parsed.port is not None else ""
    rest = "/…" if parsed.raw_path not in (b"", b"/") else ""
    return f"{parsed.scheme}://{parsed.host}{port}{rest}"


class Webhook:
    """One receiver: where to post (our `format` parameter removed) and in which body."""

    def __init__(self, url: str, number: int) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"--notify #{number}: {display_url(url)!r} is not an http(s) URL")
        chosen = parsed.params.get("format")
        if chosen not in (None, "slack", "generic"):
            raise ValueError(f"--notify #{number}: format={chosen!r}: expected slack or generic")
        self.slack = chosen == "slack" or (chosen is None and parsed.host in SLACK_HOSTS)
        self.url = parsed.copy_remove_param("format")
        self.name = f"webhook #{number} ({display_url(parsed)})"
        if parsed.scheme == "http" and not is_loopback(parsed.host):
            log.warning("%s is plain http: the messages travel unencrypted", self.name)

    def body(self, message: Message, snapshot_source: str) -> dict[str, Any]:
        return slack_body(message) if self.slack else generic_body(message, snapshot_source)


def generic_body(message: Message, source: str) -> dict[str, Any]:
    return {
        "version": BODY_VERSION,
        "event": message.event,
        "state": message.state,
        "bundle": message.bundle,
        "path": message.path,
        "schedules": list(message.schedules),
        "details": list(message.details),
        "message": message.text,
        "source": source,
        "commit": message.commit,
        "time": _iso(message.time),
    }


def slack_body(message: Message) -> dict[str, Any]:
    mark = ":red_circle:" if message.state == "firing" else ":large_green_circle:"
    headline = f"{mark} *{_slack(message.state)}* `{_slack(message.event)}` {_slack(message.text)}"
    context = [f"bundle `{_slack(message.bundle)}`"]
    if message.path:
        context.append(f"file `{_slack(message.path)}`")
    if message.commit:
        context.append(f"commit `{_slack(message.commit[:12])}`")
    context.append(_iso(message.time))
    return {
        "text": f"[{message.state}] {message.text}",  # the notification's and old clients' text
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": headline}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(context)}]},
        ],
    }


class Notifier:
    """Computes the messages of each snapshot (conditions.Announcer) and posts them to every URL."""

    def __init__(self, urls: Sequence[str], *, min_interval: float = 60.0, timeout: float = 5.0) -> None:
        self.hooks = [Webhook(url, number) for number, url in enumerate(urls, start=1)]
        self.announcer = Announcer(min_interval=timedelta(seconds=min_interval))
        self.timeout = timeout
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # a redirect could carry the body (and the URL's secret) elsewhere
            headers={"User-Agent": f"reconciler/{__version__} (notifications)"},
        )
        self.lock = threading.Lock()  # observe may be called from more than one thread
        self.queues: list[queue.Queue[_Item]] = [queue.Queue() for _ in self.hooks]
        self.threads = [
            threading.Thread(target=self._deliver, args=(hook, q), name=f"notify-{n}", daemon=True)
            for n, (hook, q) in enumerate(zip(self.hooks, self.queues, strict=True), start=1)
        ]
        for thread in self.threads:
            thread.start()

    def observe(self, snapshot: Snapshot) -> None:
        """Queue the messages this snapshot calls for; never raises, never waits for a receiver."""
        try:
            with self.lock:
                messages = self.announcer.step(snapshot, datetime.now(UTC))
            for message in messages:
                for hook, waiting in zip(self.hooks, self.queues, strict=True):
                    if waiting.qsize() >= QUEUE_LIMIT:
                        log.warning("%s: %d messages waiting, the oldest dropped", hook.name, QUEUE_LIMIT)
                        with contextlib.suppress(queue.Empty):
                            waiting.get_nowait()
                    waiting.put((hook.body(message, snapshot.source), message))
        except Exception:  # the loop must go on whatever a notification does
            log.exception("notifications: could not compute or queue the messages")

    def close(self, wait: float | None = None) -> None:
        """Deliver what is queued (each URL for at most `wait` seconds, by default 2 × timeout), then stop."""
        for waiting in self.queues:
            waiting.put(None)  # the end: after what is queued
        limit = 2 * self.timeout + RETRY_PAUSE if wait is None else wait
        deadline = time.monotonic() + limit
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.client.close()

    def _deliver(self, hook: Webhook, waiting: queue.Queue[_Item]) -> None:
        while True:
            item = waiting.get()
            if item is None:
                return
            body, message = item
            try:
                self._post(hook, body, message)
            except Exception:
                log.exception("%s: could not post the %s message", hook.name, message.event)

    def _post(self, hook: Webhook, body: dict[str, Any], message: Message) -> None:
        content = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        for attempt in (1, 2):
            try:
                answer = self.client.post(hook.url, content=content, headers=headers)
            except _NOT_SENT as exc:
                problem = f"no connection ({type(exc).__name__})"  # its text can quote the URL: not logged
            except httpx.HTTPError as exc:
                # Sent, but no answer (a read timeout, a dropped connection): the receiver may have the
                # message already, and a second one would be a duplicate.
                problem = f"no answer ({type(exc).__name__}), not retried: it may have arrived"
                break
            else:
                if answer.status_code < 300:
                    return
                problem = f"HTTP {answer.status_code}"
                if answer.is_redirect:
                    problem += " (redirects are not followed: give the final URL)"
                if answer.status_code < 500:
                    break  # the receiver refused this body: the same body again would be refused again
            if attempt == 1:
                time.sleep(RETRY_PAUSE)
        log.warning(
            "%s: the %s %s message for %s was not delivered: %s",
            hook.name,
            message.state,
            message.event,
            message.bundle,
            problem,
        )


def _slack(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup: escaped as Slack asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
