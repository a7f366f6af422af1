"""What a YAML scalar means: YAML 1.2's reading, with YAML 1.1's silent conversions (`on` as a boolean,
`1:30` as base 60, `0755` as octal) refused rather than guessed, and only the standard tags allowed."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import yaml

from reconciler.bundle.limits import MAX_NUMBER_DIGITS
from reconciler.errors import BundleError

_STR = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL, _BOOL, _INT_TAG, _FLOAT_TAG = (f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float"))
# Plain scalars YAML 1.1 would read as text stay text; the others get the checks in `resolve_scalar`.
_TEXT_TAGS = {_STR, MERGE_TAG, "tag:yaml.org,2002:value", "tag:yaml.org,2002:timestamp"}
_RESOLVER = yaml.resolver.Resolver()
_RESOLVED_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null", "timestamp")}
_YAML11_BOOLS = {"y", "yes", "n", "no", "on", "off"}
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$")
_LEADING_ZERO_INT = re.compile(r"^[-+]?0[0-9_]+$")
_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")


def resolve_scalar(event: yaml.ScalarEvent, fail: Callable[[yaml.Event, str], BundleError]) -> Any:
    """What a plain or tagged scalar means, YAML 1.2-style; `fail(event, message)` is the error to raise for
    what YAML 1.1 would silently convert (`on`, `1:30`, `0755`), a disallowed tag or an absurd number."""
    text: str = event.value
    tag = event.tag
    if tag not in (None, "!", _STR) and tag not in _RESOLVED_TAGS:
        raise fail(event, f"YAML tags such as '{tag}' are not allowed")
    if event.style not in (None, "") or tag in ("!", _STR):  # quoted, block, or plainly text
        return text
    # What YAML 1.1 would make of it (an explicit `!!int` etc. gets every check below).
    kind = tag or _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if kind in _TEXT_TAGS:
        return text
    lowered = text.lower()
    if kind == _NULL or text in ("", "~") or lowered == "null":
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if kind == _BOOL or lowered in _YAML11_BOOLS:
        raise fail(
            event,
            f"unquoted '{text}' is ambiguous (YAML 1.1 reads it as a boolean); "
            f"write '\"{text}\"' for text or true/false for a boolean",
        )
    if _INT.match(text):
        if len(text) > MAX_NUMBER_DIGITS:
            raise fail(
                event,
                f"a number of {len(text.lstrip('+-'))} digits is beyond any a bundle needs (at most "
                f"{MAX_NUMBER_DIGITS}); quote it if it is text",
            )
        return int(text)
    if _FLOAT.match(text):
        value = float(text)
        if not math.isfinite(value):
            raise fail(event, f"unquoted '{text}' is too large for a number; quote it if it is text")
        return value
    if _SEXAGESIMAL.match(text):
        raise fail(
            event,
            f"unquoted '{text}' is ambiguous (YAML 1.1 reads it as a base-60 number); quote it: \"{text}\"",
        )
    if _LEADING_ZERO_INT.match(text):
        raise fail(
            event,
            f"unquoted '{text}' is ambiguous (YAML 1.1 reads it as an octal number); quote it: \"{text}\"",
        )
    return text  # 0x1F, 1_000, .inf: YAML 1.1 numbers that 1.2 reads as text, and so do we
