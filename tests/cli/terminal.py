"""Run the real CLI on a pseudo-terminal, as a person at a keyboard does: what it draws, Ctrl-C, its exit code.

The child is a session leader whose controlling terminal is the pty, so a ^C written to it reaches the
CLI as SIGINT through the terminal's line discipline, exactly as a key press does.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import ROOT

SGR = re.compile(rb"\x1b\[[0-9;]*m")  # Select Graphic Rendition: colour, bold, dim, reset...
# Variables that would decide colour or width for the CLI instead of the terminal itself.
NOT_INHERITED = (
    "NO_COLOR",
    "FORCE_COLOR",
    "PY_COLORS",
    "CLICOLOR_FORCE",
    "COLUMNS",
    "LINES",
    "TERMINAL_WIDTH",
)


@dataclass
class Terminal:
    pid: int
    fd: int
    output: bytearray = field(default_factory=bytearray)
    code: int | None = None

    @property
    def text(self) -> str:
        """What was drawn, without colour and bold (the words as a person reads them)."""
        return SGR.sub(b"", self.output).decode("utf-8", "replace")

    def read_until(self, done: Callable[[str], bool], timeout: float) -> bool:
        """Read what the CLI draws until `done(text so far)`, the CLI ends, or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while not done(self.text):
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                return done(self.text)
        return True

    def press_ctrl_c(self) -> None:
        os.write(self.fd, b"\x03")

    def wait(self, timeout: float = 120) -> int:
        """Read to the end, then reap the CLI; its exit code."""
        deadline = time.monotonic() + timeout
        while self._read(max(0.0, deadline - time.monotonic())):
            pass
        if self.code is None:
            _, status = os.waitpid(self.pid, 0)
            self.code = os.waitstatus_to_exitcode(status)
            os.close(self.fd)
        return self.code

    def _read(self, timeout: float) -> bool:
        """One read; False at the end of the output (or on timeout)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the CLI closed the terminal's last descriptor
            return False
        self.output.extend(chunk)
        return bool(chunk)


def start(*args: str, env: dict[str, str] | None = None, columns: int = 120, rows: int = 40) -> Terminal:
    """`reconciler ARGS` on a new pseudo-terminal of `columns` x `rows`."""
    full_env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    full_env |= {"TERM": "xterm-256color", **(env or {})}
    argv = [sys.executable, "-m", "reconciler", *args]
    pid, fd = pty.fork()
    if pid == 0:  # the child: nothing but system calls before exec (the parent has threads)
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # a shell's background job would inherit SIG_IGN
            os.chdir(ROOT)
            os.execve(sys.executable, argv, full_env)
        finally:
            os._exit(127)
    return Terminal(pid, fd)


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Terminal:
    """`reconciler ARGS` on a terminal, to its end."""
    terminal = start(*args, env=env)
    terminal.wait(timeout)
    return terminal
