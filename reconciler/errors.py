"""The one error hierarchy; every message is written for the user who must act on it.

ReconcilerError
 ├── BundleError            the bundle is invalid: a list of located diagnostics (exit 1, nothing sent)
 ├── ConfigError            missing endpoint, API key, unknown provider ...
 ├── StalePlanError         a saved plan no longer matches the live state
 └── ProviderError          the platform could not do what we asked
      ├── TransportError    the request never got an answer (connect, read, timeout)
      ├── TemporaryError    the server said "later" (429/5xx); carries the delay it asked for
      ├── ConflictError     409 and friends: the live state is not what we expected
      └── RejectedError     4xx: the platform refused the request as written
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field


def printable(text: str) -> str:
    """`text` with control and bidi-override characters written as escapes (`\\n`, `\\x1b`, `\\u202e`).

    Messages quote what a bundle says, and a bundle may come from a stranger's pull request: a newline in a
    key must not start a second line that a CI log reads as a command (`::error ...`), nor an escape sequence
    rewrite the terminal."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape", "backslashreplace").decode("ascii")
        for c in text
    )


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place in one file; line and column are 1-based (0 when unknown).

    `field` is the place in the document as a path (`schedules[0].when.cron`) when the loader knows it, for
    machine output (`--format json`); it takes no part in sorting or equality: the position already names it."""

    file: str
    line: int
    col: int
    message: str
    field: str = _field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", printable(self.file))
        object.__setattr__(self, "message", printable(self.message))
        object.__setattr__(self, "field", printable(self.field))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ReconcilerError(Exception):
    """Base of every error the CLI turns into a message and exit code 1."""


class BundleError(ReconcilerError):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class ConfigError(ReconcilerError):
    pass


class StalePlanError(ReconcilerError):
    pass


class ProviderError(ReconcilerError):
    def __init__(self, message: str, *, status: int | None = None, outcome_unknown: bool = False) -> None:
        self.status = status
        # True when a request that is not safe to repeat (a create, a change) got no usable answer and may
        # have been committed: look the object up by its ownership marker before trying again.
        self.outcome_unknown = outcome_unknown
        super().__init__(message)

    @property
    def refused(self) -> bool:
        """The platform refused the request as written (a 4xx, but not 408 timeout, 409 conflict or 429 rate
        limit): sending it again unchanged fails the same way."""
        return self.status is not None and 400 <= self.status < 500 and self.status not in (408, 409, 429)


class TransportError(ProviderError):
    pass


class TemporaryError(ProviderError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status, outcome_unknown=outcome_unknown)


class ConflictError(ProviderError):
    pass


class RejectedError(ProviderError):
    pass
