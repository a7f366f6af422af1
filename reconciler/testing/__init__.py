"""The conformance kit (issue 20): every provider's promises (no duplicate, nothing foreign touched, stale
plans refused, faults and crashes converge, ...) as pytest tests that drive the real CLI against a platform's
server. A provider fills in a `Platform` and gets the contract by subclassing `PlatformContract`; see
docs/conformance.md. Only tests import this package: the runtime never does (an import-linter contract)."""

import pytest

# The contract's and the harness's asserts explain themselves in a failure, as a test module's would;
# the rewrite must be registered before they are imported (hence the imports below it).
pytest.register_assert_rewrite("reconciler.testing.contract", "reconciler.testing.harness")

from reconciler.testing.contract import PlatformContract, contract_for  # noqa: E402
from reconciler.testing.harness import Harness  # noqa: E402
from reconciler.testing.platform import (  # noqa: E402
    BUNDLE_KEY,
    SCENARIOS,
    Entry,
    Platform,
    PlatformServer,
    Variant,
    client_for,
)
from reconciler.testing.proxy import Faults, InterruptingProxy, KillPoint  # noqa: E402
from reconciler.testing.servers import ExternalServer, SandboxServer, external, sandbox, serve_sandbox  # noqa: E402

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
