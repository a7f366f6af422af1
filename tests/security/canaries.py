"""The canary values the secret-leak tests plant (a secret, its rotation, the API key, a wrong key), and the
encodings a value takes on its way out (JSON, URL, base64, hex) that a search for them must cover."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

SECRET = "canary-secret-5f0c1e77"
ROTATED = "canary-rotated-8d2b4731"
API_KEY = "canary-apikey-3e9a71c4"
WRONG_KEY = "canary-wrongkey-1c7d0b9e"
CANARIES = (SECRET, ROTATED, API_KEY, WRONG_KEY)


def _encodings(value: str) -> set[str]:
    raw = value.encode()
    return {
        value,
        json.dumps(value)[1:-1],
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode(),
        base64.b64encode(f"x:{value}".encode()).decode()[4:],  # inside a basic-auth header
        raw.hex(),
    }
