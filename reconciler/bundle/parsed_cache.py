"""What a large bundle file parsed to, kept between runs: the next run that reads the same bytes skips the YAML.

Reading the YAML is the largest single cost of a command over a large bundle (about 0.2 s of a 10,000-schedule
plan's 1.2 s of CPU); a kept copy loads about seven times faster (0.03 s). Only the parse is kept: the file's
own data and the positions of its nodes, exactly what `load.load_text` returns for it. Nothing rendered (no
variable, template, secret or environment value) and no check's verdict is kept, so every check still runs on
every run. A file that did not parse is never kept: its errors come from parsing it again.

One entry per file (as the run names it), replaced when its bytes change, and used only when its bytes are
the same (a SHA-256 of them) and it was made by the same reconciler, Python, PyYAML and limits. Where the
folder cannot be written, or an entry is unreadable or damaged, the file is parsed as if nothing were kept.
docs/cli.md ("The parse cache") says where it lives and how to turn it off.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.envflag import env_flag

CACHE_DIR_ENV = "RECONCILER_CACHE_DIR"
NO_CACHE_ENV = "RECONCILER_NO_CACHE"
# Below this, parsing costs about what reading an entry does (a 400-schedule file parses in ~10 ms): not kept.
MIN_FILE_BYTES = 64 * 1024
_FORMAT = 1  # of an entry; raised when what `document_to_plain` returns changes shape


def parse_cache_from(environ: Mapping[str, str]) -> ParsedFiles | None:
    """The cache a command uses: `$RECONCILER_CACHE_DIR`, else `$XDG_CACHE_HOME/reconciler/parsed`, else
    `~/.cache/reconciler/parsed`; none when `RECONCILER_NO_CACHE` is on or no folder can be named."""
    if env_flag(environ, NO_CACHE_ENV):
        return None
    folder = environ.get(CACHE_DIR_ENV)
    if not folder:
        base = environ.get("XDG_CACHE_HOME") or (
            os.path.join(environ["HOME"], ".cache") if environ.get("HOME") else ""
        )
        if not base:
            return None
        folder = os.path.join(base, "reconciler", "parsed")
    return ParsedFiles(Path(folder))


class ParsedFiles:
    """A folder of entries, one per file: `recall` what bytes parsed to, `keep` what they parsed to."""

    def __init__(self, folder: Path, *, min_bytes: int = MIN_FILE_BYTES) -> None:
        self.folder = folder
        self.min_bytes = min_bytes

    def wants(self, content: bytes) -> bool:
        """Whether a file of these bytes is worth keeping (and so worth looking for)."""
        return len(content) >= self.min_bytes

    def recall(self, slot: str, content: bytes) -> Any | None:
        """What `content` parsed to when kept under `slot`, or None (nothing kept, other bytes, damaged)."""
        import hashlib  # here: OpenSSL's digests load only for a file large enough to be kept (`wants`)

        try:
            entry = (self.folder / _entry_name(slot)).read_bytes()
            digest, parsed = marshal.loads(entry)
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return parsed if digest == hashlib.sha256(content).digest() else None

    def keep(self, slot: str, content: bytes, parsed: Any) -> None:
        """Keep `parsed` for `content` under `slot`, replacing what was kept there; never fails the run."""
        import hashlib

        try:
            entry = marshal.dumps((hashlib.sha256(content).digest(), parsed))
        except ValueError:  # a value marshal cannot hold (none today: the reader makes only builtins)
            return
        import tempfile  # only when an entry is written: most runs read one or none

        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".entry-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(entry)
                os.replace(temporary, self.folder / _entry_name(slot))  # whole or not at all, for a reader
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError:
            return  # a read-only or full disk: the run goes on, parsing next time too


def _entry_name(slot: str) -> str:
    import hashlib

    return hashlib.sha256(f"{_maker()}\0{slot}".encode()).hexdigest()[:40]


_made_by: str | None = None


def _maker() -> str:
    """Who made an entry: this reconciler (its version and the reader's own source, so an edited checkout
    never reads what an older reader made), this Python and this PyYAML."""
    global _made_by
    if _made_by is None:
        import hashlib

        import yaml

        from reconciler import __version__
        from reconciler.bundle import document, load, yaml_reader, yaml_scalars

        source = hashlib.sha256()
        for module in (document, load, yaml_reader, yaml_scalars):
            try:
                source.update(Path(module.__file__ or "").read_bytes())
            except OSError:  # not on disk (a zipped install): the version alone tells readers apart
                source.update(module.__name__.encode())
        _made_by = f"{_FORMAT}\0{__version__}\0{source.hexdigest()}\0{sys.version}\0{yaml.__version__}"
    return _made_by
