"""What a sandbox is asked to be: provider, storage, credentials, seeded agents and traffic shaping.

Plain values with no heavy imports, so the CLI can parse and check options before FastAPI loads.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Literal, get_args

FaultKind = Literal["500", "503", "429", "drop", "lost"]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
DEV_API_KEY = "sandbox-key"  # not a secret: the documented default of a local emulator

_LATENCY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$")


@dataclass(frozen=True)
class Latency:
    """Delay added to each vendor request: `low_ms` exactly, or uniform in [low_ms, high_ms]."""

    low_ms: float
    high_ms: float

    @classmethod
    def parse(cls, text: str) -> Latency:
        """'20' (fixed) or '10-30' (jittered), in milliseconds."""
        m = _LATENCY.match(text)
        if not m:
            raise ValueError(f"latency {text!r}: write milliseconds, fixed ('20') or a range ('10-30')")
        low = float(m.group(1))
        high = float(m.group(2)) if m.group(2) is not None else low
        if high < low:
            raise ValueError(f"latency {text!r}: the range's upper bound is below its lower bound")
        return cls(low, high)

    def __str__(self) -> str:
        low, high = f"{self.low_ms:g}", f"{self.high_ms:g}"
        return low if low == high else f"{low}-{high}"

    def draw(self, rng: random.Random) -> float:
        """Seconds to wait."""
        ms = self.low_ms if self.high_ms == self.low_ms else rng.uniform(self.low_ms, self.high_ms)
        return ms / 1000.0


@dataclass(frozen=True)
class Traffic:
    """The test and benchmark switches; they apply to vendor routes only, never to `/_sandbox/*`."""

    latency: Latency | None = None
    rate_limit: float | None = None  # requests per second, burst of the same size
    fault_rate: float = 0.0  # probability that a vendor request gets a fault
    seed: int = 0
    fault_kinds: tuple[FaultKind, ...] = FAULT_KINDS
    retry_after: int = 1  # seconds, sent with injected 429/503 and with rate-limit 429s

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault rate {self.fault_rate} must be between 0 and 1")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError(f"rate limit {self.rate_limit} must be a positive number of requests per second")
        if not self.fault_kinds:
            raise ValueError("at least one fault kind is needed")
        unknown = [k for k in self.fault_kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind(s) {unknown}; known: {', '.join(FAULT_KINDS)}")
        if self.retry_after < 0:
            raise ValueError("retry_after must not be negative")


def parse_fault_kinds(text: str) -> tuple[FaultKind, ...]:
    """'500,drop,lost' -> ('500', 'drop', 'lost'), rejecting unknown names."""
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    bad = [k for k in kinds if k not in FAULT_KINDS]
    if bad or not kinds:
        raise ValueError(f"fault kinds {text!r}: choose from {', '.join(FAULT_KINDS)}")
    return tuple(k for k in FAULT_KINDS if k in kinds)


@dataclass(frozen=True)
class SandboxConfig:
    """Everything `build_app` needs; `workspace`/`api` None mean the provider's defaults."""

    provider: str = "cadenya"
    api: str | None = None
    db: str = ":memory:"
    api_keys: tuple[str, ...] = (DEV_API_KEY,)
    workspace: str | None = None
    agents: tuple[str, ...] = ()
    traffic: Traffic = field(default_factory=Traffic)

    def __post_init__(self) -> None:
        if not self.api_keys or any(not k.strip() for k in self.api_keys):
            raise ValueError("at least one non-blank API key is needed")
        if any(not a.strip() for a in self.agents):
            raise ValueError("agent ids must not be blank")
