"""The one HTTP client every provider talks through: auth, retries, error mapping, redacted logging.

Providers turn schedules into requests and call `ApiClient.request`; the applier runs those calls on a
thread pool, so one client (one `httpx.Client`, one connection pool) is shared by all threads.
Failures leave here only as the `ProviderError` branch of `reconciler.errors`:

    TransportError   no answer: connect error, timeout, dropped connection
    TemporaryError   429 / 5xx once retries are spent; carries `retry_after`
    ConflictError    409
    RejectedError    401/403 (authentication), 404, any other 4xx with the server's own message

`outcome_unknown=True` on a TransportError/TemporaryError means a request that is not safe to repeat
may have been committed anyway: look the object up by its ownership marker before trying again.

Transport security (`reconciler.providers.transport`): the base URL is checked before any request
(https, or http to this machine only unless allowed), and TLS certificates are verified unless the caller
passed `--insecure`; a certificate that fails verification is an error at once, never retried.

Beside it: `http_retry` (when a request is tried again, how long to wait), `http_errors` (a failed request as
the error a user reads), `http_body` (a request's JSON, secrets in clear), `http11` (the transport).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import quote, urlencode

import httpx

from reconciler import __version__
from reconciler.bundle.sensitive import revealed
from reconciler.errors import ProviderError, TransportError
from reconciler.providers.http11 import Http11Transport, PreparedRequests, send
from reconciler.providers.http_body import JSON_BODY, body_shape
from reconciler.providers.http_errors import (
    certificate_failure,
    outcome_unknown_note,
    server_message,
    status_error,
    untrusted_message,
)
from reconciler.providers.http_retry import IDEMPOTENT_METHODS, parse_retry_after
from reconciler.providers.http_retry import RetryPolicy as RetryPolicy  # `ApiClient(retry=)`: its API too
from reconciler.providers.http_unanswered import Unanswered, UnansweredRequests
from reconciler.providers.http_unanswered import late_window as late_window_for
from reconciler.providers.redact import redact_forms, secret_forms
from reconciler.providers.shared_reads import RequestSlots, SharedReads
from reconciler.providers.transport import TransportSecurity, check_endpoint, is_loopback

log = logging.getLogger("reconciler.http")

# Told of every attempt's outcome (the controller's request metrics): the client, the method, the URL's path,
# the status (None: no answer) and the seconds it took. Empty outside the controller: costs one loop test.
RequestObserver = Callable[["ApiClient", str, str, int | None, float], None]
request_observers: list[RequestObserver] = []

# Raised before a byte of the request left this process, so repeating is safe whatever the method.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_LOG_LIMIT = 2000  # characters of a body worth a debug line
_DOT_SEGMENT = re.compile(r"(^|/)\.\.?(/|$)")


@dataclass
class ClientStats:
    """Requests handed to the transport (retries included); safe to update from several threads."""

    requests: int = 0
    retries: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, method: str, *, retry: bool) -> None:
        with self._lock:
            self.requests += 1
            self.retries += retry
            self.by_method[method] += 1


def segment(value: str) -> str:
    """`value` as one URL path segment: every character that means something in a URL is percent-encoded
    (`/`, `?`, `#`, `%`, spaces...), and `.` / `..`, which URL normalisation would resolve against the
    path (`agents/../schedules` is `schedules`), become `%2E` / `%2E%2E`. Every value a provider puts into a
    path (a workspace, an agent, a schedule's id or name, whether from a bundle or from a server's answer)
    goes through here, so no value can leave its segment or choose another route."""
    if not isinstance(value, str) or not value:
        raise ProviderError(f"cannot address {value!r}: an empty value is not a URL path segment")
    encoded = quote(value, safe="")
    return "%2E" * len(encoded) if encoded in (".", "..") else encoded


class ApiClient:
    """One platform's API: base URL, bearer auth, retries, errors for users. Thread-safe."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        api_key_env: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        secrets: Iterable[str] = (),
        parallelism: int = 8,
        security: TransportSecurity | None = None,
        url_source: str = "the base URL",
        slots: RequestSlots | None = None,
        late_window: float | None = None,
    ) -> None:
        """`url_source` names where `base_url` came from (an environment variable, `--endpoint`) for errors.

        The URL is checked here, before any request (`ConfigError` if refused); the warnings the check
        produced (plain http allowed, TLS verification off) are in `self.warnings` for the caller to show.
        A caller-supplied `transport` (the embedded sandbox, tests) never touches the network: not checked.
        `slots`: the run's cap on requests in flight, shared by every bundle's client (`--parallelism`).
        `sleep`: how to wait before a retry (tests pass their own); by default a wait that `close` ends at once.
        `late_window`: how long a request that went unanswered is given to land (`http_unanswered`); by default
        the timeout, at most 5 s. A test whose server is known to run nothing later than that passes less.
        """
        security = security or TransportSecurity.from_environment()
        self.warnings: tuple[str, ...] = ()
        if transport is None:
            self.warnings = tuple(check_endpoint(httpx.URL(base_url), source=url_source, security=security))
        default_headers = {"Accept": "application/json", "User-Agent": f"reconciler/{__version__}"}
        default_headers.update(headers or {})
        if api_key:
            default_headers["Authorization"] = f"Bearer {api_key}"
        self._api_key_env = api_key_env
        self._retry = retry or RetryPolicy()
        self._slots: AbstractContextManager[None] = slots if slots is not None else nullcontext()
        self._shared_reads: SharedReads | None = None
        self.embedded = (
            transport is not None
        )  # the embedded sandbox or a test's: no platform to share reads of
        self._sleep = sleep
        # Set by `close`: a request waiting to be retried (a Retry-After of up to a minute) stops waiting and
        # ends with its last failure, so a run that stops early (cli/session.py) does not wait for it.
        self._closed = threading.Event()
        verify = security.verify() if transport is None else True
        # Direct connections: http.client under httpx (reconciler.providers.http11), a quarter of the
        # client's CPU a request less. httpx honours proxies from the environment only with its own
        # transport, so where one is set that transport stays, except for loopback endpoints (the
        # sandbox): those never go through a proxy, since a proxy on another host would carry their
        # plain-http requests, API key included, off this machine, past the "plain http to this machine
        # only" rule of reconciler.providers.transport.
        direct = transport or (
            None
            if _proxied() and not is_loopback(httpx.URL(base_url).host)
            else Http11Transport(verify, max_idle=parallelism)
        )
        self._http = httpx.Client(
            base_url=base_url,
            headers=default_headers,
            timeout=timeout,
            transport=direct,
            verify=verify,
            follow_redirects=False,
            limits=httpx.Limits(max_connections=parallelism, max_keepalive_connections=parallelism),
        )
        url = self._http.base_url
        self._secrets = frozenset(s for s in (*secrets, api_key, url.password) if s)
        self._secret_forms = secret_forms(self._secrets)  # once: every request's log line is redacted
        self.origin = f"{url.scheme}://{url.netloc.decode('ascii')}"  # never the userinfo
        self.base_url = self.origin + url.path  # what two clients must share to be talking to the same API
        self.stats = ClientStats()
        # Attempts sent and never answered, which the platform may still carry out after a later request:
        # see `reconciler.providers.http_unanswered` and `wait_for_late`.
        self.unanswered = UnansweredRequests()
        self._late_window = (
            late_window_for(httpx.Timeout(timeout).read) if late_window is None else late_window
        )
        # Joining a relative path to the base URL makes httpx parse URLs three times (path, join, params):
        # a tenth of a millisecond a request, 10 % of the client's CPU in an apply. Joined here instead,
        # the way httpx joins them, whenever the base URL is a plain one (no query, no fragment).
        self._prefix = None if url.query or url.fragment else str(url).rstrip("/") + "/"
        # Requests to joined URLs are built from parts worked out here, and handed straight to the one
        # transport (no proxy in between: httpx's client would only pick that same transport, then parse
        # every answer's headers for cookies); see `reconciler.providers.http11.send`.
        self._prepared = PreparedRequests.for_client(self._http) if self._prefix else None
        self._direct = direct

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        expected: Collection[int] = (200, 201, 204),
    ) -> httpx.Response:
        """Send one request, retrying what is safe to retry; return the response if its status is expected.

        `idempotent` defaults by method (GET/HEAD/OPTIONS/PUT/DELETE yes, POST/PATCH no); pass True for
        a POST/PATCH that the API makes safe to repeat. A 429 is retried whatever the method: the server
        refused it without acting. Raises the `ProviderError` subclasses listed in the module docstring.
        """
        method = method.upper()
        if _DOT_SEGMENT.search(path.partition("?")[0]):
            # A bug, not bad input: values are encoded by `segment`, so only a caller that skipped it gets here.
            raise ValueError(f"path {path!r} has a '.' or '..' segment: build paths with segment()")
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        request = self._build(method, path, params, json, headers)
        # Only a debug log line shows the URL; without one, redacting it for every request is wasted work.
        url = self._redact(str(request.url)) if log.isEnabledFor(logging.DEBUG) else ""
        if json is not None and log.isEnabledFor(logging.DEBUG):
            # The shape, never the values: a body may carry what the platform stores, such as a secret of an
            # earlier run that this one cannot recognise (a read-modify-write PUT sends back what it read).
            log.debug("%s %s body: %s", method, url, body_shape(json, len(request.content)))
        shared = self._shared_reads
        if shared is not None and method == "GET":
            key = (str(request.url), tuple(sorted(request.headers.multi_items())), frozenset(expected))
            return shared.fetch(key, lambda: self._send(request, url, safe, expected, path))
        return self._send(request, url, safe, expected, path)

    def _build(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Request:
        joined = self._join(path, params)
        prepared = self._prepared
        # Cookies a server set are sent back by httpx's own building: then, and for extra headers, build there.
        if joined is not None and prepared is not None and not headers and not self._http.cookies:
            # A `Sensitive` in a body (an option, a parameter) is sent in clear: the platform needs the value.
            return prepared.build(method, joined, None if json is None else JSON_BODY.encode(json).encode())
        body = None if json is None else revealed(json)
        if joined is None:
            return self._http.build_request(method, path, params=params, json=body, headers=headers)
        return self._http.build_request(method, joined, json=body, headers=headers)

    def learn_secrets(self, secrets: Iterable[str]) -> None:
        """Redact `secrets` too from now on: a client opened while the run's later bundles were still being
        rendered (a read started early) learns their secrets as they become known."""
        known = self._secrets | frozenset(s for s in secrets if s)
        if known != self._secrets:
            self._secrets = known
            self._secret_forms = secret_forms(known)  # replaced whole: a thread mid-redaction keeps the old

    def share_reads(self, reads: SharedReads | None) -> None:
        """Answer a GET another client of `reads` sent already with its response (None: stop sharing)."""
        self._shared_reads = reads

    def _send(
        self, request: httpx.Request, url: str, safe: bool, expected: Collection[int], path: str
    ) -> httpx.Response:
        """`request` sent, retried as `request` describes; `url` is its redacted URL for debug logs, `path`
        the caller's, under which an attempt that got no answer is recorded in `unanswered`."""
        method = request.method
        policy = self._retry
        for attempt in range(1, policy.max_attempts + 1):
            self.stats.count(method, retry=attempt > 1)
            start = time.perf_counter()
            try:
                with self._slots:  # released before any wait for a retry: a waiting request holds no slot
                    response = send(self._http, self._direct, request)
            except httpx.TransportError as exc:
                untrusted = certificate_failure(exc)
                if untrusted is not None:  # not transient: retrying cannot make a certificate trusted
                    raise TransportError(untrusted_message(self.origin, untrusted, self._redact)) from exc
                reason = self._redact(str(exc)) or type(exc).__name__
                failure = f"{type(exc).__name__}: {reason}"
                log.debug("%s %s -> %s after %.0f ms (attempt %d)", method, url, failure, _ms(start), attempt)
                self._observe(request, None, start)
                if not isinstance(exc, _NOT_SENT):  # it left: the platform may still carry it out, later
                    self.unanswered.record(method, path)
                error = f"could not reach {self.origin}: {reason}"
                if not safe and not isinstance(exc, _NOT_SENT):
                    raise TransportError(error + outcome_unknown_note(request), outcome_unknown=True) from exc
                if attempt == policy.max_attempts or not self._wait(policy.backoff(attempt - 1), attempt):
                    raise TransportError(f"{error} (after {attempt} attempts)") from exc
                continue
            status = response.status_code
            self._observe(request, status, start)
            log.debug("%s %s -> %d in %.0f ms (attempt %d)", method, url, status, _ms(start), attempt)
            if status in expected:
                return response
            if status >= 400 and log.isEnabledFor(logging.DEBUG):
                answer = self._redact(server_message(response))[:_LOG_LIMIT]  # as an error would show it
                log.debug("%s %s answered: %s", method, url, answer)
            if status in policy.statuses and (safe or status == 429) and attempt < policy.max_attempts:
                retry_after = parse_retry_after(response.headers)
                delay = policy.backoff(attempt - 1) if retry_after is None else retry_after
                if self._wait(min(delay, policy.max_retry_after), attempt):
                    continue
            raise status_error(
                request,
                response,
                safe=safe,
                origin=self.origin,
                api_key_env=self._api_key_env,
                redact=self._redact,
            )
        raise AssertionError("unreachable: the last attempt returns or raises")

    def wait_for_late(self, method: str, path: str) -> bool:
        """Whether an attempt of `method` on `path` went unanswered; if one did, first wait until each such
        attempt has had the late window (`http_unanswered.late_window`) to land since the client gave up on
        it, so that what the caller reads next shows what it did. Ends early if the client is closed."""
        attempts = self.unanswered.of(method, path)
        self._wait_to_land(attempts, f"{method} {path}")
        return bool(attempts)

    def wait_for_late_writes(self) -> None:
        """Wait until every write that went unanswered has had the late window to land (at once if none
        did): an apply that ends here leaves none to land on the next apply's writes."""
        self._wait_to_land(self.unanswered.writes(), "a write")

    def _wait_to_land(self, attempts: list[Unanswered], what: str) -> None:
        if not attempts:
            return
        remaining = max(a.given_up for a in attempts) + self._late_window - time.monotonic()
        if remaining > 0:
            log.debug("%s went unanswered: waiting %.2f s for it to land", what, remaining)
            if self._sleep is None:
                self._closed.wait(remaining)
            else:
                self._sleep(remaining)

    def _join(self, path: str, params: Mapping[str, Any] | None) -> str | None:
        """`path` and `params` joined to the base URL as httpx joins them (`{base}/{path without its leading
        /}?{query}`); None for anything unusual (a query or fragment in the path, a parameter that is not
        text), which httpx then joins itself."""
        if self._prefix is None or "?" in path or "#" in path:
            return None
        if params and not all(isinstance(v, str) for v in params.values()):
            return None
        joined = self._prefix + path.lstrip("/")
        return f"{joined}?{urlencode(params)}" if params else joined

    def close(self) -> None:
        """Close the connections; a request of another thread waiting to be retried stops waiting."""
        self._closed.set()
        self._http.close()

    def _observe(self, request: httpx.Request, status: int | None, start: float) -> None:
        for observe in request_observers:
            observe(self, request.method, request.url.path, status, time.perf_counter() - start)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _wait(self, delay: float, attempt: int) -> bool:
        """Wait `delay` seconds before the next attempt; False if the client is closed by then (or while
        waiting, which ends the wait): the request then ends as though its last attempt was spent."""
        log.debug("retrying in %.2f s (attempt %d failed)", delay, attempt)
        if self._sleep is None:
            return not self._closed.wait(delay)
        self._sleep(delay)
        return not self._closed.is_set()

    def _redact(self, text: str) -> str:
        return redact_forms(text, self._secret_forms)

    def redact(self, text: str) -> str:
        """`text` without this client's API key or the run's secrets: for any message about its requests."""
        return self._redact(text)


def _proxied() -> bool:
    """Does the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, or the system's settings) name a proxy?
    httpx reads the same."""
    found = urllib.request.getproxies()
    return any(found.get(scheme) for scheme in ("http", "https", "all"))


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000
