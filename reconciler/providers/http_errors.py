"""A failed request as the error a user reads: the server's own explanation, found in the common JSON error
shapes, inside the `ProviderError` its status calls for (see `reconciler.providers.http`), with every secret
the client knows redacted by the caller's `redact`."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.errors import ConflictError, ProviderError, RejectedError, TemporaryError
from reconciler.providers.http_retry import parse_retry_after

if TYPE_CHECKING:  # only their types: the request sent and the answer
    import httpx

_MESSAGE_LIMIT = 300  # characters of a non-JSON error body worth showing a user


def server_message(response: httpx.Response) -> str:
    """The server's own explanation from the common JSON error shapes, else the start of the body."""
    try:
        found = _message_in(response.json())
    except ValueError:  # not JSON (JSONDecodeError and UnicodeDecodeError are ValueErrors)
        found = ""
    return found or " ".join(response.text.split())[:_MESSAGE_LIMIT]


def _message_in(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    title, detail, error = body.get("title"), body.get("detail"), body.get("error")
    if isinstance(detail, list):  # FastAPI / pydantic: [{"loc": ["body", "cron"], "msg": "..."}]
        return "; ".join(_validation_item(item) for item in detail)
    if isinstance(title, str) and isinstance(detail, str):  # RFC 7807 problem details
        return f"{title}: {detail}"
    for text in (detail, body.get("message"), title, error):
        if isinstance(text, str) and text:
            return text
    return _message_in(error)  # {"error": {"message": "..."}}


def _validation_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    loc = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
    msg = str(item.get("msg", item))
    return f"{loc}: {msg}" if loc else msg


def outcome_unknown_note(request: httpx.Request) -> str:
    """Said of a request that is not safe to repeat and may have been committed before it failed."""
    return f"; {request.method} {request.url.path} may or may not have been applied"


def status_error(
    request: httpx.Request,
    response: httpx.Response,
    *,
    safe: bool,
    origin: str,
    api_key_env: str | None,
    redact: Callable[[str], str],
) -> ProviderError:
    """The error for an answer whose status the caller did not expect; `safe`: the request may be repeated."""
    status = response.status_code
    what = f"{request.method} {request.url.path}"
    detail = redact(server_message(response)) or response.reason_phrase
    if status in (401, 403):
        problem = "authentication failed" if status == 401 else "permission denied"
        check = f"check {api_key_env}" if api_key_env else "check the API key"
        return RejectedError(f"{origin}: {problem} ({status} {detail}): {check}", status=status)
    if status == 409:
        return ConflictError(f"{what}: conflict with the live state (409): {detail}", status=status)
    if status == 429 or status >= 500:
        unknown = status != 429 and not safe
        note = outcome_unknown_note(request) if unknown else ""
        return TemporaryError(
            f"{what}: {origin} answered {status} {detail}{note}",
            status=status,
            retry_after=parse_retry_after(response.headers),
            outcome_unknown=unknown,
        )
    if status == 404:
        return RejectedError(f"{what}: not found (404): {detail}", status=status)
    if status >= 400:
        return RejectedError(f"{what} was rejected ({status}): {detail}", status=status)
    return ProviderError(f"{what}: unexpected response {status} {detail}", status=status)


def certificate_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error behind a transport error (httpx wraps httpcore wraps ssl), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def untrusted_message(origin: str, error: ssl.SSLCertVerificationError, redact: Callable[[str], str]) -> str:
    """A certificate that failed verification: not retried, and how to fix it."""
    reason = redact(error.verify_message or error.reason or str(error))
    return (
        f"could not reach {origin}: its TLS certificate could not be verified ({reason}); "
        "nothing was sent. If the platform uses a private CA, pass --ca-bundle FILE (or set SSL_CERT_FILE); "
        "--insecure turns verification off (not recommended)"
    )
