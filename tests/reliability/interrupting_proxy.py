"""The forwarder the crash, concurrency and race tests put between an apply and a sandbox now ships with the
conformance kit (`reconciler.testing.proxy`); this name stays for the tests that import it from here."""

from reconciler.testing.proxy import (
    Faults,
    HoldWrites,
    InterruptingProxy,
    KillPoint,
    Mode,
    WriteGate,
    is_write,
)

__all__ = ["Faults", "HoldWrites", "InterruptingProxy", "KillPoint", "Mode", "WriteGate", "is_write"]
