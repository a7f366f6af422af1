"""Hide known secret values in text before it is logged or shown (HTTP log lines, error messages).

A secret can reach text raw, JSON-escaped (a request body) or percent-encoded (a query string);
every form is replaced.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

SENSITIVE = "(sensitive)"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Return `text` with each non-empty secret, in any of its encoded forms, replaced by `(sensitive)`."""
    return redact_forms(text, secret_forms(secrets))


def secret_forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Every encoded form of every non-empty secret, longest first (so a secret that contains another one
    disappears whole): worked out once by a caller that redacts often, such as the HTTP client."""
    forms = {
        form
        for secret in secrets
        if secret
        for form in (
            secret,
            json.dumps(secret)[1:-1],
            json.dumps(secret, ensure_ascii=False)[1:-1],
            quote(secret, safe=""),
            quote_plus(secret, safe=""),
        )
    }
    return tuple(sorted(forms, key=len, reverse=True))


def redact_forms(text: str, forms: tuple[str, ...]) -> str:
    """`redact` with the forms from `secret_forms`."""
    for form in forms:
        text = text.replace(form, SENSITIVE)
    return text
