"""The conformance kit (issue 20): every provider's promises (no duplicate, nothing foreign touched, stale
plans refused, faults and crashes converge, ...) as pytest tests that drive the real CLI against a platform's
server. A provider fills in a `Platform` and gets the contract by subclassing `PlatformContract`; see
docs/conformance.md. Only tests import this package: the runtime never does (an import-linter contract)."""

from reconciler.testing.contract import PlatformContract, contract_for
from reconciler.testing.harness import Harness
from reconciler.testing.platform import (
    BUNDLE_KEY,
    SCENARIOS,
    Entry,
    Platform,
    PlatformServer,
    Variant,
    client_for,
)
from reconciler.testing.proxy import Faults, InterruptingProxy, KillPoint
from reconciler.testing.servers import ExternalServer, SandboxServer, external, sandbox, serve_sandbox

__all__ = [
    "BUNDLE_KEY",
    "SCENARIOS",
    "Entry",
    "ExternalServer",
    "Faults",
    "Harness",
    "InterruptingProxy",
    "KillPoint",
    "Platform",
    "PlatformContract",
    "PlatformServer",
    "SandboxServer",
    "Variant",
    "client_for",
    "contract_for",
    "external",
    "sandbox",
    "serve_sandbox",
]
